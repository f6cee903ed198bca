/**
 * Notifications from the orchestrator (src/orchestrations/notify.ts and the stages that call it) and the rollback's
 * planner, over scripted activities: which events go out, with which keys, and in which order with the report.
 */
import type { ActivityHandlers } from '../../src/activities';
import type { LicenseCheckResult } from '../../src/domain/workflow';
import { MigrationEvents } from '../../src/domain/workflow';
import {
  activitySteps,
  everyoneMoves,
  inputsOf,
  migrationInput,
  scriptedPlan,
  stubHostForThisFile,
} from './support/harness';

const host = stubHostForThisFile();
const plan = scriptedPlan({ toChange: 25 });
const SHORT = 'need 25, 5 free: buy 20 more Microsoft 365 Business Premium licenses';
const SHORTER = 'need 25, 15 free: buy 10 more Microsoft 365 Business Premium licenses';
const notReady = (reason: string): LicenseCheckResult => ({ ready: false, reasons: [reason], notes: [], targets: [] });
const ready: LicenseCheckResult = { ready: true, reasons: [], notes: [], targets: [] };

function checks(...results: LicenseCheckResult[]): Pick<ActivityHandlers, 'checkLicenses'> {
  let next = 0;
  return { checkLicenses: () => Promise.resolve(results[Math.min(next++, results.length - 1)] ?? ready) };
}

const withNotify = (options: Parameters<typeof migrationInput>[0] = {}) => ({
  ...migrationInput(options),
  notify: true,
});

describe('notifications from the orchestrator', () => {
  it('a run without targets never calls notifyRun (histories from before notifications replay unchanged)', async () => {
    const run = await host.runMigration(everyoneMoves(plan), migrationInput({ requireApproval: true }), {
      steps: [
        { until: (s) => s.status === 'awaitingApproval' },
        { raise: MigrationEvents.approval, data: { approved: true } },
      ],
    });
    expect(run.output.status).toBe('completed');
    expect(inputsOf(run.calls, 'notifyRun')).toEqual([]);
  });

  it('announces approval, each change of the waiting reason once, and the end after the report is stored', async () => {
    const run = await host.runMigration(
      { ...everyoneMoves(plan), ...checks(notReady(SHORT), notReady(SHORT), notReady(SHORTER), ready) },
      withNotify({ requireApproval: true }),
      {
        steps: [
          { until: (s) => s.status === 'awaitingApproval' },
          { raise: MigrationEvents.approval, data: { approved: true, by: 'alice' } },
        ],
      },
    );
    expect(run.output.status).toBe('completed');
    const sent = inputsOf(run.calls, 'notifyRun');
    expect(sent.map((input) => [input.event, input.key, input.reason])).toEqual([
      ['awaitingApproval', 'awaitingApproval', undefined],
      ['waitingForLicenses', 'waitingForLicenses-1', SHORT],
      ['waitingForLicenses', 'waitingForLicenses-2', SHORTER],
      ['completed', 'completed', undefined],
    ]);
    expect(sent.at(-1)).toEqual(
      expect.objectContaining({ status: 'completed', message: '25 moved, 0 failed, 0 skipped, 0 blocked.' }),
    );
    expect(activitySteps(run.calls).slice(-2)).toEqual(['finalizeMigration', 'notifyRun']);
  });

  it('announces needsAttention, and a run that fails unexpectedly as failed before it fails', async () => {
    const attention = await host.runMigration(
      {
        ...everyoneMoves(plan),
        reassignBatch: (input) =>
          Promise.resolve({
            moved: 0,
            failed: plan.usersIn(input),
            skipped: 0,
            notAttempted: 0,
            throttled: 0,
            cancelled: false,
          }),
      },
      withNotify(),
    );
    expect(attention.output.status).toBe('needsAttention');
    expect(inputsOf(attention.calls, 'notifyRun').map((input) => input.event)).toEqual(['needsAttention']);

    const failing = await host.runMigration(
      { ...everyoneMoves(plan), finalizeMigration: () => Promise.reject(new Error('storage is down')) },
      withNotify(),
    );
    expect(failing.runtimeStatus).toBe('Failed');
    const [failed] = inputsOf(failing.calls, 'notifyRun');
    expect(failed).toEqual(
      expect.objectContaining({ event: 'failed', status: 'failed', message: expect.stringMatching(/storage is down/) }),
    );
  });

  it('a notification that cannot be recorded does not stop the run', async () => {
    const run = await host.runMigration(
      { ...everyoneMoves(plan), notifyRun: () => Promise.reject(new Error('no storage')) },
      withNotify(),
    );
    expect(run.output.status).toBe('completed');
  });
});

describe('a rollback run', () => {
  it("plans with planRollback (the original run's records), then runs every stage of a normal run", async () => {
    const stubs = everyoneMoves(plan);
    const run = await host.runMigration(
      {
        ...stubs,
        planRollback: () => Promise.resolve(plan.outcome),
        planMigration: () => Promise.reject(new Error('not a rollback')),
      },
      { ...migrationInput(), link: { kind: 'rollback', of: 'mig-original' } },
    );
    expect(run.output.status).toBe('completed');
    expect(activitySteps(run.calls)).toEqual([
      'recordStage',
      'planRollback',
      'recordStage',
      'checkLicenses',
      'recordStage',
      'reassignBatch',
      'recordStage',
      'verifyBatch',
      'finalizeMigration',
    ]);
  });
});
