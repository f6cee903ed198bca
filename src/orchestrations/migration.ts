/**
 * The migration orchestrator: plan → approval → purchase check and wait → reassign (waves) → verify → cleanup →
 * report. Deterministic: every side effect is an activity, time comes from the durable context, and only counts and
 * references travel through the history (the plan, results and report live in blob storage).
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { formatDuration, parseIsoDuration } from '../domain/duration';
import type { MigrationCounts, MigrationStatus } from '../domain/types';
import {
  Activities,
  MigrationEvents,
  Orchestrators,
  addBatchCounts,
  emptyBatchCounts,
  nextPollDelayMs,
  waveInstanceId,
  type ApprovalDecision,
  type BatchCounts,
  type FinalizeInput,
  type LicenseCheckInput,
  type LicenseCheckResult,
  type MigrationCustomStatus,
  type MigrationInput,
  type MigrationOutput,
  type Phase,
  type PlanOutcome,
  type WaitingFor,
  type WaveInput,
  type WaveRef,
  type WaveResult,
} from '../domain/workflow';

/** Batch activities running at once; each gets 1/BATCH_CONCURRENCY of the tenant's write budget. */
export const BATCH_CONCURRENCY = 8;

/** Activities that only read or record are retried by the host on transient failures. */
const readRetry = new df.RetryOptions(5_000, 4);
readRetry.backoffCoefficient = 2;

type Counts = MigrationCounts & { toChange: number };

const HELP =
  'If this is unexpected, check the subscriptions in the Microsoft 365 admin center (https://admin.microsoft.com/#/subscriptions) ' +
  'or open a support request there with this migration id.';

