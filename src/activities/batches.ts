import { pendingChange, verificationProblem } from '../domain/apply';
import type { UserResult } from '../domain/report';
import { skuNameById } from '../domain/skus';
import type { PlannedUser, TenantSku, UserLicenseSnapshot } from '../domain/types';
import { emptyBatchCounts, type BatchCounts, type BatchInput } from '../domain/workflow';
import type { AssignLicenseItem, AssignLicenseResult, GraphErrorInfo } from '../graph';
import type { BatchRecord, MigrationDocuments, UserRecord } from '../storage/migration-documents';
import { TelemetryEvents, TelemetryMetrics } from '../telemetry';
import { documentsFor, type ActivityDeps } from './deps';

interface BatchContext {
  docs: MigrationDocuments;
  planned: PlannedUser[];
  skus: TenantSku[];
  strategy: 'atomic' | 'overlap';
}

async function loadBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchContext> {
  const docs = documentsFor(deps, input.migrationId);
  const [plan, stored] = await Promise.all([docs.plan(), docs.request()]);
  if (!plan || !stored) throw new Error(`Migration ${input.migrationId} has no plan`);
  const wave = plan.waves.find((w) => w.wave === input.wave);
  if (!wave) throw new Error(`Migration ${input.migrationId} has no wave ${input.wave}`);
  const planned = await docs.batchUsers(input.wave, input.batch, wave.firstBatch);
  return { docs, planned, skus: plan.skus, strategy: stored.request.strategy };
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
 * Stage 4 for one batch: re-read the users, send one atomic `assignLicense` per user who still needs it (one `$batch`),
 * and record each user's before and after. Idempotent: a retried batch finds finished users already done.
 */
export async function reassignBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const started = Date.now();
  const counts = emptyBatchCounts();
  const { docs, planned } = await loadBatch(deps, input);
  const control = await docs.control();
  if (control?.cancelRequested) {
    counts.notAttempted = planned.length;
    counts.cancelled = true;
    return counts;
  }

  const { found } = await deps.graph.getUsersByIds(planned.map((user) => user.userId));
  const current = new Map(found.map((user) => [user.id.toLowerCase(), user]));
  const records = new Map<string, UserRecord>();
  const items: AssignLicenseItem[] = [];

  for (const user of planned) {
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
        const info = graphErrorInfo(error);
        records.set(user.userId, { userId: user.userId, before, result: failed(info) });
        continue;
      }
    }
    records.set(user.userId, { userId: user.userId, before, result: { kind: 'notAttempted', reason: 'pending' } });
    items.push({ userId: user.userId, addLicenses: change.addLicenses, removeLicenses: change.removeLicenses });
  }

  const results = items.length > 0 ? await deps.graph.assignLicenses(items, { budgetShare: input.budgetShare }) : [];
  for (const result of results) {
    const record = records.get(result.userId);
    if (!record) continue;
    counts.throttled += result.throttled;
    record.result = result.ok ? { kind: 'moved', after: result.after } : failed(result.error);
  }
  for (const record of records.values()) {
    if (record.result.kind === 'moved') counts.moved += 1;
    else if (record.result.kind === 'failed') counts.failed += 1;
    else counts.skipped += 1;
  }
  await docs.saveBatch({ batch: input.batch, users: [...records.values()] });
  reportBatch(deps, input, planned, records, counts, Date.now() - started, results);
  return counts;
}

/** Stage 5 for one batch: re-read moved users and confirm the target is active and the source gone. */
export async function verifyBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const counts = emptyBatchCounts();
  const { docs, planned, skus, strategy } = await loadBatch(deps, input);
  const record = await docs.batch(input.batch);
  if (!record) return counts;
  const moved = record.users.filter((user) => user.result.kind === 'moved' && !user.verified);
  if (moved.length === 0) return counts;
  const byId = new Map(planned.map((user) => [user.userId, user]));
  const nameOf = (skuId: string): string => skuNameById(skuId, skus);
  const check = async (ids: string[]): Promise<Map<string, string | undefined>> => {
    const { found } = await deps.graph.getUsersByIds(ids);
    const problems = new Map<string, string | undefined>(
      ids.map((id) => [id, 'the user no longer exists in this tenant']),
    );
    for (const user of found) {
      const plannedUser =
        byId.get(user.id) ?? [...byId.values()].find((p) => p.userId.toLowerCase() === user.id.toLowerCase());
      if (!plannedUser) continue;
      problems.set(plannedUser.userId, verificationProblem(plannedUser, user, { expectRemovedLater: false }, nameOf));
    }
    return problems;
  };
  let problems = await check(moved.map((user) => user.userId));
  const doubtful = [...problems].filter(([, problem]) => problem !== undefined).map(([id]) => id);
  if (doubtful.length > 0) {
    // Directory reads can lag a write by a moment; look once more before calling a change failed.
    await deps.sleep(2_000);
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
  await docs.saveBatch(record);
  if (counts.failed > 0) {
    deps.log.warn('Verification found users not in the planned state', {
      migrationId: input.migrationId,
      batch: input.batch,
      failed: counts.failed,
      strategy,
    });
  }
  return counts;
}

/** Stage 6 (overlap): remove the source licenses from users whose target is verified. */
export async function cleanupBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const counts = emptyBatchCounts();
  const { docs, planned } = await loadBatch(deps, input);
  const record = await docs.batch(input.batch);
  if (!record) return counts;
  const ready = record.users.filter((user) => user.result.kind === 'moved' && user.verified && !user.cleanedUp);
  if (ready.length === 0) return counts;
  const byId = new Map(planned.map((user) => [user.userId.toLowerCase(), user]));
  const { found } = await deps.graph.getUsersByIds(ready.map((user) => user.userId));
  const items: AssignLicenseItem[] = [];
  for (const user of found) {
    const plannedUser = byId.get(user.id.toLowerCase());
    if (!plannedUser) continue;
    const change = pendingChange(plannedUser, user, 'removeLater');
    if (change.kind === 'assign')
      items.push({ userId: plannedUser.userId, addLicenses: [], removeLicenses: change.removeLicenses });
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
  await docs.saveBatch(record);
  return counts;
}

function graphErrorInfo(error: unknown): GraphErrorInfo {
  if (error && typeof error === 'object' && 'info' in error) return (error as { info: GraphErrorInfo }).info;
  const message = error instanceof Error ? error.message : String(error);
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
  planned: PlannedUser[],
  records: Map<string, UserRecord>,
  counts: BatchCounts,
  durationMs: number,
  results: AssignLicenseResult[],
): void {
  deps.telemetry.event(TelemetryEvents.BatchCompleted, {
    migrationId: input.migrationId,
    wave: input.wave,
    batch: input.batch,
    moved: counts.moved,
    failed: counts.failed,
    skipped: counts.skipped,
    throttled: counts.throttled,
    durationMs,
  });
  const upnById = new Map(planned.map((user) => [user.userId, user.userPrincipalName]));
  for (const record of records.values()) {
    if (record.result.kind !== 'failed') continue;
    deps.telemetry.event(TelemetryEvents.UserFailed, {
      migrationId: input.migrationId,
      userId: record.userId,
      userPrincipalName: deps.includeUpnInTelemetry ? upnById.get(record.userId) : undefined,
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
