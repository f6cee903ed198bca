/**
 * One wave of a migration phase: up to BATCHES_PER_WAVE batches, `concurrency` activities at a time. A
 * sub-orchestration per wave keeps every history bounded however many users a migration has.
 */
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  addBatchCounts,
  BATCHES_PER_ACTIVITY,
  emptyBatchCounts,
  failureBudgetExceeded,
  type ActivityName,
  type BatchCounts,
  type BatchInput,
  type Phase,
  type StopReason,
  type WaveInput,
  type WaveResult,
} from '../domain/workflow';
import { activityTask, batchRetry, whenAll } from './calls';

const ACTIVITY_FOR_PHASE = {
  reassign: 'reassignBatch',
  verify: 'verifyBatch',
  cleanup: 'cleanupBatch',
} as const satisfies Record<Phase, ActivityName>;

/** Consecutive plan batches handled by one activity. */
interface Unit {
  batch: number;
  batchCount: number;
}

export const migrationWaveOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<WaveInput>();
  const { wave, concurrency } = input;
  let counts: BatchCounts = emptyBatchCounts();
  let stopReason: StopReason | undefined;
  const notAfter = input.notAfter ? Date.parse(input.notAfter) : undefined;
  const units = unitsOf(input);

  for (let first = 0; first < units.length; first += concurrency) {
    if (notAfter !== undefined && context.df.currentUtcDateTime.getTime() >= notAfter) {
      stopReason = 'windowClosed';
      break;
    }
    const chunk = units.slice(first, first + concurrency);
    const tasks = chunk.map((unit) =>
      activityTask(context, ACTIVITY_FOR_PHASE[input.phase], batchInput(input, unit, chunk.length), batchRetry),
    );
    const results = yield* whenAll(context, tasks);
    for (const result of results) counts = addBatchCounts(counts, result);
    const last = chunk[chunk.length - 1];
    context.df.setCustomStatus({
      wave: wave.wave,
      phase: input.phase,
      ...counts,
      batchesDone: last ? last.batch + last.batchCount - wave.firstBatch : 0,
      batches: wave.batchCount,
    });
    stopReason = stopAfterRound(input, counts);
    if (stopReason) break;
  }
  if (stopReason)
    counts.notAttempted += wave.users - (counts.moved + counts.failed + counts.skipped + counts.notAttempted);
  const result: WaveResult = { counts };
  if (stopReason) result.stopReason = stopReason;
  return result;
};

function unitsOf(input: WaveInput): Unit[] {
  const { wave } = input;
  const lastBatch = wave.firstBatch + wave.batchCount;
  const units: Unit[] = [];
  for (let batch = wave.firstBatch; batch < lastBatch; batch += BATCHES_PER_ACTIVITY) {
    units.push({ batch, batchCount: Math.min(BATCHES_PER_ACTIVITY, lastBatch - batch) });
  }
  return units;
}

function batchInput(input: WaveInput, unit: Unit, activitiesAtOnce: number): BatchInput {
  return {
    migrationId: input.migrationId,
    phase: input.phase,
    wave: input.wave.wave,
    batch: unit.batch,
    batchCount: unit.batchCount,
    budgetShare: 1 / activitiesAtOnce,
    batchSize: input.batchSize,
  };
}

/** A cancel stops the wave; so does a failure rate over the run's budget while reassigning. */
function stopAfterRound(input: WaveInput, counts: BatchCounts): StopReason | undefined {
  if (counts.cancelled) return 'cancelled';
  const attempted = input.attemptedBefore + counts.moved + counts.failed;
  const failed = input.failedBefore + counts.failed;
  if (input.phase === 'reassign' && failureBudgetExceeded(attempted, failed, input.maxFailureRate))
    return 'failureRate';
  return undefined;
}
