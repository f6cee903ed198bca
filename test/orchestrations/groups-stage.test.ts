/**
 * The group stage (src/orchestrations/groups-stage.ts, group-wait.ts) against scripted activities: add the target,
 * wait for group processing with back-off and a status that says how far it got, remove the source, wait again; cancel
 * and deadline; group moves mixed with direct ones.
 */
import type { ActivityHandlers } from '../../src/activities';
import type { GroupUnitRef } from '../../src/domain/group-plan';
import { MigrationEvents, type GroupCheckInput, type GroupStep, type GroupUnitStatus } from '../../src/domain/workflow';
import {
  activitySteps,
  batchCounts,
  callsTo,
  everyoneMoves,
  HOUR,
  inputsOf,
  migrationInput,
  MINUTE,
  scriptedPlan,
  stubHostForThisFile,
  type ScriptedPlan,
} from './support/harness';

const host = stubHostForThisFile();

const E1_GROUP: GroupUnitRef = { unit: 0, kind: 'product', groupName: 'Lic – Office 365 E1', users: 250, chunks: 1 };
const PREMIUM_GROUP: GroupUnitRef = {
  unit: 1,
  kind: 'join',
  groupName: 'Lic – Business Premium',
  users: 600,
  chunks: 2,
};

function withGroups(groups: GroupUnitRef[], direct = 0): ScriptedPlan {
  const users = groups.reduce((sum, unit) => sum + unit.users, 0);
  const plan = scriptedPlan({ toChange: direct });
  plan.outcome.summary.toChange = direct + users;
  plan.outcome.summary.total = direct + users;
  plan.outcome.groups = groups;
  return plan;
}

const status = (unit: GroupUnitRef, step: GroupStep, over: Partial<GroupUnitStatus> = {}): GroupUnitStatus => ({
  unit: unit.unit,
  step,
  total: unit.users,
  reached: 0,
  pending: unit.users,
  waitingForSeats: 0,
  moved: 0,
  failed: 0,
  notFinished: 0,
  settled: false,
  cancelled: false,
  ...over,
});

/** groupStep answers with the unit's record as it stands; checkGroupStep with these answers in turn, per step. */
function groupActivities(
  units: GroupUnitRef[],
  answers: Record<GroupStep, ((unit: GroupUnitRef, input: GroupCheckInput) => GroupUnitStatus)[]>,
): Pick<ActivityHandlers, 'groupStep' | 'checkGroupStep'> {
  const seen = new Map<string, number>();
  const unitOf = (n: number) => units.find((unit) => unit.unit === n)!;
  return {
    groupStep: (input) => Promise.resolve(status(unitOf(input.unit), input.step)),
    checkGroupStep: (input) => {
      const at = `${input.step}|${input.unit}`;
      const index = seen.get(at) ?? 0;
      seen.set(at, index + 1);
      const list = answers[input.step];
      const answer = list[Math.min(index, list.length - 1)]!;
      return Promise.resolve(answer(unitOf(input.unit), input));
    },
  };
}

const done = (step: GroupStep) => (unit: GroupUnitRef) =>
  status(unit, step, {
    reached: unit.users,
    pending: 0,
    settled: true,
    ...(step === 'removeSource' ? { moved: unit.users } : {}),
  });

