import { pendingChange, verificationProblem } from '../domain/apply';
import type { UserResult } from '../domain/report';
import { skuNameById } from '../domain/skus';
import type { PlannedUser, TenantSku, UserLicenseSnapshot } from '../domain/types';
import { addBatchCounts, emptyBatchCounts, type BatchCounts, type BatchInput } from '../domain/workflow';
import { errorMessage } from '../domain/values';
import { GraphRequestError, type AssignLicenseItem, type AssignLicenseResult, type GraphErrorInfo } from '../graph';
import type { BatchRecord, MigrationDocuments, UserRecord } from '../storage/migration-documents';
import { TelemetryEvents, TelemetryMetrics, userIdentity } from '../telemetry';
import { inParallel } from '../util/parallel';
import { documentsFor, type ActivityDeps } from './deps';

interface PlanBatch {
  batch: number;
  users: PlannedUser[];
}

interface RangeContext {
  docs: MigrationDocuments;
  batches: PlanBatch[];
  skus: TenantSku[];
  strategy: 'atomic' | 'overlap';
}

/** The plan batches [batch, batch + batchCount) of one wave, with the plan's SKUs and strategy. */
async function loadRange(deps: ActivityDeps, input: BatchInput): Promise<RangeContext> {
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
  return { docs, batches, skus: plan.skus, strategy: request.request.strategy };
}

/** Reads users by id and indexes them case-insensitively. */
async function readUsers(deps: ActivityDeps, ids: string[]): Promise<Map<string, UserLicenseSnapshot>> {
  const { found } = await deps.graph.getUsersByIds(ids);
  return new Map(found.map((user) => [user.id.toLowerCase(), user]));
}

function failed(error: GraphErrorInfo, after?: UserLicenseSnapshot): UserResult {
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

function failedPlain(message: string, errorClass: 'permanent' | 'userFixable' | 'retryable' = 'permanent'): UserResult {
  return { kind: 'failed', errorClass, message };
}

/**
 * Stage 4 for a few plan batches: re-read the users, send one atomic `assignLicense` per user who still needs it (one
 * `$batch` per plan batch, back to back), and record each user's before and after. Idempotent: a retried activity
 * finds finished users already done and writes nothing for them.
 */
export async function reassignBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const release = deps.graph.holdBudgetShare(input.budgetShare);
  try {
    return await reassignRange(deps, input);
  } finally {
    release();
  }
}

async function reassignRange(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const { docs, batches } = await loadRange(deps, input);
  const control = await docs.control();
  if (control?.cancelRequested) {
    const cancelled = emptyBatchCounts();
    cancelled.notAttempted = batches.reduce((n, b) => n + b.users.length, 0);
    cancelled.cancelled = true;
    return cancelled;
  }
  const current = await readUsers(
    deps,
    batches.flatMap((b) => b.users.map((user) => user.userId)),
  );
  const started = deps.clock.now();
  const prepared = await Promise.all(batches.map((planBatch) => prepareBatch(deps, planBatch, current)));
  // One call for the whole range keeps the write pipeline full; the layer still sends one `$batch` per plan batch.
  const items = prepared.flatMap((batch) => batch.items);
  const results =
    items.length > 0 ? await deps.graph.assignLicenses(items, { budgetShare: 'held', batchSize: input.batchSize }) : [];
  const byUser = new Map(results.map((result) => [result.userId, result]));
  const durationMs = deps.clock.now() - started;
  let total = emptyBatchCounts();
  for (const batch of prepared) {
    const counts = emptyBatchCounts();
    const batchResults: AssignLicenseResult[] = [];
    for (const record of batch.records.values()) {
      const result = byUser.get(record.userId);
      if (result) {
        batchResults.push(result);
        counts.throttled += result.throttled;
        record.result = result.ok ? { kind: 'moved', after: result.after } : failed(result.error);
      }
      if (record.result.kind === 'moved') counts.moved += 1;
      else if (record.result.kind === 'failed') counts.failed += 1;
      else counts.skipped += 1;
    }
    reportBatch(deps, input, batch.planBatch, batch.records, counts, durationMs, batchResults);
    total = addBatchCounts(total, counts);
  }
  await inParallel(
    prepared.map((batch) => () => docs.saveBatch({ batch: batch.planBatch.batch, users: [...batch.records.values()] })),
    8,
  );
  return total;
}

