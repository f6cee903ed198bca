/** Runs one phase (reassign, verify or cleanup) over a plan's waves, one sub-orchestration per wave. */
import type { Task } from 'durable-functions';
import {
  addBatchCounts,
  emptyBatchCounts,
  waveInstanceId,
  WAVE_ORCHESTRATOR,
  type BatchCounts,
  type Phase,
  type WaveInput,
  type WaveRef,
  type WaveResult,
} from '../domain/workflow';
import { callSubOrchestrator } from './calls';
import type { MigrationRun } from './run';

/** Batch activities running at once; each gets 1/BATCH_CONCURRENCY of the tenant's write budget. */
export const BATCH_CONCURRENCY = 8;

export type PhaseResult = WaveResult & { wavesRun: number };

/** Stops early when a wave says so (cancel, failure budget, closed window); reassign progress is published per wave. */
export function* runWaves(run: MigrationRun, phase: Phase, waves: WaveRef[]): Generator<Task, PhaseResult, unknown> {
  const { counts, options } = run;
  let total: BatchCounts = emptyBatchCounts();
  const base = { moved: counts.moved, failed: counts.failed, done: counts.done };
  let carry: WaveResult['carry'];
  for (const [index, wave] of waves.entries()) {
    run.publish({ currentWave: wave.wave });
    const input: WaveInput = {
      migrationId: run.migrationId,
      phase,
      batchSize: options.batchSize,
      wave,
      concurrency: BATCH_CONCURRENCY,
      maxFailureRate: options.maxFailureRate,
      attemptedBefore: total.moved + total.failed,
      failedBefore: total.failed,
      notAfter: phase === 'reassign' ? options.notAfter : undefined,
    };
    if (phase === 'reassign') {
      // Throttled users are handed back and sent by later activities instead of being waited for (wave.ts).
      input.deferThrottled = true;
      input.last = index === waves.length - 1;
      if (carry) input.carry = carry;
    }
    const instanceId = waveInstanceId(run.migrationId, phase, wave.wave);
    const result = yield* callSubOrchestrator(run.context, WAVE_ORCHESTRATOR, input, instanceId);
    total = addBatchCounts(total, result.counts);
    carry = result.carry;
    if (phase === 'reassign') {
      counts.moved = base.moved + total.moved;
      counts.failed = base.failed + total.failed;
      counts.done = base.done + total.moved + total.failed + total.skipped;
      run.publish({});
    }
    if (result.stopReason) {
      const skippedWaves = waves.filter((w) => w.wave > wave.wave);
      total.notAttempted += skippedWaves.reduce((sum, w) => sum + w.users, 0);
      return { counts: total, stopReason: result.stopReason, wavesRun: wave.wave + 1 };
    }
  }
  return { counts: total, wavesRun: waves.length };
}
