/**
 * Stages 2–3 (src/orchestrations/licenses-stage.ts, waiting.ts): check the purchase, and wait with back-off until
 * the licenses are there, a recheck or a cancel comes, or the deadline passes. Nobody changes before.
 */
import type { ActivityHandlers } from '../../src/activities';
import type { LicenseCheckResult } from '../../src/domain/workflow';
import { MigrationEvents } from '../../src/domain/workflow';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD, O365_E3 } from '../domain/fixtures';
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

const SHORT =
  'need 25, 5 free: buy 20 more Microsoft 365 Business Premium licenses (https://admin.microsoft.com/#/subscriptions)';
const SUSPENDED = 'the Microsoft 365 Business Premium subscription is Suspended: reactivate it';

const notReady = (...reasons: string[]): LicenseCheckResult => ({ ready: false, reasons, notes: [], targets: [] });
const ready = (...notes: string[]): LicenseCheckResult => ({ ready: true, reasons: [], notes, targets: [] });

/** checkLicenses answering these results in turn (the last one again once they run out). */
function checks(...results: LicenseCheckResult[]): Pick<ActivityHandlers, 'checkLicenses'> {
  let next = 0;
  return {
    checkLicenses: () => Promise.resolve(results[Math.min(next++, results.length - 1)] ?? ready()),
  };
}

const plan = scriptedPlan({ toChange: 25 });
const wait = (pollInterval: string, timeout: string) => migrationInput({ waitForLicenses: { pollInterval, timeout } });

