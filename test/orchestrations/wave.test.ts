/**
 * One wave (src/orchestrations/wave.ts), run on its own: batch activities of BATCHES_PER_ACTIVITY plan batches,
 * `concurrency` at a time, each with its share of the write budget; progress after every round; a stop on cancel,
 * on the run's failure budget or when the window closes, with every user not reached counted as not attempted.
 */
import type { ActivityHandlers } from '../../src/activities';
import type { BatchCounts, BatchInput, WaveInput } from '../../src/domain/workflow';
import { batchCounts, callsTo, inputsOf, newMigrationId, stubHostForThisFile } from './support/harness';

const host = stubHostForThisFile();

const BATCH_SIZE = 20;
/** Wave 1 of a plan: batches 80–102, 460 users, handled by activities of 5, 5, 5, 5 and 3 batches. */
const WAVE = { wave: 1, firstBatch: 80, batchCount: 23, users: 23 * BATCH_SIZE };
const usersIn = (input: BatchInput): number => input.batchCount * BATCH_SIZE;

function waveInput(overrides: Partial<WaveInput> = {}): WaveInput {
  return {
    migrationId: newMigrationId(),
    phase: 'reassign',
    batchSize: BATCH_SIZE,
    wave: WAVE,
    concurrency: 8,
    maxFailureRate: 0.2,
    attemptedBefore: 0,
    failedBefore: 0,
    ...overrides,
  };
}

/** Each activity handles its users as `outcome` says (everyone moved by default). */
function batches(
  outcome: (input: BatchInput, users: number) => Partial<BatchCounts> = (_, users) => ({ moved: users }),
): Partial<ActivityHandlers> {
  const handler = (input: BatchInput) => Promise.resolve(batchCounts(outcome(input, usersIn(input))));
  return { reassignBatch: handler, verifyBatch: handler, cleanupBatch: handler };
}

const accountedFor = (counts: BatchCounts): number =>
  counts.moved + counts.failed + counts.skipped + counts.notAttempted;

