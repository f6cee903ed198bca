import type { BatchCounts, BatchInput } from '../domain/workflow';
import type { AssignLicenseResult } from '../graph';
import type { UserRecord } from '../storage/migration-documents';
import { TelemetryEvents, TelemetryMetrics, userIdentity } from '../telemetry';
import type { PlanBatch } from './batch-range';
import type { ActivityDeps } from './deps';

/**
 * One BatchCompleted event per plan batch, one UserFailed per failed user, and the batch's metrics. A plan batch
 * with users handed back (`counts.deferred`) is not complete yet: only this pass's throttling and write rate are
 * reported, and the activity that sends its last users reports the rest, so nothing is counted twice.
 */
export function reportBatch(
  deps: ActivityDeps,
  input: BatchInput,
  planBatch: PlanBatch,
  records: Iterable<UserRecord>,
  counts: BatchCounts,
  durationMs: number,
  results: AssignLicenseResult[],
): void {
  const properties = { migrationId: input.migrationId };
  if (counts.throttled > 0) deps.telemetry.metric(TelemetryMetrics.Throttled, counts.throttled, properties);
  const writes = results.reduce((sum, result) => sum + result.attempts, 0);
  if (writes > 0 && durationMs > 0)
    deps.telemetry.metric(TelemetryMetrics.WritesPerSecond, (writes * 1000) / durationMs, properties);
  if ((counts.deferred ?? 0) > 0) return;
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
  for (const record of records) {
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
  if (counts.moved > 0) deps.telemetry.metric(TelemetryMetrics.UsersMoved, counts.moved, properties);
  if (counts.failed > 0) deps.telemetry.metric(TelemetryMetrics.UsersFailed, counts.failed, properties);
}
