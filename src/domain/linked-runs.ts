/**
 * The bodies of POST /api/migrations/{id}/rollback and …/retry: a new run linked to the original, with the
 * original's options unless the body overrides them. Every override is validated like the same field of
 * POST /api/migrations, and every problem names its field.
 */
import { z } from 'zod';
import { parseMigrationRequest } from './request';
import { isRetried } from './rollback';
import type { BlockReasonCode, MigrationRequest, MoveRequest } from './types';
import { problemsFromIssue, uniqueProblems, type ParseResult, type Problem } from './validation';

export type LinkedRunKind = 'rollback' | 'retry';

/** Options a linked run may override; anything else in the body is refused. */
const COMMON_FIELDS = [
  'id',
  'dryRun',
  'requireApproval',
  'approvalTimeout',
  'acknowledgeDataLoss',
  'waitForLicenses',
  'batchSize',
  'maxFailureRate',
  'notAfter',
  'notify',
  'approvers',
  'requireDifferentApprover',
] as const;
const RETRY_FIELDS = ['usageLocation', 'includeDisabledUsers', 'strategy', 'maxUsers'] as const;

function bodySchema(kind: LinkedRunKind) {
  const fields: Record<string, z.ZodType> = {};
  for (const name of [...COMMON_FIELDS, ...(kind === 'retry' ? RETRY_FIELDS : [])])
    fields[name] = z.unknown().optional();
  if (kind === 'rollback') {
    fields.force = z.boolean({ error: 'must be true or false' }).optional();
  }
  return z.strictObject(fields);
}

export interface LinkedRunRequest {
  request: MigrationRequest;
  /** Rollback only: restore users changed since the original run too. */
  force: boolean;
}

/**
 * The original's options as a starting point: its id, user cap and window end belong to it (a window long closed,
 * say), and a rollback is always atomic and never acknowledges data loss on the original's behalf.
 */
function inherited(kind: LinkedRunKind, original: MigrationRequest): Record<string, unknown> {
  const { id: _id, maxUsers: _maxUsers, notAfter: _notAfter, ...rest } = original;
  const base: Record<string, unknown> = { ...rest, moves: original.moves.map(asWritten), dryRun: false };
  if (kind === 'rollback') Object.assign(base, { acknowledgeDataLoss: false, strategy: 'atomic', mode: 'swap' });
  return base;
}

/**
 * A stored move as a request names it, so that it validates again: the parser gives a group's product change the
 * group's members as its users, and every move a `keepDisabledPlans`, which a request must not give with `group`
 * (users) or `assignVia` (keepDisabledPlans).
 */
function asWritten(move: MoveRequest): Record<string, unknown> {
  const { users, keepDisabledPlans, ...rest } = move;
  if (move.group !== undefined) return { ...rest, keepDisabledPlans };
  if (move.assignVia !== undefined) return { ...rest, users };
  return { ...move };
}

/** Validates a rollback or retry body against the original's request; `dryRun` from the query string wins. */
export function parseLinkedRunBody(
  kind: LinkedRunKind,
  body: unknown,
  original: MigrationRequest,
  query: { dryRun?: boolean } = {},
): ParseResult<LinkedRunRequest> {
  const raw =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (!raw) return { ok: false, problems: [{ field: 'body', message: 'expected a JSON object (or no body)' }] };
  const problems: Problem[] = [];
  const shape = bodySchema(kind).safeParse(raw);
  if (!shape.success) for (const issue of shape.error.issues) problems.push(...problemsFromIssue(issue));
  const { force, ...overrides } = raw;
  const merged: Record<string, unknown> = { ...inherited(kind, original), ...overrides };
  if (query.dryRun !== undefined) merged.dryRun = query.dryRun;
  const parsed = parseMigrationRequest(merged);
  if (!parsed.ok) {
    // Only the body's own fields can be wrong: the original's options were valid when it started.
    problems.push(...parsed.problems);
  }
  if (problems.length > 0 || !parsed.ok) return { ok: false, problems: uniqueProblems(problems) };
  return { ok: true, value: { request: parsed.value, force: force === true } };
}

/** A row of the original's report, as far as choosing whom to retry needs it. */
export interface RetryCandidate {
  userId: string;
  move: number;
  outcome: string;
  blockCode?: BlockReasonCode;
}

/**
 * The retry's moves: each of the original's moves, limited to its users who failed or were blocked for a reason that
 * may have been fixed since (by object id). Moves left without users are dropped.
 */
export function retryMoves(moves: readonly MoveRequest[], rows: readonly RetryCandidate[]): MoveRequest[] {
  const idsByMove = new Map<number, string[]>();
  for (const row of rows) {
    if (!isRetried(row)) continue;
    const ids = idsByMove.get(row.move) ?? [];
    ids.push(row.userId.toLowerCase());
    idsByMove.set(row.move, ids);
  }
  return moves.flatMap((move, index) => {
    const ids = idsByMove.get(index);
    return ids && ids.length > 0 ? [{ ...move, users: { ids: [...new Set(ids)] } }] : [];
  });
}
