/**
 * The migration request the CLI sends for `preview` and `start`: a JSON file (--file, the same body as
 * POST /api/migrations), with flags for the common fields on top. The server validates it; this only assembles it.
 */
import { readFileSync } from 'node:fs';
import { CliError } from './client';

export interface RequestFlags {
  file?: string;
  from?: string;
  to?: string;
  all?: boolean;
  users?: string;
  usersFile?: string;
  group?: string;
  disabledPlans?: string;
  mode?: string;
  strategy?: string;
  dryRun?: boolean;
  requireApproval?: boolean;
  acknowledgeDataLoss?: boolean;
  usageLocation?: string;
  maxUsers?: string;
  batchSize?: string;
  id?: string;
}

const list = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** UPNs from a file: one a line, or a CSV whose first column holds them (a header row without '@' is skipped). */
export function upnsFromText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => (line.split(/[,;\t]/)[0] ?? '').trim().replace(/^"|"$/g, ''))
    .filter((cell) => cell.includes('@'));
}

function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error('expected a JSON object (the body of POST /api/migrations)');
    }
    return value as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${path} is not a migration request: ${(error as Error).message}`);
  }
}

function whole(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new CliError(`${flag} must be a whole number, got "${value}"`);
  return number;
}

function usersOf(flags: RequestFlags): Record<string, unknown> | undefined {
  const chosen = [flags.all, flags.users, flags.usersFile, flags.group].filter((flag) => flag !== undefined);
  if (chosen.length > 1) throw new CliError('Choose users one way: --all, --users, --users-file or --group.');
  if (flags.all) return { all: true };
  if (flags.users !== undefined) return { upns: list(flags.users) };
  if (flags.usersFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.usersFile, 'utf8');
    } catch (error) {
      throw new CliError(`Cannot read ${flags.usersFile}: ${(error as Error).message}`);
    }
    return { upns: upnsFromText(text) };
  }
  if (flags.group !== undefined) return { groupId: flags.group };
  return undefined;
}

/** The request body: the file's, with a move built from --from/--to/users flags, and flags over its fields. */
export function buildRequest(flags: RequestFlags): Record<string, unknown> {
  const body: Record<string, unknown> = flags.file ? readJson(flags.file) : {};
  const users = usersOf(flags);
  if (flags.to !== undefined || flags.from !== undefined || users !== undefined) {
    if (Array.isArray(body.moves) && body.moves.length > 0) {
      throw new CliError('The file already lists moves: leave out --from, --to and the user flags, or the moves.');
    }
    if (flags.to === undefined) throw new CliError('--to is required (a SKU part number such as SPB, or its id).');
    body.moves = [
      {
        ...(flags.from !== undefined ? { from: flags.from } : {}),
        to: flags.to,
        users: users ?? { all: true },
        ...(flags.disabledPlans !== undefined ? { disabledPlans: list(flags.disabledPlans) } : {}),
      },
    ];
  }
  if (body.moves === undefined) {
    throw new CliError('Say what to move: --from SKU --to SKU (with --all, --users or --users-file), or --file.');
  }
  if (flags.id !== undefined) body.id = flags.id;
  if (flags.mode !== undefined) body.mode = flags.mode;
  if (flags.strategy !== undefined) body.strategy = flags.strategy;
  if (flags.dryRun) body.dryRun = true;
  if (flags.requireApproval) body.requireApproval = true;
  if (flags.acknowledgeDataLoss) body.acknowledgeDataLoss = true;
  if (flags.usageLocation !== undefined) body.usageLocation = flags.usageLocation;
  if (flags.maxUsers !== undefined) body.maxUsers = whole(flags.maxUsers, '--max-users');
  if (flags.batchSize !== undefined) body.batchSize = whole(flags.batchSize, '--batch-size');
  return body;
}