describe('group stage', () => {
  it('adds the target, waits for group processing saying how far it got, then removes the source', async () => {
    const plan = withGroups([E1_GROUP]);
    const busy = (unit: GroupUnitRef) =>
      status(unit, 'addTarget', { reached: 180, pending: 67, waitingForSeats: 3, processing: 'ProcessingInProgress' });
    const run = await host.runMigration(
      {
        ...everyoneMoves(plan),
        ...groupActivities([E1_GROUP], {
          addTarget: [busy, busy, done('addTarget')],
          removeSource: [done('removeSource')],
        }),
      },
      migrationInput(),
    );
    expect(activitySteps(run.calls)).toEqual([
      'recordStage',
      'planMigration',
      'recordStage',
      'checkLicenses',
      'recordStage',
      'groupStep',
      'checkGroupStep',
      'groupStep',
      'checkGroupStep',
      'finalizeMigration',
    ]);
    const waiting = run.statuses.find((s) => s.status === 'processingGroups' && s.waitingFor !== undefined);
    expect(waiting).toMatchObject({
      stage: 'groups',
      waitingFor: {
        reason: 'waiting for group processing: 180 of 250 members done, 3 with errors',
        reasons: [
          'waiting for group processing: 180 of 250 members done, 3 with errors',
          'group Lic – Office 365 E1 (ProcessingInProgress): 180 of 250 hold the new license, 3 members waiting for free licenses (CountViolation)',
          'members in CountViolation get the license once seats are free: buy more or free some up',
        ],
      },
    });
    // Checked at once, then after the poll interval, doubling.
    const checks = callsTo(run.calls, 'checkGroupStep').map((call) => call.at - run.startedAt);
    expect(checks).toEqual([0, MINUTE, 3 * MINUTE, 3 * MINUTE]);
    expect(run.output).toMatchObject({ status: 'completed', counts: { moved: 250, failed: 0, done: 250 } });
    expect(run.output.message).toBe('250 moved, 0 failed, 0 skipped, 0 blocked.');
  });

  it('writes each slice of a large unit in turn, and runs direct moves after the group moves', async () => {
    const plan = withGroups([E1_GROUP, PREMIUM_GROUP], 40);
    const run = await host.runMigration(
      {
        ...everyoneMoves(plan),
        ...groupActivities([E1_GROUP, PREMIUM_GROUP], {
          addTarget: [done('addTarget')],
          removeSource: [done('removeSource')],
        }),
      },
      migrationInput(),
    );
    expect(inputsOf(run.calls, 'groupStep').map((input) => [input.step, input.unit, input.chunk])).toEqual([
      ['addTarget', 0, 0],
      ['addTarget', 1, 0],
      ['addTarget', 1, 1],
      ['removeSource', 0, 0],
      ['removeSource', 1, 0],
      ['removeSource', 1, 1],
    ]);
    expect(activitySteps(run.calls).slice(-5)).toEqual([
      'recordStage',
      'reassignBatch',
      'recordStage',
      'verifyBatch',
      'finalizeMigration',
    ]);
    expect(run.output).toMatchObject({ status: 'completed', counts: { moved: 250 + 600 + 40, done: 890, total: 890 } });
  });

  it('stops on cancel while waiting: the run is cancelled and says nobody lost a license', async () => {
    const plan = withGroups([PREMIUM_GROUP]);
    const run = await host.runMigration(
      {
        ...everyoneMoves(plan),
        ...groupActivities([PREMIUM_GROUP], {
          addTarget: [(unit) => status(unit, 'addTarget', { reached: 100, pending: 500 })],
          removeSource: [done('removeSource')],
        }),
      },
      migrationInput(),
      {
        steps: [
          { until: (s) => s.status === 'processingGroups' && s.waitingFor !== undefined },
          { raise: MigrationEvents.cancel },
        ],
      },
    );
    expect(run.output).toMatchObject({ status: 'cancelled', remaining: 600 });
    expect(run.output.message).toMatch(
      /^Cancelled during group moves: 0 moved before the cancel; 600 left where they were/,
    );
    expect(callsTo(run.calls, 'groupStep').map((call) => call.input.step)).toEqual(['addTarget', 'addTarget']);
  });

  it('gives up at the deadline, records where everyone stopped, and still finishes the users that got there', async () => {
    const plan = withGroups([PREMIUM_GROUP]);
    const stuck = (unit: GroupUnitRef, input: GroupCheckInput) =>
      input.giveUp
        ? status(unit, 'addTarget', { reached: 590, pending: 0, failed: 10, settled: true })
        : status(unit, 'addTarget', { reached: 590, pending: 10 });
    const run = await host.runMigration(
      {
        ...everyoneMoves(plan),
        ...groupActivities([PREMIUM_GROUP], {
          addTarget: [stuck],
          removeSource: [(unit) => status(unit, 'removeSource', { moved: 590, failed: 10, pending: 0, settled: true })],
        }),
      },
      migrationInput({ waitForLicenses: { pollInterval: 'PT10M', timeout: 'PT2H' } }),
    );
    const finalCheck = inputsOf(run.calls, 'checkGroupStep').find((input) => input.giveUp);
    expect(finalCheck?.giveUp).toBe('group licensing had not finished after 2 h');
    const gaveUpAt = callsTo(run.calls, 'checkGroupStep').find((call) => call.input.giveUp)!.at;
    expect(gaveUpAt - run.startedAt).toBe(2 * HOUR);
    expect(run.output).toMatchObject({ status: 'completedWithErrors', counts: { moved: 590, failed: 10 } });
  });

  it('never enters the stage for a plan without group moves', async () => {
    const plan = scriptedPlan({ toChange: 5 });
    const run = await host.runMigration(
      { ...everyoneMoves(plan), reassignBatch: () => Promise.resolve(batchCounts({ moved: 5 })) },
      migrationInput(),
    );
    expect(run.statuses.some((s) => s.status === 'processingGroups')).toBe(false);
    expect(callsTo(run.calls, 'groupStep')).toEqual([]);
  });
});