describe('licenses stage', () => {
  it('waits when the licenses are not there, saying why, when it checks next and until when', async () => {
    const run = await host.runMigration(
      { ...everyoneMoves(plan), ...checks(notReady(SHORT, SUSPENDED), ready()) },
      wait('PT10M', 'PT72H'),
      {
        steps: [
          { until: (status) => status.status === 'waitingForLicenses' && status.waitingFor !== undefined },
          { raise: MigrationEvents.recheck },
        ],
      },
    );
    const waiting = run.statuses.find((status) => status.waitingFor !== undefined);
    expect(waiting).toMatchObject({
      status: 'waitingForLicenses',
      stage: 'purchaseCheck',
      waitingFor: {
        reason: `${SHORT}; ${SUSPENDED}`,
        reasons: [SHORT, SUSPENDED],
        since: iso(run.startedAt),
        nextCheckAt: iso(run.startedAt + 10 * MINUTE),
        deadline: iso(run.startedAt + 72 * HOUR),
      },
    });
    // The recheck woke it at once; nobody was touched before the licenses were there.
    expect(callsTo(run.calls, 'checkLicenses').map((call) => call.at)).toEqual([run.startedAt, run.startedAt]);
    expect(activitySteps(run.calls)).toEqual([
      'recordStage',
      'planMigration',
      'recordStage',
      'checkLicenses',
      'recordStage',
      'reassignBatch',
      'recordStage',
      'verifyBatch',
      'finalizeMigration',
    ]);
    expect(run.output).toMatchObject({ status: 'completed', counts: { moved: 25 } });
  });

  it('asks for the seats the plan needs and the sources it replaces', async () => {
    const twoMoves = scriptedPlan({
      toChange: 30,
      summary: {
        moves: [
          { ...plan.outcome.summary.moves[0]!, move: 0 },
          { move: 1, toSkuId: O365_E3.skuId, toSkuPartNumber: 'ENTERPRISEPACK', disabledPlanIds: [] },
        ],
        seatsNeeded: { [BUSINESS_PREMIUM.skuId]: 20, [O365_E3.skuId]: 10 },
      },
    });
    const run = await host.runMigration(everyoneMoves(twoMoves), migrationInput());
    expect(inputsOf(run.calls, 'checkLicenses')).toEqual([
      {
        migrationId: run.instanceId,
        seatsNeeded: { [BUSINESS_PREMIUM.skuId]: 20, [O365_E3.skuId]: 10 },
        // A move without a source (replace mode adds the target only) has nothing to keep listed.
        sourceSkuIds: [BUSINESS_STANDARD.skuId],
      },
    ]);
  });

  it('checks again by itself with back-off doubling up to an hour, then gives up as needsAttention', async () => {
    const run = await host.runMigration({ ...everyoneMoves(plan), ...checks(notReady(SHORT)) }, wait('PT10M', 'PT4H'));
    const minutes = callsTo(run.calls, 'checkLicenses').map((call) => (call.at - run.startedAt) / MINUTE);
    // 10, 20, 40 min, then capped at 60; the last wait is cut short by the 4 h deadline.
    expect(minutes).toEqual([0, 10, 30, 70, 130, 190, 240]);
    expect(run.output).toMatchObject({ status: 'needsAttention', remaining: 25, counts: { moved: 0 } });
    expect(run.output.message).toMatch(/^Gave up waiting for licenses after 4 h: need 25, 5 free: buy 20 more/);
    expect(run.output.message).toMatch(/Nobody was changed\. .*admin\.microsoft\.com/);
    expect(activitySteps(run.calls)).not.toContain('reassignBatch');
  });

  it('goes on by itself at a later check once the licenses were bought', async () => {
    const run = await host.runMigration(
      { ...everyoneMoves(plan), ...checks(notReady(SHORT), notReady(SHORT), ready()) },
      wait('PT1M', 'PT72H'),
    );
    expect(callsTo(run.calls, 'checkLicenses').map((call) => call.at - run.startedAt)).toEqual([0, MINUTE, 3 * MINUTE]);
    expect(callsTo(run.calls, 'reassignBatch')[0]?.at).toBe(run.startedAt + 3 * MINUTE);
    expect(run.output).toMatchObject({ status: 'completed', counts: { moved: 25 } });
  });

  it('passes the previous reason on, so waiting telemetry is sent once per reason', async () => {
    const run = await host.runMigration(
      { ...everyoneMoves(plan), ...checks(notReady(SHORT), notReady(SHORT), notReady(SUSPENDED), ready()) },
      wait('PT1M', 'PT72H'),
    );
    expect(inputsOf(run.calls, 'checkLicenses').map((input) => input.previousReason)).toEqual([
      undefined,
      SHORT,
      SHORT,
      SUSPENDED,
    ]);
  });

  it('ends as cancelled when cancelled while waiting, with nobody changed', async () => {
    const run = await host.runMigration({ ...everyoneMoves(plan), ...checks(notReady(SHORT)) }, wait('PT1M', 'PT72H'), {
      steps: [{ until: (status) => status.waitingFor !== undefined }, { raise: MigrationEvents.cancel }],
    });
    expect(run.output).toMatchObject({
      status: 'cancelled',
      message: 'Cancelled while waiting for licenses: nobody was changed.',
      remaining: 25,
    });
    expect(activitySteps(run.calls)).not.toContain('reassignBatch');
  });

  it('shows a note that does not block (a trial that ends soon) while the users are moved', async () => {
    const note = 'Microsoft 365 Business Premium is a trial subscription that changes state on 2031-02-01T00:00:00Z';
    const run = await host.runMigration({ ...everyoneMoves(plan), ...checks(ready(note)) }, migrationInput());
    const reassigning = run.statuses.filter((status) => status.status === 'reassigning');
    expect(reassigning.length).toBeGreaterThan(0);
    expect(reassigning.map((status) => status.message)).toContain(note);
    expect(run.output.status).toBe('completed');
  });

  it('keeps one deadline for the whole run: waiting for a target to be bought counts too', async () => {
    const missing = {
      ok: false as const,
      missingTargets: [BUSINESS_PREMIUM.skuId],
      reason: `the target subscription ${BUSINESS_PREMIUM.skuId} is not in this tenant`,
    };
    let plans = 0;
    const run = await host.runMigration(
      {
        ...everyoneMoves(plan),
        planMigration: () => Promise.resolve(plans++ === 0 ? missing : plan.outcome),
        ...checks(notReady(SHORT), ready()),
      },
      wait('PT1M', 'PT2H'),
    );
    const waits = run.statuses.filter((status) => status.waitingFor !== undefined);
    expect(waits.map((status) => status.stage)).toEqual(['plan', 'purchaseCheck']);
    const [planWait, licenseWait] = waits.map((status) => status.waitingFor);
    expect(licenseWait?.since).toBe(planWait?.since);
    expect(licenseWait?.deadline).toBe(iso(run.startedAt + 2 * HOUR));
    expect(run.output.status).toBe('completed');
  });
});
