/**
 * Stage 1 (src/orchestrations/plan-stage.ts): plan, waiting first while a target named by id is not bought yet;
 * end early for a dry run, a failed plan, a downgrade that needs acknowledging, or nobody to change.
 */
import type { ActivityHandlers } from '../../src/activities';
import { MigrationEvents, type PlanOutcome } from '../../src/domain/workflow';
import { BUSINESS_PREMIUM, O365_E3, O365_E5, planId } from '../domain/fixtures';
import {
  activitySteps,
  callsTo,
  everyoneMoves,
  HOUR,
  inputsOf,
  iso,
  migrationInput,
  MINUTE,
  scriptedPlan,
  stubHostForThisFile,
} from './support/harness';

const host = stubHostForThisFile();

const ONLY_PLANNED = ['recordStage', 'planMigration', 'finalizeMigration'];
const NOT_BOUGHT: PlanOutcome = {
  ok: false,
  missingTargets: [BUSINESS_PREMIUM.skuId],
  reason: `the target subscription ${BUSINESS_PREMIUM.skuId} is not in this tenant: buy it for this organisation (the same tenant as the users) in the Microsoft 365 admin center (https://admin.microsoft.com/#/subscriptions)`,
};

/** planMigration answering these outcomes in turn (the last one again once they run out). */
function plans(...outcomes: PlanOutcome[]): Pick<ActivityHandlers, 'planMigration'> {
  let next = 0;
  return {
    planMigration: (migrationId) => {
      const outcome = outcomes[Math.min(next++, outcomes.length - 1)];
      return outcome ? Promise.resolve(outcome) : Promise.reject(new Error(`no plan for ${migrationId}`));
    },
  };
}

