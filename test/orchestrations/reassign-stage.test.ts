/**
 * Stages 4–6 (src/orchestrations/reassign-stage.ts, waves.ts): reassign wave by wave, verify what changed, clean up
 * the sources (overlap), and end with counts and a message that match what happened, also after a stop.
 */
import type { ActivityHandlers } from '../../src/activities';
import type { BatchInput } from '../../src/domain/workflow';
import {
  activitySteps,
  batchCounts,
  callsTo,
  everyoneMoves,
  inputsOf,
  migrationInput,
  scriptedPlan,
  stubHostForThisFile,
  type ActivityCall,
} from './support/harness';

const host = stubHostForThisFile();

/** 3,400 users in 170 batches of 20: waves of 80, 80 and 10 batches (1,600, 1,600 and 200 users). */
const big = scriptedPlan({ toChange: 3400, skipped: 7, blocked: 3 });
const WAVE_USERS = [1600, 1600, 200];

/** The plan batches a phase's activities covered, in order, each once. */
function batchesCovered(calls: ActivityCall[], name: 'reassignBatch' | 'verifyBatch' | 'cleanupBatch'): number[] {
  return inputsOf(calls, name)
    .flatMap((input) => Array.from({ length: input.batchCount }, (_, offset) => input.batch + offset))
    .sort((a, b) => a - b);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, index) => from + index);
const inWave = (wave: number) => (input: BatchInput) => input.wave === wave;