export const migrationOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<MigrationInput>();
  const { migrationId, options } = input;
  const now = (): string => context.df.currentUtcDateTime.toISOString();

  const counts: Counts = { total: 0, toChange: 0, done: 0, moved: 0, skipped: 0, failed: 0, blocked: 0 };
  let status: MigrationCustomStatus = { status: 'planning', stage: 'plan', counts, stageStartedAt: now() };
  const publish = (patch: Partial<MigrationCustomStatus>): void => {
    status = { ...status, ...patch, counts: { ...counts } };
    context.df.setCustomStatus(status);
  };
  function* enterStage(next: MigrationStatus, stage: string): Generator<Task, void, unknown> {
    publish({ status: next, stage, stageStartedAt: now(), waitingFor: undefined, message: undefined });
    yield context.df.callActivityWithRetry(Activities.recordStage, readRetry, { migrationId, status: next, stage });
  }
  function* finish(final: MigrationStatus, message: string | undefined, remaining: number) {
    // The final status becomes visible with the output, once the report summary is stored: a client that sees
    // "completed" can read the whole report at once.
    publish({ stage: 'report' });
    const finalize: FinalizeInput = { migrationId, status: final, counts: { ...counts }, message };
    yield context.df.callActivityWithRetry(Activities.finalize, readRetry, finalize);
    const output: MigrationOutput = { status: final, counts: { ...counts }, remaining };
    if (message !== undefined) output.message = message;
    return output;
  }

  // Stages that find the tenant not ready (target not bought yet, too few seats, suspended) wait on durable timers
  // with back-off, wake early on `recheck`, stop on `cancel`, and give up at one deadline for the whole run.
  const pollInterval = parseIsoDuration(options.waitForLicenses.pollInterval);
  const waitTimeout = parseIsoDuration(options.waitForLicenses.timeout);
  let waitStart: number | undefined;
  let waitAttempt = 0;
  function* waitBeforeRetry(reasons: string[]): Generator<Task, 'retry' | 'cancelled' | 'timedOut', unknown> {
    const nowMs = context.df.currentUtcDateTime.getTime();
    waitStart ??= nowMs;
    const deadline = waitStart + waitTimeout;
    if (nowMs >= deadline) return 'timedOut';
    const nextCheck = Math.min(nowMs + nextPollDelayMs(pollInterval, waitAttempt), deadline);
    waitAttempt += 1;
    const waitingFor: WaitingFor = {
      reason: reasons.join('; '),
      reasons,
      since: new Date(waitStart).toISOString(),
      nextCheckAt: new Date(nextCheck).toISOString(),
      deadline: new Date(deadline).toISOString(),
    };
    publish({ status: 'waitingForLicenses', waitingFor });
    const timer = context.df.createTimer(new Date(nextCheck));
    const recheck = context.df.waitForExternalEvent(MigrationEvents.recheck);
    const cancel = context.df.waitForExternalEvent(MigrationEvents.cancel);
    const woke = (yield context.df.Task.any([timer, recheck, cancel])) as Task;
    if (woke !== timer) timer.cancel();
    return woke === cancel ? 'cancelled' : 'retry';
  }
  const gaveUp = (reason: string): string =>
    `Gave up waiting for licenses after ${formatDuration(context.df.currentUtcDateTime.getTime() - (waitStart ?? 0))}: ${reason}. Nobody was changed. ${HELP}`;

  // 1. Plan (waiting first if a target named by id has not been bought for this tenant yet).
  yield* enterStage('planning', 'plan');
  let plan: PlanOutcome;
  for (;;) {
    plan = (yield context.df.callActivityWithRetry(Activities.plan, readRetry, migrationId)) as PlanOutcome;
    if (plan.ok || !plan.missingTargets) break;
    const waited = yield* waitBeforeRetry([plan.reason]);
    if (waited === 'cancelled')
      return yield* finish('cancelled', 'Cancelled while waiting for licenses: nobody was changed.', 0);
    if (waited === 'timedOut') return yield* finish('needsAttention', gaveUp(plan.reason), 0);
    publish({ status: 'planning', waitingFor: undefined });
  }
  if (!plan.ok) return yield* finish('failed', plan.reason, 0);
  const summary = plan.summary;
  counts.total = summary.total;
  counts.toChange = summary.toChange;
  counts.skipped = summary.skipped;
  counts.blocked = summary.blocked;
  counts.done = summary.skipped + summary.blocked;
  publish({ waves: plan.waves.length });

  if (options.dryRun) return yield* finish('completed', 'Dry run: nothing was changed. The report is the plan.', 0);
  if (summary.needsDataLossAcknowledgement) {
    const lost = summary.downgrades
      .map(
        (d) =>
          `${d.fromSkuPartNumber} → ${d.toSkuPartNumber} loses ${d.lostPlans
            .filter((p) => p.holdsData)
            .map((p) => p.servicePlanName)
            .join(', ')}`,
      )
      .join('; ');
    return yield* finish(
      'needsAttention',
      `This move is a downgrade that loses services holding data (${lost}). Back up that data, then start the migration again with acknowledgeDataLoss: true. Nothing was changed.`,
      summary.toChange,
    );
  }
  if (summary.toChange === 0) {
    return yield* finish(
      'completed',
      'Nobody needs a change: every user is already done, skipped or blocked.',
      plan.remaining,
    );
  }

  // 2. Approval.
  if (options.requireApproval) {
    yield* enterStage('awaitingApproval', 'approval');
    const deadline = new Date(context.df.currentUtcDateTime.getTime() + parseIsoDuration(options.approvalTimeout));
    const approvalEvent = context.df.waitForExternalEvent(MigrationEvents.approval);
    const cancelEvent = context.df.waitForExternalEvent(MigrationEvents.cancel);
    const timeout = context.df.createTimer(deadline);
    const winner = (yield context.df.Task.any([approvalEvent, cancelEvent, timeout])) as Task;
    if (winner !== timeout) timeout.cancel();
    if (winner === timeout) {
      return yield* finish(
        'cancelled',
        `No approval within ${formatDuration(parseIsoDuration(options.approvalTimeout))}: nothing was changed.`,
        summary.toChange,
      );
    }
    if (winner === cancelEvent)
      return yield* finish('cancelled', 'Cancelled before approval: nothing was changed.', summary.toChange);
    const decision = (approvalEvent.result ?? { approved: false }) as ApprovalDecision;
    const who = decision.by ? ` by ${decision.by}` : '';
    const why = decision.reason ? `: ${decision.reason}` : '';
    if (!decision.approved)
      return yield* finish('rejected', `Rejected${who}${why}. Nothing was changed.`, summary.toChange);
    publish({ message: `Approved${who}${why}.` });
  }

  // 3. Purchase check, then wait and retry until the licenses are there.
  yield* enterStage('waitingForLicenses', 'purchaseCheck');
  const sourceSkuIds = summary.moves.flatMap((move) => (move.fromSkuId ? [move.fromSkuId] : []));
  let previousReason: string | undefined;
  for (;;) {
    const checkInput: LicenseCheckInput = {
      migrationId,
      seatsNeeded: summary.seatsNeeded,
      sourceSkuIds,
      previousReason,
    };
    const check = (yield context.df.callActivityWithRetry(
      Activities.checkLicenses,
      readRetry,
      checkInput,
    )) as LicenseCheckResult;
    if (check.ready) {
      if (check.notes.length > 0) publish({ message: check.notes.join('; ') });
      break;
    }
    previousReason = check.reasons.join('; ');
    const waited = yield* waitBeforeRetry(check.reasons);
    if (waited === 'cancelled') {
      return yield* finish('cancelled', 'Cancelled while waiting for licenses: nobody was changed.', summary.toChange);
    }
    if (waited === 'timedOut') return yield* finish('needsAttention', gaveUp(previousReason), summary.toChange);
  }

  // 4. Reassign in waves.
  yield* enterStage('reassigning', 'reassign');
  const reassigned = yield* runWaves(context, 'reassign', plan.waves, input, counts, publish);
  counts.moved = reassigned.counts.moved;
  counts.failed = reassigned.counts.failed;
  counts.skipped = summary.skipped + reassigned.counts.skipped + reassigned.counts.notAttempted;
  counts.done = counts.moved + counts.failed + counts.skipped + counts.blocked;

  // 5. Verify what was changed, 6. clean up (overlap) — also after a stop, so the report is consistent.
  const reachedWaves = plan.waves.slice(0, reassigned.wavesRun);
  if (counts.moved > 0) {
    yield* enterStage('verifying', 'verify');
    const verified = yield* runWaves(context, 'verify', reachedWaves, input, counts, publish);
    counts.moved -= verified.counts.failed;
    counts.failed += verified.counts.failed;
    if (options.strategy === 'overlap') {
      yield* enterStage('cleaningUp', 'cleanup');
      const cleaned = yield* runWaves(context, 'cleanup', reachedWaves, input, counts, publish);
      counts.moved -= cleaned.counts.failed;
      counts.failed += cleaned.counts.failed;
    }
  }

  const remaining = plan.remaining + reassigned.counts.notAttempted;
  const stop = reassigned.stopReason;
  if (stop === 'cancelled') {
    return yield* finish(
      'cancelled',
      `Cancelled: ${counts.moved} moved before the cancel; ${reassigned.counts.notAttempted} not started.`,
      remaining,
    );
  }
  if (stop === 'failureRate') {
    return yield* finish(
      'needsAttention',
      `Stopped starting new batches: ${counts.failed} of ${counts.moved + counts.failed} changes failed, over the allowed ${Math.round(options.maxFailureRate * 100)} %. See the report for each user's reason.`,
      remaining,
    );
  }
  const windowNote =
    stop === 'windowClosed' ? ` The window closed: ${reassigned.counts.notAttempted} users wait for the next one.` : '';
  const final: MigrationStatus = counts.failed > 0 ? 'completedWithErrors' : 'completed';
  return yield* finish(
    final,
    `${counts.moved} moved, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.blocked} blocked.${windowNote}`,
    remaining,
  );
};