describe('plan stage', () => {
  it('plans the migration by its id and shows the plan counts', async () => {
    const plan = scriptedPlan({ toChange: 30, skipped: 4, blocked: 2 });
    const run = await host.runMigration(everyoneMoves(plan), migrationInput());
    expect(inputsOf(run.calls, 'planMigration')).toEqual([run.instanceId]);
    expect(run.statuses[0]).toMatchObject({ status: 'planning', stage: 'plan', stageStartedAt: iso(run.startedAt) });
    expect(run.statuses.find((status) => status.counts.total > 0)?.counts).toEqual({
      total: 36,
      toChange: 30,
      skipped: 4,
      blocked: 2,
      done: 6,
      moved: 0,
      failed: 0,
    });
  });

  it('ends a dry run as completed after planning: the report is the plan, nobody is changed', async () => {
    const plan = scriptedPlan({ toChange: 30, skipped: 4, blocked: 2 });
    // Even with approval required: there is nothing to approve in a dry run.
    const run = await host.runMigration(everyoneMoves(plan), migrationInput({ dryRun: true, requireApproval: true }));
    expect(run.output).toEqual({
      status: 'completed',
      message: 'Dry run: nothing was changed. The report is the plan.',
      remaining: 0,
      counts: { total: 36, toChange: 30, skipped: 4, blocked: 2, done: 6, moved: 0, failed: 0 },
    });
    expect(activitySteps(run.calls)).toEqual(ONLY_PLANNED);
  });

  it('ends as failed with the plan’s reason when planning fails', async () => {
    const reason =
      'The request names SKUs or plans this tenant does not have: moves[0].to "SPB_TYPO" is not a SKU of this tenant. This tenant has: SPB (Microsoft 365 Business Premium).';
    const run = await host.runMigration(plans({ ok: false, reason }), migrationInput());
    expect(run.output).toMatchObject({ status: 'failed', message: reason, remaining: 0 });
    expect(activitySteps(run.calls)).toEqual(ONLY_PLANNED);
    expect(inputsOf(run.calls, 'finalizeMigration')[0]).toMatchObject({ status: 'failed', message: reason });
  });

  it('waits for a target that is not bought yet, says why, and plans again at once on recheck', async () => {
    const plan = scriptedPlan({ toChange: 10 });
    const run = await host.runMigration(
      { ...everyoneMoves(plan), ...plans(NOT_BOUGHT, plan.outcome) },
      migrationInput(),
      {
        steps: [{ until: (status) => status.status === 'waitingForLicenses' }, { raise: MigrationEvents.recheck }],
      },
    );
    const waitingAt = run.statuses.findIndex((status) => status.status === 'waitingForLicenses');
    expect(run.statuses[waitingAt]).toMatchObject({
      stage: 'plan',
      waitingFor: {
        reason: NOT_BOUGHT.reason,
        reasons: [NOT_BOUGHT.reason],
        since: iso(run.startedAt),
        nextCheckAt: iso(run.startedAt + MINUTE),
        deadline: iso(run.startedAt + 72 * HOUR),
      },
    });
    // Back to planning, no longer waiting, without waiting for the poll timer.
    expect(run.statuses[waitingAt + 1]).toMatchObject({ status: 'planning' });
    expect(run.statuses[waitingAt + 1]?.waitingFor).toBeUndefined();
    expect(callsTo(run.calls, 'planMigration').map((call) => call.at)).toEqual([run.startedAt, run.startedAt]);
    expect(run.output).toMatchObject({ status: 'completed', counts: { moved: 10 } });
  });

  it('plans again by itself when the poll timer fires', async () => {
    const plan = scriptedPlan({ toChange: 10 });
    const run = await host.runMigration(
      { ...everyoneMoves(plan), ...plans(NOT_BOUGHT, plan.outcome) },
      migrationInput({ waitForLicenses: { pollInterval: 'PT5M', timeout: 'PT72H' } }),
    );
    expect(callsTo(run.calls, 'planMigration').map((call) => call.at - run.startedAt)).toEqual([0, 5 * MINUTE]);
    expect(run.output.status).toBe('completed');
  });

  it('ends as cancelled when cancelled while waiting for the target, with nobody changed', async () => {
    const run = await host.runMigration(plans(NOT_BOUGHT), migrationInput(), {
      steps: [{ until: (status) => status.status === 'waitingForLicenses' }, { raise: MigrationEvents.cancel }],
    });
    expect(run.output).toMatchObject({
      status: 'cancelled',
      message: 'Cancelled while waiting for licenses: nobody was changed.',
      remaining: 0,
    });
    expect(activitySteps(run.calls)).toEqual(ONLY_PLANNED);
  });

  it('gives up at the deadline as needsAttention, with the reason and where to look', async () => {
    const run = await host.runMigration(
      plans(NOT_BOUGHT),
      migrationInput({ waitForLicenses: { pollInterval: 'PT1M', timeout: 'PT10M' } }),
    );
    expect(callsTo(run.calls, 'planMigration').map((call) => (call.at - run.startedAt) / MINUTE)).toEqual([
      0, 1, 3, 7, 10,
    ]);
    expect(run.output.status).toBe('needsAttention');
    expect(run.output.message).toBe(
      `Gave up waiting for licenses after 10 min: ${NOT_BOUGHT.reason}. Nobody was changed. If this is unexpected, check the subscriptions in the Microsoft 365 admin center (https://admin.microsoft.com/#/subscriptions) or open a support request there with this migration id.`,
    );
  });

  it('stops as needsAttention when a downgrade loses data, naming the services that hold data', async () => {
    const plan = scriptedPlan({
      toChange: 12,
      summary: {
        needsDataLossAcknowledgement: true,
        downgrades: [
          {
            move: 0,
            fromSkuPartNumber: 'ENTERPRISEPREMIUM',
            toSkuPartNumber: 'ENTERPRISEPACK',
            lostPlans: [
              {
                servicePlanId: planId(O365_E5, 'EQUIVIO_ANALYTICS'),
                servicePlanName: 'EQUIVIO_ANALYTICS',
                holdsData: true,
              },
              { servicePlanId: planId(O365_E5, 'PAM_ENTERPRISE'), servicePlanName: 'PAM_ENTERPRISE', holdsData: false },
              {
                servicePlanId: planId(O365_E5, 'RECORDS_MANAGEMENT'),
                servicePlanName: 'RECORDS_MANAGEMENT',
                holdsData: true,
              },
            ],
          },
        ],
        seatsNeeded: { [O365_E3.skuId]: 12 },
      },
    });
    const run = await host.runMigration(everyoneMoves(plan), migrationInput({ requireApproval: true }));
    expect(run.output).toMatchObject({ status: 'needsAttention', remaining: 12 });
    expect(run.output.message).toBe(
      'This move is a downgrade that loses services holding data (ENTERPRISEPREMIUM → ENTERPRISEPACK loses EQUIVIO_ANALYTICS, RECORDS_MANAGEMENT). Back up that data, then start the migration again with acknowledgeDataLoss: true. Nothing was changed.',
    );
    expect(activitySteps(run.calls)).toEqual(ONLY_PLANNED);
  });

  it('ends as completed when nobody needs a change, passing on the users left for a later run', async () => {
    const plan = scriptedPlan({ toChange: 0, skipped: 12, blocked: 3, remaining: 5 });
    const run = await host.runMigration(everyoneMoves(plan), migrationInput({ requireApproval: true }));
    expect(run.output).toEqual({
      status: 'completed',
      message: 'Nobody needs a change: every user is already done, skipped or blocked.',
      remaining: 5,
      counts: { total: 15, toChange: 0, skipped: 12, blocked: 3, done: 15, moved: 0, failed: 0 },
    });
    expect(activitySteps(run.calls)).toEqual(ONLY_PLANNED);
  });
});
