/**
 * Shared by every validator at the edge: problems named by JSON path, turned from zod issues into plain words.
 */
import type { z } from 'zod';

export interface Problem {
  /** JSON path of the offending value, e.g. "moves[1].users.upns[3]"; "body" for the whole body. */
  field: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** "moves[1].users.upns[3]" from ["moves", 1, "users", "upns", 3]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text || 'body';
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
};

export function problemsFromIssue(issue: z.core.$ZodIssue): Problem[] {
  const field = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        field: formatPath([...issue.path, key]),
        message: `is not a known field${issue.path.length === 0 ? '' : ` of ${field}`}; remove it or check its spelling`,
      }));
    case 'invalid_type': {
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return [{ field, message: `is required (${expected})` }];
      return [{ field, message: `must be ${expected}, got ${describeValue(issue.input)}` }];
    }
    case 'invalid_value': {
      if (issue.values.length === 1 && issue.values[0] === true) return [{ field, message: issue.message }];
      const options = issue.values.map((value) => JSON.stringify(value)).join(' or ');
      return [
        { field, message: `must be ${options}, got ${JSON.stringify(issue.input) ?? describeValue(issue.input)}` },
      ];
    }
    default:
      return [{ field, message: issue.message }];
  }
}

/** Problems with the same field and message reported once. */
export function uniqueProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.field}\u0000${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