/** Works out each user's pending change from their current state (setting usage locations on the way). */
async function prepareBatch(
  deps: ActivityDeps,
  planBatch: PlanBatch,
  current: Map<string, UserLicenseSnapshot>,
): Promise<{ planBatch: PlanBatch; records: Map<string, UserRecord>; items: AssignLicenseItem[] }> {
  const records = new Map<string, UserRecord>();
  const items: AssignLicenseItem[] = [];
  for (const user of planBatch.users) {
    const now = current.get(user.userId.toLowerCase());
    if (!now) {
      records.set(user.userId, {
        userId: user.userId,
        before: user.before,
        result: failedPlain('the user no longer exists in this tenant'),
      });
      continue;
    }
    const before = now.assignedLicenses;
    const change = pendingChange(user, now, 'add');
    if (change.kind === 'alreadyDone') {
      // Planned as a change and already in the planned state: an earlier attempt of this batch did it.
      records.set(user.userId, { userId: user.userId, before, result: { kind: 'moved', after: before } });
      continue;
    }
    if (user.decision.kind === 'change' && user.decision.setUsageLocation && !now.usageLocation) {
      try {
        await deps.graph.setUsageLocation(user.userId, user.decision.setUsageLocation);
      } catch (error) {
        records.set(user.userId, { userId: user.userId, before, result: failed(graphErrorInfo(error)) });
        continue;
      }
    }
    records.set(user.userId, { userId: user.userId, before, result: { kind: 'notAttempted', reason: 'pending' } });
    items.push({ userId: user.userId, addLicenses: change.addLicenses, removeLicenses: change.removeLicenses });
  }
  return { planBatch, records, items };
}

/** Stage 5 for a few plan batches: re-read moved users and confirm the target is active and the source gone. */
export async function verifyBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const counts = emptyBatchCounts();
  const { docs, batches, skus } = await loadRange(deps, input);
  const records = (await Promise.all(batches.map((b) => docs.batch(b.batch)))).filter(
    (record): record is BatchRecord => record !== undefined,
  );
  const planned = new Map(batches.flatMap((b) => b.users).map((user) => [user.userId.toLowerCase(), user]));
  const moved = records
    .flatMap((record) => record.users)
    .filter((user) => user.result.kind === 'moved' && !user.verified);
  if (moved.length === 0) return counts;
  const nameOf = (skuId: string): string => skuNameById(skuId, skus);
  const check = async (ids: string[]): Promise<Map<string, string | undefined>> => {
    const current = await readUsers(deps, ids);
    const problems = new Map<string, string | undefined>();
    for (const id of ids) {
      const user = current.get(id.toLowerCase());
      const plannedUser = planned.get(id.toLowerCase());
      if (!user || !plannedUser) problems.set(id, 'the user no longer exists in this tenant');
      else problems.set(id, verificationProblem(plannedUser, user, { expectRemovedLater: false }, nameOf));
    }
    return problems;
  };
  let problems = await check(moved.map((user) => user.userId));
  const doubtful = [...problems].filter(([, problem]) => problem !== undefined).map(([id]) => id);
  if (doubtful.length > 0) {
    // Directory reads can lag a write by a moment; look once more before calling a change failed.
    await deps.clock.sleep(2_000);
    problems = new Map([...problems, ...(await check(doubtful))]);
  }
  for (const user of moved) {
    const problem = problems.get(user.userId);
    if (problem) {
      user.result = failedPlain(`the change was accepted but ${problem}`, 'retryable');
      counts.failed += 1;
    } else {
      user.verified = true;
      counts.moved += 1;
    }
  }
  await Promise.all(records.map((record) => docs.saveBatch(record)));
  if (counts.failed > 0) {
    deps.log.warn('Verification found users not in the planned state', {
      migrationId: input.migrationId,
      batch: input.batch,
      failed: counts.failed,
    });
  }
  return counts;
}

