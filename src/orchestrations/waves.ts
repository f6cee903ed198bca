/**
 * Runs one phase (reassign, verify or cleanup) over a plan's waves, one sub-orchestration per wave. A phase with more
 * waves than WAVES_PER_GROUP runs them through wave-group sub-orchestrations, so no history holds more than
 * WAVES_PER_GROUP children however many users a run has.
 */
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import {
  addBatchCounts,
  batchesPerActivity,
  emptyBatchCounts,
  waveGroupInstanceId,
  waveGroupsOf,
  waveInstanceId,
  WAVE_GROUP_ORCHESTRATOR,
  WAVE_ORCHESTRATOR,
  type BatchCounts,
  type Phase,
  type PhaseResult,
  type PhaseSettings,
  type WaveGroupInput,
  type WaveGroupStatus,
  type WaveInput,
  type WaveRef,
  type WaveSequenceStart,
} from '../domain/workflow';
import { callSubOrchestrator } from './calls';
import type { MigrationRun } from './run';

/** Batch activities running at once; each gets 1/BATCH_CONCURRENCY of the tenant's write budget. */
export const BATCH_CONCURRENCY = 8;

/** Stops early when a wave says so (cancel, failure budget, closed window); reassign progress is published per child. */
export function* runWaves(run: MigrationRun, phase: Phase, waves: WaveRef[]): Generator<Task, PhaseResult, unknown> {
  const { counts, options } = run;
  const base = { moved: counts.moved, failed: counts.failed, done: counts.done };
  const settings: PhaseSettings = {
    migrationId: run.migrationId,
    phase,
    batchSize: options.batchSize,
    concurrency: BATCH_CONCURRENCY,
    maxFailureRate: options.maxFailureRate,
  };
  if (phase === 'reassign') {
    if (options.notAfter !== undefined) settings.notAfter = options.notAfter;
    // Throttled users are handed back and sent by later activities instead of being waited for (wave.ts).
    settings.deferThrottled = true;
  }
  const layout = run.input.version ?? 1;
  if (layout >= 2) settings.batchesPerActivity = batchesPerActivity(phase);
  const start: WaveSequenceStart = { attemptedBefore: 0, failedBefore: 0, last: true };
  return yield* runWaveSequence(run.context, settings, waves, start, {
    grouped: layout >= 2,
    beforeChild: ({ currentWave, currentGroup }) => run.publish({ currentWave, currentGroup }),
    afterChild: ({ total }) => {
      if (phase !== 'reassign') return;
      counts.moved = base.moved + total.moved;
      counts.failed = base.failed + total.failed;
      counts.done = base.done + total.moved + total.failed + total.skipped;
      run.publish({});
    },
  });
}

/** A wave group: the same sequence as a run's phase, over its own waves (nested groups when it has that many). */
export const migrationWaveGroupOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { settings, waves, start } = context.df.getInput<WaveGroupInput>();
  return yield* runWaveSequence(context, settings, waves, start, {
    grouped: true,
    beforeChild: (status) => context.df.setCustomStatus(status),
  });
};

interface SequenceHooks {
  /** Children are wave groups when there are more waves than WAVES_PER_GROUP (runs started before: never). */
  grouped: boolean;
  /** Before a child starts: the counts of the children before it, and which child runs now. */
  beforeChild(status: WaveGroupStatus & { currentWave: number }): void;
  afterChild?(status: { total: BatchCounts }): void;
}

function* runWaveSequence(
  context: OrchestrationContext,
  settings: PhaseSettings,
  waves: WaveRef[],
  start: WaveSequenceStart,
  hooks: SequenceHooks,
): Generator<Task, PhaseResult, unknown> {
  const children = hooks.grouped ? waveGroupsOf(waves) : waves.map((wave) => [wave]);
  let total: BatchCounts = emptyBatchCounts();
  let carry = start.carry;
  for (const [index, child] of children.entries()) {
    const [first] = child;
    const lastWave = child.at(-1);
    if (!first || !lastWave) continue;
    const childStart: WaveSequenceStart = {
      attemptedBefore: start.attemptedBefore + total.moved + total.failed,
      failedBefore: start.failedBefore + total.failed,
      last: start.last && index === children.length - 1,
    };
    if (carry) childStart.carry = carry;
    const group = child.length > 1 ? waveGroupInstanceId(settings.migrationId, settings.phase, child) : undefined;
    hooks.beforeChild({ counts: { ...total }, currentWave: first.wave, ...(group ? { currentGroup: group } : {}) });
    const result = group
      ? yield* callSubOrchestrator(
          context,
          WAVE_GROUP_ORCHESTRATOR,
          { settings, waves: child, start: childStart },
          group,
        )
      : yield* callWave(context, settings, first, childStart);
    total = addBatchCounts(total, result.counts);
    carry = result.carry;
    hooks.afterChild?.({ total });
    if (result.stopReason) {
      // The child counted its own users never reached; the waves after it were never started.
      const skippedWaves = waves.filter((wave) => wave.wave > lastWave.wave);
      total.notAttempted += skippedWaves.reduce((sum, wave) => sum + wave.users, 0);
      return { counts: total, stopReason: result.stopReason, wavesRun: group ? result.wavesRun : first.wave + 1 };
    }
  }
  const result: PhaseResult = { counts: total, wavesRun: (waves.at(-1)?.wave ?? -1) + 1 };
  if (carry) result.carry = carry;
  return result;
}

function* callWave(
  context: OrchestrationContext,
  settings: PhaseSettings,
  wave: WaveRef,
  start: WaveSequenceStart,
): Generator<Task, PhaseResult, unknown> {
  const input: WaveInput = {
    ...settings,
    wave,
    attemptedBefore: start.attemptedBefore,
    failedBefore: start.failedBefore,
  };
  if (settings.deferThrottled) {
    input.last = start.last;
    if (start.carry) input.carry = start.carry;
  }
  const instanceId = waveInstanceId(settings.migrationId, settings.phase, wave.wave);
  const result = yield* callSubOrchestrator(context, WAVE_ORCHESTRATOR, input, instanceId);
  return { ...result, wavesRun: wave.wave + 1 };
}