describe('reassign, verify and clean up', () => {
  it('moves every wave, counts the run across waves and shows progress after each wave', async () => {
    const run = await host.runMigration(everyoneMoves(big), migrationInput());
    expect(run.output).toEqual({
      status: 'completed',
      message: '3400 moved, 0 failed, 7 skipped, 3 blocked.',
      remaining: 0,
      counts: { total: 3410, toChange: 3400, moved: 3400, failed: 0, skipped: 7, blocked: 3, done: 3410 },
    });
    expect(batchesCovered(run.calls, 'reassignBatch')).toEqual(range(0, 170));
    expect(batchesCovered(run.calls, 'verifyBatch')).toEqual(range(0, 170));
    // Each wave starts with the counts of the waves before it (the status API adds the running wave's own).
    const progress = run.statuses
      .filter((status) => status.status === 'reassigning')
      .map((status) => [status.currentWave, status.counts.moved, status.counts.done]);
    expect(progress).toEqual([
      [undefined, 0, 10],
      [0, 0, 10],
      [1, 1600, 1610],
      [2, 3200, 3210],
    ]);
    expect(run.statuses.find((status) => status.waves !== undefined)?.waves).toBe(3);
  });

  it('counts users whose change did not hold at verification as failed, not moved', async () => {
    const stubs: Partial<ActivityHandlers> = {
      ...everyoneMoves(big),
      verifyBatch: (input) =>
        Promise.resolve(
          input.batch === 90
            ? batchCounts({ moved: big.usersIn(input) - 2, failed: 2 })
            : batchCounts({ moved: big.usersIn(input) }),
        ),
    };
    const run = await host.runMigration(stubs, migrationInput());
    expect(run.output).toMatchObject({
      status: 'completedWithErrors',
      message: '3398 moved, 2 failed, 7 skipped, 3 blocked.',
      counts: { moved: 3398, failed: 2, done: 3410 },
    });
  });

  it.each([
    ['overlap', true],
    ['atomic', false],
  ] as const)('with the %s strategy, cleans up the sources after verifying: %s', async (strategy, cleansUp) => {
    const run = await host.runMigration(everyoneMoves(big), migrationInput({ strategy }));
    const stages = inputsOf(run.calls, 'recordStage').map((record) => record.status);
    expect(stages).toEqual(
      cleansUp
        ? ['planning', 'waitingForLicenses', 'reassigning', 'verifying', 'cleaningUp']
        : ['planning', 'waitingForLicenses', 'reassigning', 'verifying'],
    );
    expect(batchesCovered(run.calls, 'cleanupBatch')).toEqual(cleansUp ? range(0, 170) : []);
    // Cleanup starts once every wave is verified, and the report comes last.
    const names = run.calls.map((call) => call.name);
    if (cleansUp) expect(names.indexOf('cleanupBatch')).toBeGreaterThan(names.lastIndexOf('verifyBatch'));
    expect(names.at(-1)).toBe('finalizeMigration');
  });

  it('counts a user whose old license could not be removed in cleanup as failed', async () => {
    const stubs: Partial<ActivityHandlers> = {
      ...everyoneMoves(big),
      cleanupBatch: (input) =>
        Promise.resolve(
          input.batch === 0
            ? batchCounts({ moved: big.usersIn(input) - 1, failed: 1 })
            : batchCounts({ moved: big.usersIn(input) }),
        ),
    };
    const run = await host.runMigration(stubs, migrationInput({ strategy: 'overlap' }));
    expect(run.output).toMatchObject({ status: 'completedWithErrors', counts: { moved: 3399, failed: 1 } });
  });

  it('skips verification and cleanup when nobody was moved', async () => {
    const small = scriptedPlan({ toChange: 5 });
    const run = await host.runMigration(
      { ...everyoneMoves(small), reassignBatch: () => Promise.resolve(batchCounts({ failed: 5 })) },
      migrationInput({ strategy: 'overlap' }),
    );
    expect(activitySteps(run.calls)).not.toContain('verifyBatch');
    expect(activitySteps(run.calls)).not.toContain('cleanupBatch');
    // Under the smallest sample (20 users) a high failure rate does not stop the run.
    expect(run.output).toMatchObject({
      status: 'completedWithErrors',
      message: '0 moved, 5 failed, 0 skipped, 0 blocked.',
      counts: { moved: 0, failed: 5, done: 5 },
    });
  });

  it('stops on cancel: counts who moved before it, verifies the waves reached, and leaves the rest for later', async () => {
    const plan = scriptedPlan({ toChange: 3400, skipped: 7, blocked: 3, remaining: 50 });
    const stubs: Partial<ActivityHandlers> = {
      ...everyoneMoves(plan),
      // The cancel lands while wave 1 starts: its batches find the run cancelled and change nobody.
      reassignBatch: (input) =>
        Promise.resolve(
          inWave(1)(input)
            ? batchCounts({ notAttempted: plan.usersIn(input), cancelled: true })
            : batchCounts({ moved: plan.usersIn(input) }),
        ),
    };
    const run = await host.runMigration(stubs, migrationInput());
    const notStarted = WAVE_USERS[1]! + WAVE_USERS[2]!;
    expect(run.output).toEqual({
      status: 'cancelled',
      message: `Cancelled: 1600 moved before the cancel; ${notStarted} not started.`,
      remaining: 50 + notStarted,
      counts: { total: 3410, toChange: 3400, moved: 1600, failed: 0, skipped: 7 + notStarted, blocked: 3, done: 3410 },
    });
    expect(inputsOf(run.calls, 'reassignBatch').filter(inWave(2))).toEqual([]);
    expect(new Set(inputsOf(run.calls, 'verifyBatch').map((input) => input.wave))).toEqual(new Set([0, 1]));
  });

  it('stops starting batches when too many changes fail, as needsAttention with the numbers', async () => {
    // 30 of every 100 users fail: over the allowed 20 % after the first round of 8 activities (800 users).
    const stubs: Partial<ActivityHandlers> = {
      ...everyoneMoves(big),
      reassignBatch: (input) => {
        const users = big.usersIn(input);
        return Promise.resolve(batchCounts({ moved: (users * 7) / 10, failed: (users * 3) / 10 }));
      },
    };
    const run = await host.runMigration(stubs, migrationInput({ maxFailureRate: 0.2 }));
    expect(run.output).toMatchObject({
      status: 'needsAttention',
      message:
        "Stopped starting new batches: 240 of 800 changes failed, over the allowed 20 %. See the report for each user's reason.",
      remaining: 2600,
      counts: { moved: 560, failed: 240, skipped: 7 + 2600 },
    });
    expect(callsTo(run.calls, 'reassignBatch')).toHaveLength(8);
    expect(batchesCovered(run.calls, 'verifyBatch')).toEqual(range(0, 80));
  });

  it('leaves the users it did not reach for the next window once the window closes', async () => {
    let crashed = false;
    const stubs: Partial<ActivityHandlers> = {
      ...everyoneMoves(big),
      // One batch activity crashes once; the host retries it 10 s later, which takes the run past its window.
      reassignBatch: (input) => {
        if (input.batch === 0 && !crashed) {
          crashed = true;
          return Promise.reject(new Error('worker recycled'));
        }
        return Promise.resolve(batchCounts({ moved: big.usersIn(input) }));
      },
    };
    const run = await host.runMigration(stubs, (startedAt) =>
      migrationInput({ notAfter: new Date(startedAt + 5_000).toISOString() }),
    );
    expect(run.output).toEqual({
      status: 'completed',
      message: '800 moved, 0 failed, 2607 skipped, 3 blocked. The window closed: 2600 users wait for the next one.',
      remaining: 2600,
      counts: { total: 3410, toChange: 3400, moved: 800, failed: 0, skipped: 2607, blocked: 3, done: 3410 },
    });
    // Verification covers the wave reached (not the waves after it), and is not bound by the window.
    expect(batchesCovered(run.calls, 'verifyBatch')).toEqual(range(0, 80));
    expect(callsTo(run.calls, 'verifyBatch')[0]!.at).toBeGreaterThan(run.startedAt + 5_000);
  });
});
