/**
 * Phases with many waves (src/orchestrations/waves.ts): beyond WAVES_PER_GROUP waves a run calls wave-group
 * sub-orchestrations, so its history stays small however many users it moves, while what the admin sees (counts, the
 * report, a stop part-way, users handed back between waves) is the same as with direct wave calls. Runs started
 * before wave groups existed keep calling their waves directly.
 */
import type { ActivityHandlers } from '../../src/activities';
import {
  WAVE_GROUP_ORCHESTRATOR,
  WAVE_ORCHESTRATOR,
  WAVES_PER_GROUP,
  type BatchCounts,
  type BatchInput,
  type MigrationInput,
} from '../../src/domain/workflow';
import type { HistoryEvent } from '../../emulators/functions';
import { batchCounts, everyoneMoves, migrationInput, scriptedPlan, stubHostForThisFile } from './support/harness';

const host = stubHostForThisFile();

/** 40,000 users in batches of 20: 25 waves of 80 batches (1,600 users each). */
const WAVES = 25;
const plan = scriptedPlan({ toChange: WAVES * 1600 });
/** Durable Task's SubOrchestrationInstanceCreated event type. */
const SUB_ORCHESTRATION_CREATED = 7;

const grouped = (): MigrationInput => migrationInput();

/** The sub-orchestrations an instance called, by name and instance id, in order. */
function children(history: HistoryEvent[]): { name: string; id: string }[] {
  return history
    .filter((event) => event.EventType === SUB_ORCHESTRATION_CREATED)
    .map((event) => ({ name: event.Name ?? '', id: event.InstanceId ?? '' }));
}

describe('a phase with more waves than one history should hold', () => {
  it('runs them through wave groups: the run calls three per phase, and every user is moved and verified once', async () => {
    const run = await host.runMigration(everyoneMoves(plan), grouped());
    expect(run.output).toMatchObject({
      status: 'completed',
      counts: { toChange: 40_000, moved: 40_000, failed: 0, done: 40_000 },
    });
    const called = children(run.history);
    expect(called.map((child) => child.id.slice(run.instanceId.length))).toEqual([
      ':reassign:0-9',
      ':reassign:10-19',
      ':reassign:20-24',
      ':verify:0-9',
      ':verify:10-19',
      ':verify:20-24',
    ]);
    expect(called.every((child) => child.name === WAVE_GROUP_ORCHESTRATOR)).toBe(true);
    const batches = run.calls
      .filter((call) => call.name === 'reassignBatch')
      .flatMap(({ input }) => Array.from({ length: input.batchCount }, (_, i) => input.batch + i));
    expect(batches.sort((a, b) => a - b)).toEqual(Array.from({ length: WAVES * 80 }, (_, i) => i));
    // The counts move group by group, each group starting from those before it.
    const moved = run.statuses
      .filter((s) => s.status === 'reassigning')
      .map((s) => [s.currentGroup?.slice(run.instanceId.length), s.counts.moved]);
    expect(moved).toEqual([
      [undefined, 0],
      [':reassign:0-9', 0],
      [':reassign:10-19', 16_000],
      [':reassign:20-24', 32_000],
    ]);
  });

  it('a run started before wave groups existed calls each wave itself, as its recorded history says', async () => {
    const { version: _, ...before } = migrationInput();
    const run = await host.runMigration(everyoneMoves(plan), before);
    const called = children(run.history);
    expect(called).toHaveLength(2 * WAVES);
    // And verifies with activities of 5 batches, as its waves' recorded histories say.
    expect(run.calls.find((call) => call.name === 'verifyBatch')?.input).toMatchObject({ batchCount: 5 });
    expect(called.every((child) => child.name === WAVE_ORCHESTRATOR)).toBe(true);
    expect(run.output.counts.moved).toBe(40_000);
  });

  it('a stop inside a group ends the phase there: later waves are not attempted, verify covers the waves reached', async () => {
    // Wave 13's activities find the run cancelled.
    const stubs: Partial<ActivityHandlers> = {
      ...everyoneMoves(plan),
      reassignBatch: (input: BatchInput): Promise<BatchCounts> =>
        Promise.resolve(
          input.wave >= 13 ? batchCounts({ cancelled: true }) : batchCounts({ moved: plan.usersIn(input) }),
        ),
    };
    const run = await host.runMigration(stubs, grouped());
    expect(run.output).toMatchObject({
      status: 'cancelled',
      remaining: 12 * 1600,
      counts: { moved: 13 * 1600, failed: 0 },
    });
    const verified = run.calls.filter((call) => call.name === 'verifyBatch').map((call) => call.input.wave);
    expect(Math.max(...verified)).toBe(13);
    expect(children(run.history).map((child) => child.id.slice(run.instanceId.length))).toEqual([
      ':reassign:0-9',
      ':reassign:10-19',
      ':verify:0-9',
      ':verify:10-13',
    ]);
  });

  it('users handed back at the end of a group are sent by the next group, and counted once', async () => {
    // The last activity of wave 9 (the first group's last wave) hands 3 users back once; wave 10 sends them.
    let handedBack = false;
    const stubs: Partial<ActivityHandlers> = {
      ...everyoneMoves(plan),
      reassignBatch: (input: BatchInput): Promise<BatchCounts> => {
        const own = plan.usersIn(input);
        const counts = batchCounts({ moved: own });
        if (input.batch === 795 && input.batchCount > 0 && !handedBack) {
          handedBack = true;
          counts.moved = own - 3;
          counts.deferred = 3;
        }
        if (input.carried)
          counts.carried = input.carried.map(({ batchCount }) => ({
            moved: batchCount * 20,
            failed: 0,
            skipped: 0,
            deferred: 0,
          }));
        return Promise.resolve(counts);
      },
    };
    const run = await host.runMigration(stubs, grouped());
    const carriers = run.calls.filter((call) => call.name === 'reassignBatch' && call.input.carried);
    expect(carriers.map((call) => [(call.input as BatchInput).wave, (call.input as BatchInput).carried])).toEqual([
      [10, [{ wave: 9, batch: 795, batchCount: 5 }]],
    ]);
    expect(run.output).toMatchObject({ status: 'completed', counts: { moved: 40_000, failed: 0 } });
  });

  it(`nests groups when a phase has more than ${WAVES_PER_GROUP}² waves, so no history holds more than ${WAVES_PER_GROUP} children`, async () => {
    const huge = scriptedPlan({ toChange: 101 * 80, batchSize: 1 });
    const run = await host.runMigration(everyoneMoves(huge), grouped());
    expect(run.output.counts.moved).toBe(101 * 80);
    expect(children(run.history).map((child) => child.id.slice(run.instanceId.length))).toEqual([
      ':reassign:0-99',
      ':reassign:100',
      ':verify:0-99',
      ':verify:100',
    ]);
    const nested = children(await host.historyOf(`${run.instanceId}:reassign:0-99`));
    expect(nested.map((child) => child.id.slice(run.instanceId.length))).toEqual(
      Array.from({ length: 10 }, (_, i) => `:reassign:${i * 10}-${i * 10 + 9}`),
    );
  });
});
