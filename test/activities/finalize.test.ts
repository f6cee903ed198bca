/**
 * finalizeMigration and recordStage (src/activities/finalize.ts): the stored report summary (seats freed, what to do
 * with the old subscription) and the Migration.Finished / Migration.StageChanged telemetry.
 */
import { summariseReport } from '../../src/domain/report';
import type { FinalizeInput } from '../../src/domain/workflow';
import { assembleReport } from '../../src/reports/assemble';
import { TelemetryEvents } from '../../src/telemetry';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD } from '../domain/fixtures';
import { graphError } from '../support/fake-licensing-graph';
import { FIXED, standardToPremium, standardUsers, world, type World } from './support/world';

const ADMIN_CENTER = 'https://admin.microsoft.com/#/subscriptions';
const USERS = standardUsers(5);

/** Five users move from Business Standard (5 seats, all in use) to Business Premium; Graph refuses user 5. */
async function finishedRun(): Promise<World> {
  const w = world({
    skus: [
      { ...BUSINESS_STANDARD, consumedUnits: 5, prepaidUnits: { enabled: 5, warning: 0, suspended: 0, lockedOut: 0 } },
      BUSINESS_PREMIUM,
    ],
    users: USERS,
  });
  await w.plan({ moves: [standardToPremium({ all: true })] });
  w.graph.failAssign(
    USERS[4]!.id,
    graphError('assignLicense', {
      status: 400,
      code: 'Request_BadRequest',
      message: `License assignment failed because subscription ${BUSINESS_PREMIUM.skuId} does not have any available licenses.`,
    }),
  );
  await w.activities.reassignBatch(w.batch('reassign', 1), w.log);
  await w.activities.verifyBatch(w.batch('verify', 1), w.log);
  return w;
}

const finalInput = (w: World): FinalizeInput => ({
  migrationId: w.migrationId,
  status: 'completedWithErrors',
  message: '4 moved, 1 failed, 0 skipped, 0 blocked.',
  counts: { total: 5, toChange: 5, done: 5, moved: 4, failed: 1, skipped: 0, blocked: 0 },
});

describe('finalizeMigration', () => {
  it('stores the report summary: outcomes per move, seats freed and what to do with the old subscription', async () => {
    const w = await finishedRun();
    await w.activities.finalizeMigration(finalInput(w), w.log);
    expect(await w.docs.report()).toEqual({
      status: 'completedWithErrors',
      message: '4 moved, 1 failed, 0 skipped, 0 blocked.',
      counts: finalInput(w).counts,
      finishedAt: new Date(FIXED).toISOString(),
      summary: {
        total: 5,
        byOutcome: { moved: 4, skipped: 0, blocked: 0, failed: 1 },
        byMove: [
          {
            move: 0,
            label: 'Microsoft 365 Business Standard → Microsoft 365 Business Premium',
            total: 5,
            moved: 4,
            skipped: 0,
            blocked: 0,
            failed: 1,
          },
        ],
        sourceSkus: [
          {
            skuId: BUSINESS_STANDARD.skuId,
            skuPartNumber: 'O365_BUSINESS_PREMIUM',
            name: 'Microsoft 365 Business Standard',
            seatsFreed: 4,
            unusedSeats: 4,
            recommendation: `4 Microsoft 365 Business Standard licenses are now unused: reduce the subscription by 4 or cancel it in the Microsoft 365 admin center (${ADMIN_CENTER}); Microsoft Graph cannot cancel or reduce subscriptions`,
          },
        ],
      },
    });
  });

  it('sends Migration.Finished with the outcome, the counts and the message', async () => {
    const w = await finishedRun();
    await w.activities.finalizeMigration(finalInput(w), w.log);
    expect(w.telemetry.named(TelemetryEvents.MigrationFinished)).toEqual([
      {
        migrationId: w.migrationId,
        tenantId: w.tenantId,
        outcome: 'completedWithErrors',
        total: 5,
        moved: 4,
        failed: 1,
        skipped: 0,
        blocked: 0,
        message: '4 moved, 1 failed, 0 skipped, 0 blocked.',
      },
    ]);
    expect(w.log.lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'Migration finished' }));
  });

  it('folds the summary a wave at a time to the same counts as the whole report gives', async () => {
    const w = world({ users: standardUsers(30) });
    await w.plan({ moves: [standardToPremium({ all: true })], batchSize: 4 });
    // Half the plan batches run: the rest are reported as not changed, in both walks.
    await w.activities.reassignBatch(w.batch('reassign', 4), w.log);
    await w.activities.finalizeMigration({ ...finalInput(w), status: 'cancelled' }, w.log);
    const report = await assembleReport(w.docs, false);
    const whole = summariseReport(report?.rows ?? [], await w.graph.listSubscribedSkus(), {
      moves: report?.plan.summary.moves ?? [],
    });
    expect(report?.rows).toHaveLength(30);
    expect((await w.docs.report())?.summary).toEqual(whole);
    expect(whole.byOutcome.moved).toBeGreaterThan(0);
    expect(whole.byOutcome.skipped).toBeGreaterThan(0);
  });

  it('stores an empty summary, reading nothing from Graph, for a run that ended before it had a plan', async () => {
    const w = world();
    await w.request({ moves: [standardToPremium({ all: true }, { to: 'SPB_TYPO' })] });
    const reason = 'The request names SKUs or plans this tenant does not have';
    await w.activities.finalizeMigration(
      {
        migrationId: w.migrationId,
        status: 'failed',
        message: reason,
        counts: { total: 0, toChange: 0, done: 0, moved: 0, failed: 0, skipped: 0, blocked: 0 },
      },
      w.log,
    );
    expect(await w.docs.report()).toMatchObject({
      status: 'failed',
      message: reason,
      summary: { total: 0, byOutcome: { moved: 0, skipped: 0, blocked: 0, failed: 0 }, byMove: [], sourceSkus: [] },
    });
    expect(w.graph.calls).toEqual([]);
    expect(w.telemetry.named(TelemetryEvents.MigrationFinished)).toMatchObject([
      { outcome: 'failed', message: reason },
    ]);
  });
});

describe('recordStage', () => {
  it('sends Migration.StageChanged and logs the stage', async () => {
    const w = world();
    await w.activities.recordStage({ migrationId: w.migrationId, status: 'reassigning', stage: 'reassign' }, w.log);
    expect(w.telemetry.events).toEqual([
      {
        name: TelemetryEvents.StageChanged,
        properties: { migrationId: w.migrationId, tenantId: w.tenantId, stage: 'reassign', status: 'reassigning' },
      },
    ]);
    expect(w.log.lines).toEqual([
      { level: 'info', message: 'Stage reassign', properties: { migrationId: w.migrationId, status: 'reassigning' } },
    ]);
  });
});
