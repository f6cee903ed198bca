/**
 * Users pasted or uploaded for a move: a list of UPNs (one a line, or separated by commas or semicolons), or a CSV file
 * whose header names a userPrincipalName / UPN / mail column (else every cell that looks like a UPN counts). A list of
 * object ids (GUIDs) becomes an ids selector.
 */
import type { UsersSelector } from './types';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN_COLUMNS = ['userprincipalname', 'upn', 'user principal name', 'username', 'user name', 'mail', 'email'];

/** One CSV line into cells (double quotes, doubled to escape). */
export function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index]!;
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',' || char === ';' || char === '\t') {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  cells.push(cell);
  return cells.map((value) => value.trim());
}

export interface ParsedUsers {
  selector?: UsersSelector;
  count: number;
  ignored: string[];
}

export function parseUsers(text: string): ParsedUsers {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines[0] ? csvCells(lines[0]).map((cell) => cell.toLowerCase()) : [];
  const column = header.findIndex((cell) => UPN_COLUMNS.includes(cell));
  const values = column >= 0 ? lines.slice(1).map((line) => csvCells(line)[column] ?? '') : lines.flatMap(csvCells);
  const seen = new Set<string>();
  const upns: string[] = [];
  const ids: string[] = [];
  const ignored: string[] = [];
  for (const value of values.map((entry) => entry.trim()).filter(Boolean)) {
    if (seen.has(value.toLowerCase())) continue;
    seen.add(value.toLowerCase());
    if (GUID.test(value)) ids.push(value);
    else if (value.includes('@')) upns.push(value);
    else ignored.push(value);
  }
  if (upns.length > 0) return { selector: { upns }, count: upns.length, ignored: [...ignored, ...ids] };
  if (ids.length > 0) return { selector: { ids }, count: ids.length, ignored };
  return { count: 0, ignored };
}