/** Stage 6 (overlap): remove the source licenses from users whose target is verified. */
export async function cleanupBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const counts = emptyBatchCounts();
  const { docs, batches } = await loadRange(deps, input);
  const records = (await Promise.all(batches.map((b) => docs.batch(b.batch)))).filter(
    (record): record is BatchRecord => record !== undefined,
  );
  const ready = records
    .flatMap((record) => record.users)
    .filter((u) => u.result.kind === 'moved' && u.verified && !u.cleanedUp);
  if (ready.length === 0) return counts;
  const planned = new Map(batches.flatMap((b) => b.users).map((user) => [user.userId.toLowerCase(), user]));
  const current = await readUsers(
    deps,
    ready.map((user) => user.userId),
  );
  const items: AssignLicenseItem[] = [];
  for (const user of ready) {
    const plannedUser = planned.get(user.userId.toLowerCase());
    const now = current.get(user.userId.toLowerCase());
    if (!plannedUser || !now) continue;
    const change = pendingChange(plannedUser, now, 'removeLater');
    if (change.kind === 'assign')
      items.push({ userId: user.userId, addLicenses: [], removeLicenses: change.removeLicenses });
  }
  const results = items.length > 0 ? await deps.graph.assignLicenses(items, { budgetShare: input.budgetShare }) : [];
  const byResult = new Map(results.map((result) => [result.userId, result]));
  for (const user of ready) {
    const result = byResult.get(user.userId);
    counts.throttled += result?.throttled ?? 0;
    if (result && !result.ok) {
      const failure = failed(result.error);
      if (failure.kind === 'failed') {
        failure.message = `the new license was added but the old one could not be removed: ${failure.message}`;
      }
      user.result = failure;
      counts.failed += 1;
      continue;
    }
    if (result?.ok && user.result.kind === 'moved') user.result.after = result.after;
    user.cleanedUp = true;
    counts.moved += 1;
  }
  await Promise.all(records.map((record) => docs.saveBatch(record)));
  return counts;
}

function graphErrorInfo(error: unknown): GraphErrorInfo {
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

function reportBatch(
  deps: ActivityDeps,
  input: BatchInput,
  planBatch: PlanBatch,
  records: Map<string, UserRecord>,
  counts: BatchCounts,
  durationMs: number,
  results: AssignLicenseResult[],
): void {
  deps.telemetry.event(TelemetryEvents.BatchCompleted, {
    migrationId: input.migrationId,
    wave: input.wave,
    batch: planBatch.batch,
    moved: counts.moved,
    failed: counts.failed,
    skipped: counts.skipped,
    throttled: counts.throttled,
    durationMs,
  });
  const upnById = new Map(planBatch.users.map((user) => [user.userId, user.userPrincipalName]));
  for (const record of records.values()) {
    if (record.result.kind !== 'failed') continue;
    const user = { id: record.userId, userPrincipalName: upnById.get(record.userId) ?? '' };
    deps.telemetry.event(TelemetryEvents.UserFailed, {
      migrationId: input.migrationId,
      ...userIdentity(deps.settings.includeUpnInTelemetry, user),
      errorClass: record.result.errorClass,
      graphCode: record.result.graphErrorCode,
      requestId: record.result.requestId,
    });
  }
  const properties = { migrationId: input.migrationId };
  if (counts.moved > 0) deps.telemetry.metric(TelemetryMetrics.UsersMoved, counts.moved, properties);
  if (counts.failed > 0) deps.telemetry.metric(TelemetryMetrics.UsersFailed, counts.failed, properties);
  if (counts.throttled > 0) deps.telemetry.metric(TelemetryMetrics.Throttled, counts.throttled, properties);
  const writes = results.reduce((sum, result) => sum + result.attempts, 0);
  if (writes > 0 && durationMs > 0)
    deps.telemetry.metric(TelemetryMetrics.WritesPerSecond, (writes * 1000) / durationMs, properties);
}

export type { BatchRecord };
