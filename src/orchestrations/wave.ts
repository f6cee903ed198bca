/**
 * One wave of a migration phase: up to BATCHES_PER_WAVE batches, in activities of `batchesPerActivity` batches,
 * `concurrency` at a time. A sub-orchestration per wave keeps every history bounded however many users a run has.
 *
 * While reassigning, an activity hands back users Graph throttled (a stray 429 holds back only its own request)
 * instead of idling through their Retry-After: the round ends when the other users are done, and the next round's
 * activities send the handed-back users alongside their own, while the budget is busy with them. Ranges still holding
 * such users at the end of a wave go to the next wave; after the last one, activities of their own send them and wait.
 */
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import {
  addBatchCounts,
  BATCHES_PER_ACTIVITY,
  emptyBatchCounts,
  failureBudgetExceeded,
  type ActivityName,
  type BatchCounts,
  type BatchInput,
  type BatchRange,
  type CarriedRange,
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

/** One activity of a round: its own plan batches (none when it only sends handed-back users) and carried ranges. */
interface Slot {
  range: BatchRange;
  carried: CarriedRange[];
}

/** Counts so far and the ranges with users handed back, oldest first. */
class WaveState {
  counts: BatchCounts = emptyBatchCounts();
  pending: CarriedRange[];
  readonly carriedInUsers: number;

  constructor(readonly input: WaveInput) {
    this.pending = (input.carry ?? []).map((range) => ({ ...range, counted: { ...range.counted } }));
    this.carriedInUsers = this.pending.reduce((sum, range) => sum + range.pending, 0);
  }

  /** Hands every pending range to the round's activities in turn. */
  distribute(slots: Slot[]): void {
    this.pending.forEach((range, i) => slots[i % slots.length]?.carried.push(range));
    this.pending = [];
  }

  absorb(slot: Slot, result: BatchCounts): void {
    this.counts = addBatchCounts(this.counts, result);
    if (slot.range.batchCount > 0 && (result.deferred ?? 0) > 0) {
      const { moved, failed, skipped } = result;
      this.pending.push({ ...slot.range, counted: { moved, failed, skipped }, pending: result.deferred ?? 0 });
    }
    slot.carried.forEach((range, i) => {
      const now = result.carried?.[i];
      if (now) {
        this.counts.moved += now.moved - range.counted.moved;
        this.counts.failed += now.failed - range.counted.failed;
        this.counts.skipped += now.skipped - range.counted.skipped;
        range.counted = { moved: now.moved, failed: now.failed, skipped: now.skipped };
        range.pending = now.deferred;
      }
      if (range.pending > 0) this.pending.push(range);
    });
  }

  get pendingUsers(): number {
    return this.pending.reduce((sum, range) => sum + range.pending, 0);
  }
}

export const migrationWaveOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<WaveInput>();
  const state = new WaveState(input);
  const units = unitsOf(input);
  let stopReason: StopReason | undefined;
  for (let first = 0; first < units.length && !stopReason; first += input.concurrency) {
    if (windowClosed(context, input)) {
      stopReason = 'windowClosed';
      break;
    }
    const slots: Slot[] = units.slice(first, first + input.concurrency).map((range) => ({ range, carried: [] }));
    state.distribute(slots);
    yield* runRound(context, state, slots);
    const done = units.slice(0, first + slots.length).reduce((sum, unit) => sum + unit.batchCount, 0);
    publish(context, state, done);
    stopReason = stopAfterRound(input, state.counts);
  }
  if (!stopReason && input.last && state.pending.length > 0) stopReason = yield* sweep(context, state);
  // Over the failure budget no new batch starts, but handed-back users belong to batches already started: they are
  // sent, as a batch's own throttled users were before hand-backs, so each has a result of its own.
  if (stopReason === 'failureRate' && state.pending.length > 0)
    stopReason = (yield* sweep(context, state, false)) ?? stopReason;
  return finish(state, stopReason);
};

