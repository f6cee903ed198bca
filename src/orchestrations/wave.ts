/**
 * One wave of a migration phase: up to BATCHES_PER_WAVE batches, `concurrency` at a time. A sub-orchestration per
 * wave keeps every history bounded however many users a migration has.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  Activities,
  BATCHES_PER_ACTIVITY,
  addBatchCounts,
  emptyBatchCounts,
  failureBudgetExceeded,
  type BatchCounts,
  type BatchInput,
  type StopReason,
  type WaveInput,
  type WaveResult,
} from '../domain/workflow';

/**
 * Batch activities are idempotent (each re-reads its users and only makes them hold what the plan says), so the host
 * may retry a batch that crashed or timed out; per-user Graph failures are results, not activity failures.
 */
const batchRetry = new df.RetryOptions(10_000, 3);
batchRetry.backoffCoefficient = 2;

export const migrationWaveOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<WaveInput>();
  const { wave, concurrency } = input;
  let counts: BatchCounts = emptyBatchCounts();
  let stopReason: StopReason | undefined;
  const notAfter = input.notAfter ? Date.parse(input.notAfter) : undefined;
  const lastBatch = wave.firstBatch + wave.batchCount;

  const units: { batch: number; batchCount: number }[] = [];
  for (let batch = wave.firstBatch; batch < lastBatch; batch += BATCHES_PER_ACTIVITY) {
    units.push({ batch, batchCount: Math.min(BATCHES_PER_ACTIVITY, lastBatch - batch) });
  }

  for (let first = 0; first < units.length; first += concurrency) {
    if (notAfter !== undefined && context.df.currentUtcDateTime.getTime() >= notAfter) {
      stopReason = 'windowClosed';
      break;
    }
    const chunk = units.slice(first, first + concurrency);
    const tasks = chunk.map((unit) => {
      const batchInput: BatchInput = {
        migrationId: input.migrationId,
        phase: input.phase,
        wave: wave.wave,
        batch: unit.batch,
        batchCount: unit.batchCount,
        budgetShare: 1 / chunk.length,
        batchSize: input.batchSize,
      };
      return context.df.callActivityWithRetry(activityFor(input.phase), batchRetry, batchInput);
    });
    const results = (yield context.df.Task.all(tasks)) as BatchCounts[];
    for (const result of results) counts = addBatchCounts(counts, result);
    const last = chunk[chunk.length - 1];
    context.df.setCustomStatus({
      wave: wave.wave,
      phase: input.phase,
      ...counts,
      batchesDone: last ? last.batch + last.batchCount - wave.firstBatch : 0,
      batches: wave.batchCount,
    });
    if (counts.cancelled) {
      stopReason = 'cancelled';
      break;
    }
    const attempted = input.attemptedBefore + counts.moved + counts.failed;
    if (
      input.phase === 'reassign' &&
      failureBudgetExceeded(attempted, input.failedBefore + counts.failed, input.maxFailureRate)
    ) {
      stopReason = 'failureRate';
      break;
    }
  }
  if (stopReason)
    counts.notAttempted += wave.users - (counts.moved + counts.failed + counts.skipped + counts.notAttempted);
  const result: WaveResult = { counts };
  if (stopReason) result.stopReason = stopReason;
  return result;
};

function activityFor(phase: WaveInput['phase']): string {
  switch (phase) {
    case 'reassign':
      return Activities.reassignBatch;
    case 'verify':
      return Activities.verifyBatch;
    case 'cleanup':
      return Activities.cleanupBatch;
  }
}
