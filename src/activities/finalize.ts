import { currentIso } from '../clock';
import type { FinalizeInput, StageRecord } from '../domain/workflow';
import { summariseStoredReport } from '../reports/assemble';
import { errorMessage } from '../domain/values';
import { ledgerFor } from '../ledger';
import { TelemetryEvents } from '../telemetry';
import { documentsFor, type ActivityDeps } from './deps';

/** Stage 6–7: seats freed per source SKU, what can be cancelled, and the stored report summary. */
export async function finalizeMigration(deps: ActivityDeps, input: FinalizeInput): Promise<void> {
  const docs = documentsFor(deps, input.migrationId);
  const stored = await docs.request();
  // Folded a wave at a time: holding every row of a 100,000-user run was the run's highest memory.
  const summary = (await summariseStoredReport(docs, stored?.request.dryRun ?? false, () =>
    deps.graph.listSubscribedSkus(),
  )) ?? { total: 0, byOutcome: { moved: 0, skipped: 0, blocked: 0, failed: 0 }, byMove: [], sourceSkus: [] };
  await releaseSeats(deps, input.migrationId);
  await docs.saveReport({
    status: input.status,
    message: input.message,
    counts: input.counts,
    summary,
    finishedAt: currentIso(deps.clock),
  });
  deps.telemetry.event(TelemetryEvents.MigrationFinished, {
    migrationId: input.migrationId,
    outcome: input.status,
    total: input.counts.total,
    moved: input.counts.moved,
    failed: input.counts.failed,
    skipped: input.counts.skipped,
    blocked: input.counts.blocked,
    message: input.message,
  });
  deps.log.info('Migration finished', { migrationId: input.migrationId, status: input.status, ...input.counts });
}

/**
 * The run's seat reservation goes when it ends, however it ends. A failure here is only logged: a reservation its run
 * no longer renews expires by itself (src/ledger/document.ts).
 */
async function releaseSeats(deps: ActivityDeps, migrationId: string): Promise<void> {
  try {
    await ledgerFor(deps).releaseReservation(migrationId);
  } catch (error) {
    deps.log.warn('Could not release the run’s seat reservation; it expires by itself', {
      migrationId,
      error: errorMessage(error),
    });
  }
}

/**
 * Records a stage change for monitoring (telemetry is sent from activities only, never from replayed code) and for the
 * console's stage timeline (one small document per stage, with the instant it was entered).
 */
export async function recordStage(deps: ActivityDeps, input: StageRecord): Promise<void> {
  deps.telemetry.event(TelemetryEvents.StageChanged, {
    migrationId: input.migrationId,
    stage: input.stage,
    status: input.status,
  });
  deps.log.info(`Stage ${input.stage}`, { migrationId: input.migrationId, status: input.status });
  await documentsFor(deps, input.migrationId).saveStage({
    stage: input.stage,
    status: input.status,
    at: currentIso(deps.clock),
  });
}