/**
 * Activities of their own send the users still handed back, waiting out any Retry-After: after the last wave, or
 * when the failure budget stops the run (`stopOnFailures` false: only a cancel or the window's end stops this).
 */
function* sweep(
  context: OrchestrationContext,
  state: WaveState,
  stopOnFailures = true,
): Generator<Task, StopReason | undefined, unknown> {
  const { input } = state;
  while (state.pending.length > 0) {
    if (windowClosed(context, input)) return 'windowClosed';
    const before = state.pendingUsers;
    const ranges = state.pending.splice(0, input.concurrency);
    const slots = ranges.map((range) => ({ range: { ...range, batchCount: 0 }, carried: [range] }));
    yield* runRound(context, state, slots, false);
    publish(context, state, input.wave.batchCount);
    const stop = stopAfterRound(input, state.counts);
    if (stop === 'cancelled' || (stop && stopOnFailures)) return stop;
    // Nothing moved on (an activity that keeps handing users back): leave them for a later run, never loop.
    if (state.pendingUsers >= before) break;
  }
  return undefined;
}

function* runRound(
  context: OrchestrationContext,
  state: WaveState,
  slots: Slot[],
  defer = state.input.deferThrottled === true,
): Generator<Task, void, unknown> {
  const tasks = slots.map((slot) =>
    activityTask(
      context,
      ACTIVITY_FOR_PHASE[state.input.phase],
      batchInput(state.input, slot, slots.length, defer),
      batchRetry,
    ),
  );
  const results = yield* whenAll(context, tasks);
  results.forEach((result, i) => {
    const slot = slots[i];
    if (slot) state.absorb(slot, result);
  });
}

function publish(context: OrchestrationContext, state: WaveState, batchesDone: number): void {
  const { wave, phase } = state.input;
  context.df.setCustomStatus({ wave: wave.wave, phase, ...state.counts, batchesDone, batches: wave.batchCount });
}

/** The wave's result: users never reached count as not attempted; ranges still handed back go to the next wave. */
function finish(state: WaveState, stopReason: StopReason | undefined): WaveResult {
  const { counts, input } = state;
  if (stopReason) {
    const accounted = counts.moved + counts.failed + counts.skipped + counts.notAttempted;
    counts.notAttempted += input.wave.users + state.carriedInUsers - accounted;
  } else if (input.last && state.pending.length > 0) {
    counts.notAttempted += state.pendingUsers;
  }
  const result: WaveResult = { counts };
  if (stopReason) result.stopReason = stopReason;
  else if (!input.last && state.pending.length > 0) result.carry = state.pending;
  return result;
}

function windowClosed(context: OrchestrationContext, input: WaveInput): boolean {
  const notAfter = input.notAfter ? Date.parse(input.notAfter) : undefined;
  return notAfter !== undefined && context.df.currentUtcDateTime.getTime() >= notAfter;
}

function unitsOf(input: WaveInput): BatchRange[] {
  const { wave } = input;
  const lastBatch = wave.firstBatch + wave.batchCount;
  const perActivity = input.batchesPerActivity ?? BATCHES_PER_ACTIVITY;
  const units: BatchRange[] = [];
  for (let batch = wave.firstBatch; batch < lastBatch; batch += perActivity) {
    units.push({ wave: wave.wave, batch, batchCount: Math.min(perActivity, lastBatch - batch) });
  }
  return units;
}

function batchInput(input: WaveInput, slot: Slot, activitiesAtOnce: number, defer: boolean): BatchInput {
  const batch: BatchInput = {
    migrationId: input.migrationId,
    phase: input.phase,
    wave: slot.range.wave,
    batch: slot.range.batch,
    batchCount: slot.range.batchCount,
    budgetShare: 1 / activitiesAtOnce,
    batchSize: input.batchSize,
  };
  if (slot.carried.length > 0) {
    batch.carried = slot.carried.map(({ wave, batch: first, batchCount }) => ({ wave, batch: first, batchCount }));
  }
  if (defer) batch.deferThrottled = true;
  return batch;
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
