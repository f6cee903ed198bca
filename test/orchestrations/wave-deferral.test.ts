/**
 * Users handed back by a batch activity (Graph throttled them) in a wave (src/orchestrations/wave.ts): the next
 * round's activities send them alongside their own, a wave passes what is left to the next one, and after the last
 * wave activities of their own send the rest and wait. Every user is counted exactly once.
 */
import type { ActivityHandlers } from '../../src/activities';
import type { BatchCounts, BatchInput, RangeState, WaveInput } from '../../src/domain/workflow';
import { batchCounts, callsTo, inputsOf, newMigrationId, stubHostForThisFile } from './support/harness';

const host = stubHostForThisFile();

const BATCH_SIZE = 20;
/** Wave 1 of a plan: batches 80–102, 460 users, handled by activities of 5, 5, 5, 5 and 3 batches. */
const WAVE = { wave: 1, firstBatch: 80, batchCount: 23, users: 23 * BATCH_SIZE };

function waveInput(overrides: Partial<WaveInput> = {}): WaveInput {
  return {
    migrationId: newMigrationId(),
    phase: 'reassign',
    batchSize: BATCH_SIZE,
    wave: WAVE,
    concurrency: 2,
    maxFailureRate: 0.2,
    attemptedBefore: 0,
    failedBefore: 0,
    deferThrottled: true,
    ...overrides,
  };
}

/**
 * A tenant where the first activity for each batch in `throttledAt` hands `handedBack` of its users back; whoever
 * sends them later moves them. Tracks each range's users like the real activity's records.
 */
function throttling(throttledAt: number[], handedBack = 3): Partial<ActivityHandlers> {
  const left = new Map<number, number>();
  const state = (batch: number, batchCount: number): RangeState => ({
    moved: batchCount * BATCH_SIZE - (left.get(batch) ?? 0),
    failed: 0,
    skipped: 0,
    deferred: left.get(batch) ?? 0,
  });
  const reassignBatch = (input: BatchInput): Promise<BatchCounts> => {
    const carried = (input.carried ?? []).map((range) => {
      if (!input.deferThrottled) left.set(range.batch, 0);
      else left.set(range.batch, Math.max(0, (left.get(range.batch) ?? 0) - 2));
      return state(range.batch, range.batchCount);
    });
    if (input.batchCount > 0 && throttledAt.includes(input.batch)) left.set(input.batch, handedBack);
    const own = state(input.batch, input.batchCount);
    const counts = batchCounts({ moved: own.moved });
    if (own.deferred > 0) counts.deferred = own.deferred;
    if (carried.length > 0) counts.carried = carried;
    return Promise.resolve(counts);
  };
  return { reassignBatch };
}

describe('wave orchestrator: users handed back after a 429', () => {
  it("the next round's activities send them alongside their own, and each user is counted once", async () => {
    const run = await host.runWave(throttling([80]), waveInput({ last: true }));
    const inputs = inputsOf(run.calls, 'reassignBatch');
    expect(inputs.map((input) => [input.batch, input.carried?.map((range) => range.batch)])).toEqual([
      [80, undefined],
      [85, undefined],
      [90, [80]],
      [95, undefined],
      // One of batch 80’s users was throttled again in the second round: the third round takes it.
      [100, [80]],
    ]);
    expect(inputs.every((input) => input.deferThrottled === true)).toBe(true);
    expect(run.output).toEqual({ counts: batchCounts({ moved: 460 }) });
  });

  it('after the last wave, users still handed back get activities of their own, which wait out the 429s', async () => {
    const run = await host.runWave(throttling([100]), waveInput({ last: true }));
    const sweep = inputsOf(run.calls, 'reassignBatch').at(-1);
    expect(sweep).toMatchObject({ batch: 100, batchCount: 0, carried: [{ wave: 1, batch: 100, batchCount: 3 }] });
    expect(sweep?.deferThrottled).toBeUndefined();
    expect(run.output).toEqual({ counts: batchCounts({ moved: 460 }) });
  });

  it('a wave followed by another passes what is still handed back on, counting only final users', async () => {
    const run = await host.runWave(throttling([100]), waveInput({ last: false }));
    expect(callsTo(run.calls, 'reassignBatch')).toHaveLength(5);
    expect(run.output).toEqual({
      counts: batchCounts({ moved: 457 }),
      carry: [{ wave: 1, batch: 100, batchCount: 3, counted: { moved: 57, failed: 0, skipped: 0 }, pending: 3 }],
    });
  });

  it("the next wave sends a carried range's users and counts only the ones it adds", async () => {
    const carry = [{ wave: 0, batch: 75, batchCount: 5, counted: { moved: 97, failed: 0, skipped: 0 }, pending: 3 }];
    const reassignBatch: ActivityHandlers['reassignBatch'] = (input) => {
      const counts = batchCounts({ moved: input.batchCount * BATCH_SIZE });
      if (input.carried) counts.carried = input.carried.map(() => ({ moved: 100, failed: 0, skipped: 0, deferred: 0 }));
      return Promise.resolve(counts);
    };
    const run = await host.runWave({ reassignBatch }, waveInput({ carry, last: true }));
    expect(inputsOf(run.calls, 'reassignBatch')[0]?.carried).toEqual([{ wave: 0, batch: 75, batchCount: 5 }]);
    expect(run.output).toEqual({ counts: batchCounts({ moved: 463 }) });
  });

  it('over the failure budget no new batch starts, but users handed back by started batches are still sent', async () => {
    // Every write is refused (a lost permission); two of batch 80's users were throttled first and handed back.
    const left = new Map<number, number>();
    const reassignBatch: ActivityHandlers['reassignBatch'] = (input) => {
      const carried = (input.carried ?? []).map((range) => {
        left.set(range.batch, 0);
        return { moved: 0, failed: range.batchCount * BATCH_SIZE, skipped: 0, deferred: 0 };
      });
      const handedBack = input.batch === 80 && input.batchCount > 0 ? 2 : 0;
      const counts = batchCounts({ failed: input.batchCount * BATCH_SIZE - handedBack });
      if (handedBack > 0) counts.deferred = handedBack;
      if (carried.length > 0) counts.carried = carried;
      return Promise.resolve(counts);
    };
    const run = await host.runWave({ reassignBatch }, waveInput({ last: false }));
    const inputs = inputsOf(run.calls, 'reassignBatch');
    expect(inputs.map((input) => [input.batch, input.batchCount, input.carried?.map((range) => range.batch)])).toEqual([
      [80, 5, undefined],
      [85, 5, undefined],
      // The sweep: batch 80's two users, waited for rather than handed back again.
      [80, 0, [80]],
    ]);
    expect(inputs.at(-1)?.deferThrottled).toBeUndefined();
    expect(run.output).toEqual({ stopReason: 'failureRate', counts: batchCounts({ failed: 200, notAttempted: 260 }) });
  });

  it('a cancel counts every user not final, handed back or never reached, as not attempted', async () => {
    const handlers = throttling([80]);
    const reassignBatch: ActivityHandlers['reassignBatch'] = async (input, log) =>
      input.batch === 85 ? batchCounts({ notAttempted: 100, cancelled: true }) : handlers.reassignBatch!(input, log);
    const run = await host.runWave({ reassignBatch }, waveInput({ last: true }));
    expect(run.output).toEqual({
      stopReason: 'cancelled',
      counts: batchCounts({ moved: 97, notAttempted: 363, cancelled: true }),
    });
  });
});