describe('wave orchestrator', () => {
  it('hands each activity five consecutive plan batches, with the wave, phase and batch size', async () => {
    const run = await host.runWave(batches(), waveInput());
    const common = { migrationId: run.instanceId.split(':')[0], phase: 'reassign', wave: 1, batchSize: BATCH_SIZE };
    expect(inputsOf(run.calls, 'reassignBatch')).toEqual([
      { ...common, batch: 80, batchCount: 5, budgetShare: 1 / 5 },
      { ...common, batch: 85, batchCount: 5, budgetShare: 1 / 5 },
      { ...common, batch: 90, batchCount: 5, budgetShare: 1 / 5 },
      { ...common, batch: 95, batchCount: 5, budgetShare: 1 / 5 },
      { ...common, batch: 100, batchCount: 3, budgetShare: 1 / 5 },
    ]);
    expect(run.output).toEqual({ counts: batchCounts({ moved: 460 }) });
  });

  it('runs at most `concurrency` activities at once, each with 1/(activities in its round) of the budget', async () => {
    let running = 0;
    let peak = 0;
    const reassignBatch: ActivityHandlers['reassignBatch'] = async (input) => {
      running += 1;
      peak = Math.max(peak, running);
      // Let any other activity the host started run alongside this one before returning.
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return batchCounts({ moved: usersIn(input) });
    };
    const run = await host.runWave({ reassignBatch }, waveInput({ concurrency: 2 }));
    expect(peak).toBe(2);
    expect(inputsOf(run.calls, 'reassignBatch').map((input) => [input.batch, input.budgetShare])).toEqual([
      [80, 1 / 2],
      [85, 1 / 2],
      [90, 1 / 2],
      [95, 1 / 2],
      [100, 1],
    ]);
    expect(run.output.counts.moved).toBe(460);
  });

  it('publishes its counts and batches done after every round', async () => {
    const run = await host.runWave(
      batches((input, users) =>
        input.batch === 90 ? { moved: users - 4, skipped: 4, throttled: 7 } : { moved: users },
      ),
      waveInput({ concurrency: 2 }),
    );
    const progress = { wave: 1, phase: 'reassign', failed: 0, notAttempted: 0, cancelled: false, batches: 23 };
    expect(run.statuses).toEqual([
      { ...progress, moved: 200, skipped: 0, throttled: 0, batchesDone: 10 },
      { ...progress, moved: 396, skipped: 4, throttled: 7, batchesDone: 20 },
      { ...progress, moved: 456, skipped: 4, throttled: 7, batchesDone: 23 },
    ]);
  });

  it('stops after the round in which an activity found the run cancelled; the rest is not attempted', async () => {
    const run = await host.runWave(
      batches((input, users) => (input.batch === 85 ? { notAttempted: users, cancelled: true } : { moved: users })),
      waveInput({ concurrency: 2 }),
    );
    expect(callsTo(run.calls, 'reassignBatch').map((call) => call.input.batch)).toEqual([80, 85]);
    expect(run.output).toEqual({
      stopReason: 'cancelled',
      counts: batchCounts({ moved: 100, notAttempted: 360, cancelled: true }),
    });
    expect(accountedFor(run.output.counts)).toBe(WAVE.users);
  });

  it.each([
    ['15 % failing alone is within the 20 % budget', 15, 0, 0, undefined, 5],
    ['15 % failing after 40 of 100 failed in earlier waves is over it', 15, 100, 40, 'failureRate', 2],
    ['25 % failing after 150 of 1,000 failed in earlier waves is within it', 25, 1000, 150, undefined, 5],
  ] as const)(
    'counts the failure budget over the whole run: %s',
    async (_, percent, attemptedBefore, failedBefore, stop, activities) => {
      const run = await host.runWave(
        batches((_, users) => ({ moved: users - (users * percent) / 100, failed: (users * percent) / 100 })),
        waveInput({ concurrency: 2, attemptedBefore, failedBefore }),
      );
      expect(run.output.stopReason).toBe(stop);
      expect(callsTo(run.calls, 'reassignBatch')).toHaveLength(activities);
      expect(accountedFor(run.output.counts)).toBe(WAVE.users);
      if (stop) expect(run.output.counts).toEqual(batchCounts({ moved: 170, failed: 30, notAttempted: 260 }));
    },
  );

  it('never stops verification or cleanup for failures: they must see every changed user', async () => {
    const run = await host.runWave(
      batches((_, users) => ({ failed: users })),
      waveInput({ phase: 'verify', concurrency: 2 }),
    );
    expect(run.output).toEqual({ counts: batchCounts({ failed: 460 }) });
    expect(callsTo(run.calls, 'verifyBatch')).toHaveLength(5);
  });

  it('splits its batches into activities of the size its input names (runs before layout 2 name none: 5)', async () => {
    const run = await host.runWave(batches(), waveInput({ phase: 'verify', batchesPerActivity: 10 }));
    expect(callsTo(run.calls, 'verifyBatch').map((call) => call.input.batchCount)).toEqual([10, 10, 3]);
    expect(run.output).toEqual({ counts: batchCounts({ moved: 460 }) });
  });

  it('starts nothing when its window has already closed', async () => {
    const run = await host.runWave(batches(), (startedAt) =>
      waveInput({ notAfter: new Date(startedAt).toISOString() }),
    );
    expect(run.calls).toEqual([]);
    expect(run.output).toEqual({ stopReason: 'windowClosed', counts: batchCounts({ notAttempted: 460 }) });
  });

  it('retries a crashed activity with the same input 10 s later, and starts no new round once the window closed', async () => {
    let crashed = false;
    const moveAll = batches().reassignBatch!;
    const reassignBatch: ActivityHandlers['reassignBatch'] = (input, log) => {
      if (input.batch === 80 && !crashed) {
        crashed = true;
        return Promise.reject(new Error('worker recycled'));
      }
      return moveAll(input, log);
    };
    const run = await host.runWave({ reassignBatch }, (startedAt) =>
      waveInput({ concurrency: 2, notAfter: new Date(startedAt + 5_000).toISOString() }),
    );
    const calls = callsTo(run.calls, 'reassignBatch');
    expect(calls.map((call) => [call.input.batch, call.at - run.startedAt])).toEqual([
      [80, 0],
      [85, 0],
      [80, 10_000],
    ]);
    expect(calls[2]?.input).toEqual(calls[0]?.input);
    expect(run.output).toEqual({ stopReason: 'windowClosed', counts: batchCounts({ moved: 200, notAttempted: 260 }) });
  });
});
