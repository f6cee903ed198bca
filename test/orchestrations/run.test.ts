/**
 * The run as a whole (src/orchestrations/migration.ts, run.ts): stages recorded in order with the time each started,
 * and `finish` storing the report (finalizeMigration) before the run returns its output.
 */
import type { ActivityHandlers } from '../../src/activities';
import { MigrationEvents, type LicenseCheckResult } from '../../src/domain/workflow';
import {
  batchCounts,
  callsTo,
  everyoneMoves,
  inputsOf,
  iso,
  migrationInput,
  MINUTE,
  scriptedPlan,
  stubHostForThisFile,
} from './support/harness';

const host = stubHostForThisFile();

const plan = scriptedPlan({ toChange: 45, skipped: 5, blocked: 2, remaining: 3 });

describe('a migration run', () => {
  it('records each stage as it enters it, in the order of the procedure', async () => {
    const run = await host.runMigration(
      everyoneMoves(plan),
      migrationInput({ requireApproval: true, strategy: 'overlap' }),
      {
        steps: [
          { until: (status) => status.status === 'awaitingApproval' },
          { raise: MigrationEvents.approval, data: { approved: true, by: 'alex@contoso.com' } },
        ],
      },
    );
    expect(inputsOf(run.calls, 'recordStage')).toEqual(
      [
        ['planning', 'plan'],
        ['awaitingApproval', 'approval'],
        ['waitingForLicenses', 'purchaseCheck'],
        ['reassigning', 'reassign'],
        ['verifying', 'verify'],
        ['cleaningUp', 'cleanup'],
      ].map(([status, stage]) => ({ migrationId: run.instanceId, status, stage })),
    );
    expect(run.calls.at(-1)?.name).toBe('finalizeMigration');
  });

  it('shows when each stage started, in the orchestration’s time', async () => {
    let checks = 0;
    const notYet: LicenseCheckResult = { ready: false, reasons: ['need 45, 0 free'], notes: [], targets: [] };
    const stubs: Partial<ActivityHandlers> = {
      ...everyoneMoves(plan),
      checkLicenses: () => Promise.resolve(checks++ < 2 ? notYet : { ...notYet, ready: true, reasons: [] }),
    };
    const run = await host.runMigration(stubs, migrationInput());
    const started = (status: string) => run.statuses.find((candidate) => candidate.status === status)?.stageStartedAt;
    expect(started('planning')).toBe(iso(run.startedAt));
    expect(started('waitingForLicenses')).toBe(iso(run.startedAt));
    // Checked at 0, 1 and 3 min (back-off): reassignment starts when the licenses are there.
    expect(started('reassigning')).toBe(iso(run.startedAt + 3 * MINUTE));
    expect(started('verifying')).toBe(iso(run.startedAt + 3 * MINUTE));
  });

  it('stores the report with the final status, message and counts, then returns them', async () => {
    const stubs: Partial<ActivityHandlers> = {
      ...everyoneMoves(plan),
      // One activity handles all 45 users (three plan batches): one fails, one is found already done.
      reassignBatch: (input) => Promise.resolve(batchCounts({ moved: plan.usersIn(input) - 2, failed: 1, skipped: 1 })),
    };
    const run = await host.runMigration(stubs, migrationInput());
    const counts = { total: 52, toChange: 45, moved: 43, failed: 1, skipped: 6, blocked: 2, done: 52 };
    const message = '43 moved, 1 failed, 6 skipped, 2 blocked.';
    expect(run.runtimeStatus).toBe('Completed');
    expect(run.output).toEqual({ status: 'completedWithErrors', message, counts, remaining: 3 });
    expect(inputsOf(run.calls, 'finalizeMigration')).toEqual([
      { migrationId: run.instanceId, status: 'completedWithErrors', message, counts },
    ]);
    expect(run.customStatus).toMatchObject({ stage: 'report', counts });
  });

  it('does not claim to be finished while the report cannot be stored', async () => {
    const run = await host.runMigration(
      { ...everyoneMoves(plan), finalizeMigration: () => Promise.reject(new Error('storage unavailable')) },
      migrationInput(),
    );
    // Stored-report retries (5 s, then doubling) run out; the run fails rather than report "completed".
    expect(callsTo(run.calls, 'finalizeMigration').map((call) => (call.at - run.startedAt) / 1000)).toEqual([
      0, 5, 15, 35,
    ]);
    expect(run.runtimeStatus).toBe('Failed');
    expect(run.failure).toMatch(/finalizeMigration.*storage unavailable/);
  });

  it('fails with the activity’s error when a stage keeps failing after its retries', async () => {
    const run = await host.runMigration(
      { planMigration: () => Promise.reject(new Error('Graph is unreachable')) },
      migrationInput(),
    );
    expect(callsTo(run.calls, 'planMigration')).toHaveLength(4);
    expect(run.runtimeStatus).toBe('Failed');
    expect(run.failure).toMatch(/planMigration.*Graph is unreachable/);
    expect(callsTo(run.calls, 'finalizeMigration')).toEqual([]);
  });
});