/** Runs one phase over every wave, one sub-orchestration per wave, stopping early when a wave says so. */
function* runWaves(
  context: OrchestrationContext,
  phase: Phase,
  waves: WaveRef[],
  input: MigrationInput,
  counts: Counts,
  publish: (patch: Partial<MigrationCustomStatus>) => void,
): Generator<Task, WaveResult & { wavesRun: number }, unknown> {
  let total: BatchCounts = emptyBatchCounts();
  const base = { moved: counts.moved, failed: counts.failed, done: counts.done };
  for (const wave of waves) {
    publish({ currentWave: wave.wave });
    const waveInput: WaveInput = {
      migrationId: input.migrationId,
      phase,
      batchSize: input.options.batchSize,
      wave,
      concurrency: BATCH_CONCURRENCY,
      maxFailureRate: input.options.maxFailureRate,
      attemptedBefore: total.moved + total.failed,
      failedBefore: total.failed,
      notAfter: phase === 'reassign' ? input.options.notAfter : undefined,
    };
    const result = (yield context.df.callSubOrchestrator(
      Orchestrators.wave,
      waveInput,
      waveInstanceId(input.migrationId, phase, wave.wave),
    )) as WaveResult;
    total = addBatchCounts(total, result.counts);
    if (phase === 'reassign') {
      counts.moved = base.moved + total.moved;
      counts.failed = base.failed + total.failed;
      counts.done = base.done + total.moved + total.failed + total.skipped;
      publish({});
    }
    if (result.stopReason) {
      const skippedWaves = waves.filter((w) => w.wave > wave.wave);
      total.notAttempted += skippedWaves.reduce((sum, w) => sum + w.users, 0);
      return { counts: total, stopReason: result.stopReason, wavesRun: wave.wave + 1 };
    }
  }
  return { counts: total, wavesRun: waves.length };
}
