/** What the batch activities share: loading their slice of the plan, reading users, and recording failures. */
import type { UserResult } from '../domain/report';
import type { ErrorClass, PlannedUser, TenantSku, UserLicenseSnapshot } from '../domain/types';
import { errorMessage } from '../domain/values';
import type { BatchInput } from '../domain/workflow';
import { GraphRequestError, type GraphErrorInfo } from '../graph';
import type { BatchRecord, MigrationDocuments } from '../storage/migration-documents';
import { documentsFor, type ActivityDeps } from './deps';

export interface PlanBatch {
  batch: number;
  users: PlannedUser[];
}

export interface RangeContext {
  /** The wave the range's batches belong to (a carried range may be sent by an activity of a later wave). */
  wave: number;
  docs: MigrationDocuments;
  batches: PlanBatch[];
  skus: TenantSku[];
  strategy: 'atomic' | 'overlap';
}

/** The plan batches [batch, batch + batchCount) of one wave, with the plan's SKUs and strategy. */
export async function loadRange(deps: ActivityDeps, input: BatchInput): Promise<RangeContext> {
  const docs = documentsFor(deps, input.migrationId);
  const { plan, request } = await docs.settled();
  const wave = plan.waves.find((w) => w.wave === input.wave);
  if (!wave) throw new Error(`Migration ${input.migrationId} has no wave ${input.wave}`);
  const batches: PlanBatch[] = [];
  for (let batch = input.batch; batch < input.batch + input.batchCount; batch += 1) {
    batches.push({ batch, users: await docs.batchUsers(input.wave, batch, wave.firstBatch) });
  }
  if (input.wave + 1 < plan.waves.length) {
    // Warm the next wave's document so the next wave starts writing at once instead of waiting on storage.
    docs.wave(input.wave + 1).catch((error: unknown) => {
      deps.log.warn('Could not prefetch the next wave of the plan; it will be read when needed', {
        migrationId: input.migrationId,
        wave: input.wave + 1,
        error: errorMessage(error),
      });
    });
  }
  return { wave: input.wave, docs, batches, skus: plan.skus, strategy: request.request.strategy };
}

/** The results recorded so far for the range's batches (by an earlier attempt of this activity, or an earlier phase). */
export async function recordsOf(range: RangeContext): Promise<BatchRecord[]> {
  const records = await Promise.all(range.batches.map((b) => range.docs.batch(b.batch)));
  return records.filter((record): record is BatchRecord => record !== undefined);
}

/** Users by id, each read directly (see LicensingGraph.getUsersDirect), indexed case-insensitively. */
export async function readUsers(deps: ActivityDeps, ids: string[]): Promise<Map<string, UserLicenseSnapshot>> {
  const { found } = await deps.graph.getUsersDirect(ids);
  return new Map(found.map((user) => [user.id.toLowerCase(), user]));
}

/**
 * Waits between re-reads of users whose state does not yet show what a write did. Entra ID is eventually consistent,
 * even for a direct read right after a write; these waits (15 s in all) outlast its usual lag.
 */
export const SETTLE_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000];

/**
 * Reads users and re-reads those not yet `settled`, with waits, until all are or the waits run out. Returns the last
 * state read of every user (undefined: not found) and those still not settled.
 */
export async function readUntilSettled(
  deps: ActivityDeps,
  ids: string[],
  settled: (id: string, user: UserLicenseSnapshot | undefined) => boolean,
  initial?: Map<string, UserLicenseSnapshot>,
): Promise<{ users: Map<string, UserLicenseSnapshot>; unsettled: string[] }> {
  const users = initial ?? (await readUsers(deps, ids));
  let waiting = ids.filter((id) => !settled(id, users.get(id.toLowerCase())));
  for (const delay of SETTLE_DELAYS_MS) {
    if (waiting.length === 0) break;
    await deps.clock.sleep(delay);
    const again = await readUsers(deps, waiting);
    for (const [id, user] of again) users.set(id, user);
    waiting = waiting.filter((id) => !settled(id, users.get(id.toLowerCase())));
  }
  return { users, unsettled: waiting };
}

export function failedResult(error: GraphErrorInfo, after?: UserLicenseSnapshot): UserResult {
  const result: UserResult = {
    kind: 'failed',
    errorClass: error.errorClass,
    message: `${error.reason} ${error.action}`.trim(),
    graphErrorCode: error.code,
  };
  if (error.requestId) result.requestId = error.requestId;
  if (after) result.after = after.assignedLicenses;
  return result;
}

export function failedPlain(message: string, errorClass: ErrorClass = 'permanent'): UserResult {
  return { kind: 'failed', errorClass, message };
}

export function graphErrorInfo(error: unknown): GraphErrorInfo {
  if (error instanceof GraphRequestError) return error.info;
  const message = errorMessage(error);
  return {
    errorClass: 'retryable',
    status: 0,
    code: 'UnexpectedError',
    message,
    reason: message,
    action: 'Try the migration again.',
  };
}
