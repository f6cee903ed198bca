/**
 * Stage 2 (src/orchestrations/approval-stage.ts): with `requireApproval`, nothing changes until someone approves;
 * a rejection, a cancel or the approval timeout ends the run with nobody changed.
 */
import type { ActivityHandlers } from '../../src/activities';
import { MigrationEvents } from '../../src/domain/workflow';
import {
  activitySteps,
  callsTo,
  everyoneMoves,
  HOUR,
  migrationInput,
  scriptedPlan,
  stubHostForThisFile,
  type Step,
} from './support/harness';

const host = stubHostForThisFile();

const plan = scriptedPlan({ toChange: 25, skipped: 3 });
const awaitingApproval: Step = { until: (status) => status.status === 'awaitingApproval' };
const withApproval = migrationInput.bind(null, { requireApproval: true, approvalTimeout: 'PT4H' });
const NOTHING_CHANGED = ['recordStage', 'planMigration', 'recordStage', 'finalizeMigration'];

function runUntilApproval(steps: Step[], stubs: Partial<ActivityHandlers> = everyoneMoves(plan)) {
  return host.runMigration(stubs, withApproval(), { steps: [awaitingApproval, ...steps] });
}

describe('approval stage', () => {
  it('waits for approval after planning, showing how many users would change', async () => {
    const run = await runUntilApproval([{ raise: MigrationEvents.approval, data: { approved: true } }]);
    const waiting = run.statuses.find((status) => status.status === 'awaitingApproval');
    expect(waiting).toMatchObject({ stage: 'approval', counts: { toChange: 25, skipped: 3, moved: 0 } });
    expect(callsTo(run.calls, 'recordStage').map((call) => call.input.status)).toContain('awaitingApproval');
  });

  it('goes on once approved, and says who approved', async () => {
    const run = await runUntilApproval([
      { raise: MigrationEvents.approval, data: { approved: true, by: 'alex@contoso.com', reason: 'change window' } },
    ]);
    expect(run.output).toMatchObject({ status: 'completed', counts: { moved: 25 } });
    expect(activitySteps(run.calls)).toContain('reassignBatch');
    const messages = run.statuses.map((status) => status.message);
    expect(messages).toContain('Approved by alex@contoso.com: change window.');
    // The approval timer is cancelled: the run does not sit out the 4 h timeout before finishing.
    expect(callsTo(run.calls, 'finalizeMigration')[0]?.at).toBe(run.startedAt);
  });

  it('ends as rejected, naming who rejected and why, with nobody changed', async () => {
    const run = await runUntilApproval([
      {
        raise: MigrationEvents.approval,
        data: { approved: false, by: 'sam@contoso.com', reason: 'wait for the new quarter' },
      },
    ]);
    expect(run.output).toMatchObject({
      status: 'rejected',
      message: 'Rejected by sam@contoso.com: wait for the new quarter. Nothing was changed.',
      remaining: 25,
      counts: { moved: 0, failed: 0 },
    });
    expect(activitySteps(run.calls)).toEqual(NOTHING_CHANGED);
  });

  it('gives up after the approval timeout as cancelled, with nobody changed', async () => {
    // No event: virtual time runs on to the 4 h timeout at once.
    const run = await host.runMigration(everyoneMoves(plan), withApproval());
    expect(run.output).toMatchObject({
      status: 'cancelled',
      message: 'No approval within 4 h: nothing was changed.',
      remaining: 25,
    });
    expect(activitySteps(run.calls)).toEqual(NOTHING_CHANGED);
    expect(callsTo(run.calls, 'finalizeMigration')[0]?.at).toBe(run.startedAt + 4 * HOUR);
  });

  it('ends as cancelled when cancelled while awaiting approval', async () => {
    const run = await runUntilApproval([{ raise: MigrationEvents.cancel }]);
    expect(run.output).toMatchObject({
      status: 'cancelled',
      message: 'Cancelled before approval: nothing was changed.',
      remaining: 25,
    });
    expect(activitySteps(run.calls)).toEqual(NOTHING_CHANGED);
  });

  it.each([
    ['a bare string', 'yes'],
    ['approved as a string', { approved: 'true', by: 'alex@contoso.com' }],
    ['no payload', undefined],
  ])('counts a malformed approval (%s) as a rejection', async (_, data) => {
    const run = await runUntilApproval([{ raise: MigrationEvents.approval, data }]);
    expect(run.output.status).toBe('rejected');
    expect(run.output.message).toMatch(/^Rejected(?: by alex@contoso\.com)?\. Nothing was changed\.$/);
    expect(activitySteps(run.calls)).toEqual(NOTHING_CHANGED);
  });

  it('asks for no approval when the request does not require one', async () => {
    const run = await host.runMigration(everyoneMoves(plan), migrationInput({ approvalTimeout: 'PT4H' }));
    expect(run.statuses.map((status) => status.status)).not.toContain('awaitingApproval');
    expect(run.output.status).toBe('completed');
  });
});
