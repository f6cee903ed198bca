/**
 * The batch activities (src/activities/batches.ts): reassign (one atomic assignLicense per user, idempotent),
 * verify (re-read, allowing for a lagging read) and cleanup (remove the sources of verified users, overlap only).
 */
import type { MigrationRequest } from '../../src/domain/types';
import { emptyBatchCounts } from '../../src/domain/workflow';
import { TelemetryEvents, TelemetryMetrics } from '../../src/telemetry';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD } from '../domain/fixtures';
import { graphError } from '../support/fake-licensing-graph';
import { PREMIUM, STANDARD, standardToPremium, standardUsers, tenantUser, world, type World } from './support/world';

const USERS = standardUsers(5);
const [U1, U2, U3] = USERS.map((user) => user.id) as [string, string, string];
const counts = (partial: Partial<ReturnType<typeof emptyBatchCounts>>) => ({ ...emptyBatchCounts(), ...partial });

/** Five users on Business Standard, planned for Business Premium in plan batches of two (2, 2, 1). */
async function planned(request: Partial<MigrationRequest> = {}, env: NodeJS.ProcessEnv = {}): Promise<World> {
  const w = world({ users: USERS }, env);
  await w.plan({ moves: [standardToPremium({ all: true })], batchSize: 2, ...request });
  return w;
}

const licensesOf = (w: World, id: string) => w.graph.user(id)?.assignedLicenses.map((license) => license.skuId);

describe('reassignBatch', () => {
  it('moves every user in one atomic call each, and records what each held before and after', async () => {
    const w = await planned();
    const planningCalls = w.graph.calls.length;
    const result = await w.activities.reassignBatch(w.batch('reassign', 3, { batchSize: 2 }), w.log);
    expect(result).toEqual(counts({ moved: 5 }));
    for (const user of USERS) expect(licensesOf(w, user.id)).toEqual([BUSINESS_PREMIUM.skuId]);

    // One call per plan batch, so a user Graph throttles holds up only its own batch.
    const assigns = w.graph.callsTo('assignLicenses');
    expect(assigns.map((call) => call.items.length).sort()).toEqual([1, 2, 2]);
    const assign = assigns.find((call) => call.items.some((item) => item.userId === U1));
    expect(assign?.items[0]).toEqual({ userId: U1, addLicenses: [PREMIUM], removeLicenses: [BUSINESS_STANDARD.skuId] });
    expect(assign?.options).toMatchObject({ budgetShare: 'held', batchSize: 2 });
    expect(assign?.options?.signal).toBeInstanceOf(AbortSignal);
    // Its share of the tenant's write budget is held for the whole activity and given back at the end. The share
    // comes from the tenant ledger: the orchestrator's 1/2 until the ledger has the lease, then its weight over all
    // live leases (alone in the tenant here, so the whole budget).
    const held = w.graph.calls[planningCalls];
    expect(held?.method).toBe('holdBudgetShare');
    const share = held?.method === 'holdBudgetShare' ? held.share : undefined;
    expect(typeof share === 'function' ? share() : share).toBeGreaterThanOrEqual(0.5);
    expect(w.graph.heldShares).toEqual([]);

    const records = await w.docs.batches();
    expect(records.map((record) => [record.batch, record.users.length])).toEqual([
      [0, 2],
      [1, 2],
      [2, 1],
    ]);
    expect(records[0]?.users[0]).toEqual({
      userId: U1,
      before: [STANDARD],
      attempted: true,
      result: { kind: 'moved', after: [PREMIUM] },
    });
    // One BatchCompleted per plan batch, as each ends.
    const completed = w.telemetry.named(TelemetryEvents.BatchCompleted).map((event) => [event.batch, event.moved]);
    expect(completed.sort()).toEqual([
      [0, 2],
      [1, 2],
      [2, 1],
    ]);
    expect(
      w.telemetry.metrics
        .filter((metric) => metric.name === TelemetryMetrics.UsersMoved)
        .map((m) => m.value)
        .sort(),
    ).toEqual([1, 2, 2]);
  });

  it('writes nothing to the tenant when run again after it finished (a retried activity)', async () => {
    const w = await planned();
    const input = w.batch('reassign', 3);
    await w.activities.reassignBatch(input, w.log);
    const writes = w.graph.writes().length;
    const again = await w.activities.reassignBatch(input, w.log);
    expect(again).toEqual(counts({ moved: 5 }));
    expect(w.graph.writes()).toHaveLength(writes);
    const record = await w.docs.batch(0);
    expect(record?.users[0]?.result).toEqual({ kind: 'moved', after: [PREMIUM] });
  });

  it('sets the usage location a user lacks before assigning the license', async () => {
    const users = [tenantUser(1, [STANDARD], { usageLocation: null }), ...standardUsers(1, 2)];
    const w = world({ users });
    await w.plan({ moves: [standardToPremium({ all: true })], usageLocation: 'GB' });
    await w.activities.reassignBatch(w.batch('reassign', 1), w.log);
    const writes = w.graph.writes().map((call) => call.method);
    expect(writes).toEqual(['setUsageLocation', 'assignLicenses']);
    expect(w.graph.callsTo('setUsageLocation')).toEqual([
      { method: 'setUsageLocation', userId: users[0]!.id, countryCode: 'GB' },
    ]);
    expect(w.graph.user(users[0]!.id)).toMatchObject({ usageLocation: 'GB', assignedLicenses: [PREMIUM] });
  });

  it('records a user deleted since planning as failed, and changes the others', async () => {
    const w = await planned();
    w.graph.removeUser(U3);
    const result = await w.activities.reassignBatch(w.batch('reassign', 3), w.log);
    expect(result).toEqual(counts({ moved: 4, failed: 1 }));
    const user3 = (await w.docs.batches()).flatMap((record) => record.users).find((user) => user.userId === U3);
    expect(user3?.result).toEqual({
      kind: 'failed',
      errorClass: 'permanent',
      message: 'the user no longer exists in this tenant',
    });
    expect(w.graph.callsTo('assignLicenses')[0]?.items.map((item) => item.userId)).not.toContain(U3);
    expect(w.telemetry.named(TelemetryEvents.UserFailed)).toEqual([
      { migrationId: w.migrationId, tenantId: w.tenantId, userId: U3, errorClass: 'permanent' },
    ]);
  });

  it('records a user Graph refused as failed with the reason, what to do, the Graph code and request id', async () => {
    const w = await planned();
    const refusal = graphError('assignLicense', {
      status: 400,
      code: 'Request_BadRequest',
      message: 'License assignment failed because service plans TEAMS1 and TEAMS_GOV are mutually exclusive.',
    });
    w.graph.failAssign(U2, refusal);
    const result = await w.activities.reassignBatch(w.batch('reassign', 3), w.log);
    expect(result).toEqual(counts({ moved: 4, failed: 1 }));
    expect(licensesOf(w, U2)).toEqual([BUSINESS_STANDARD.skuId]);
    const record = await w.docs.batch(0);
    expect(record?.users[1]).toEqual({
      userId: U2,
      before: [STANDARD],
      attempted: true,
      result: {
        kind: 'failed',
        errorClass: 'userFixable',
        message:
          'The new license conflicts with a service plan the user already has: two of its service plans are mutually exclusive (MutuallyExclusiveViolation). Remove the conflicting license in the same move (atomic strategy, or replace mode), or switch the conflicting plan off with disabledPlans, then retry.',
        graphErrorCode: 'Request_BadRequest',
        requestId: refusal.requestId,
      },
    });
    expect(w.telemetry.named(TelemetryEvents.UserFailed)).toEqual([
      {
        migrationId: w.migrationId,
        tenantId: w.tenantId,
        userId: U2,
        errorClass: 'userFixable',
        graphCode: 'Request_BadRequest',
        requestId: refusal.requestId,
      },
    ]);
    expect(w.telemetry.metrics.find((metric) => metric.name === TelemetryMetrics.UsersFailed)?.value).toBe(1);
  });

  it('names the user in failure telemetry only when TELEMETRY_INCLUDE_UPN allows it', async () => {
    const w = await planned({}, { TELEMETRY_INCLUDE_UPN: 'true' });
    w.graph.removeUser(U3);
    await w.activities.reassignBatch(w.batch('reassign', 3), w.log);
    expect(w.telemetry.named(TelemetryEvents.UserFailed)[0]).toMatchObject({
      userId: U3,
      userPrincipalName: 'user3@contoso.com',
    });
  });

  it('fails a user whose usage location cannot be set, without trying to license them', async () => {
    const users = [tenantUser(1, [STANDARD], { usageLocation: null }), ...standardUsers(1, 2)];
    const w = world({ users });
    await w.plan({ moves: [standardToPremium({ all: true })], usageLocation: 'GB' });
    w.graph.failUsageLocation(
      users[0]!.id,
      graphError('setUsageLocation', {
        status: 403,
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      }),
    );
    const result = await w.activities.reassignBatch(w.batch('reassign', 1), w.log);
    expect(result).toEqual(counts({ moved: 1, failed: 1 }));
    expect(w.graph.callsTo('assignLicenses')[0]?.items.map((item) => item.userId)).toEqual([users[1]!.id]);
    const failed = (await w.docs.batch(0))?.users[0]?.result;
    expect(failed).toMatchObject({
      kind: 'failed',
      errorClass: 'permanent',
      graphErrorCode: 'Authorization_RequestDenied',
    });
    expect(failed?.kind === 'failed' && failed.message).toMatch(/User\.ReadWrite\.All/);
  });

  it('after a crash between sending and recording, reads back and writes nobody twice, allowing for a lagging read', async () => {
    const w = await planned();
    const input = w.batch('reassign', 3);
    // An earlier attempt marked every user as sent; users 1-2 landed (user 1 still reads stale once), 3-5 did not.
    await w.activities.reassignBatch(input, w.log);
    for (const record of await w.docs.batches()) {
      for (const user of record.users) user.result = { kind: 'notAttempted', reason: 'pending' };
      await w.docs.saveBatch(record);
    }
    for (const n of [3, 4, 5]) w.graph.putUser(tenantUser(n, [STANDARD]));
    w.graph.serveStale(U1, tenantUser(1, [STANDARD]));
    const writes = w.graph.callsTo('assignLicenses').length;

    expect(await w.activities.reassignBatch(input, w.log)).toEqual(counts({ moved: 5 }));
    const resent = w.graph
      .callsTo('assignLicenses')
      .slice(writes)
      .flatMap((call) => call.items.map((i) => i.userId));
    expect(resent.sort()).toEqual(
      USERS.slice(2)
        .map((user) => user.id)
        .sort(),
    );
    const results = new Map((await w.docs.batches()).flatMap((r) => r.users).map((u) => [u.userId, u.result]));
    expect(results.get(U1)).toMatchObject({
      kind: 'moved',
      note: expect.stringMatching(/had been applied, so nothing was sent again/),
    });
    expect(results.get(U3)).toMatchObject({
      kind: 'moved',
      note: expect.stringMatching(/had not been applied, so it was sent again/),
    });
    // Users 3-5 never show the change, so the read-back of their plan batches (1 and 2, each on its own) waits out
    // every delay before sending them again; user 1's batch waits once.
    expect(w.clock.sleeps.sort((a, b) => a - b)).toEqual([
      1_000, 1_000, 1_000, 2_000, 2_000, 4_000, 4_000, 8_000, 8_000,
    ]);
  });

  it('recovers from a read that lagged behind: a refused write is re-read and the user reported as already there', async () => {
    const w = await planned();
    // User 2 was moved by someone else after planning; the batch's first read still shows the old state.
    w.graph.putUser(tenantUser(2, [PREMIUM]));
    w.graph.serveStale(U2, tenantUser(2, [STANDARD]));
    w.graph.failAssignOnce(
      U2,
      graphError('assignLicense', {
        status: 400,
        code: 'Request_BadRequest',
        message: 'User does not have a corresponding license.',
      }),
    );
    expect(await w.activities.reassignBatch(w.batch('reassign', 3), w.log)).toEqual(counts({ moved: 4, skipped: 1 }));
    const record = await w.docs.batch(0);
    expect(record?.users[1]?.result).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/already held/) });
    // Nothing was sent again for the user.
    const sent = w.graph.callsTo('assignLicenses').flatMap((call) => call.items.map((item) => item.userId));
    expect(sent.filter((id) => id === U2)).toHaveLength(1);
  });

  it('reports a user already on the target when the batch runs as skipped, sending nothing for them', async () => {
    const w = await planned();
    w.graph.putUser(tenantUser(2, [PREMIUM]));
    expect(await w.activities.reassignBatch(w.batch('reassign', 3), w.log)).toEqual(counts({ moved: 4, skipped: 1 }));
    expect(w.graph.callsTo('assignLicenses')[0]?.items.map((item) => item.userId)).not.toContain(U2);
    const record = await w.docs.batch(0);
    expect(record?.users[1]?.result).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/already held/) });
  });

  it('with overlap, swaps in one atomic call the users Graph refuses to give both licenses at once', async () => {
    const w = await planned({ strategy: 'overlap' });
    w.graph.failAssignOnce(
      U1,
      graphError('assignLicense', {
        status: 400,
        code: 'Request_BadRequest',
        message: 'License assignment failed because service plans a, b are mutually exclusive.',
      }),
    );
    expect(await w.activities.reassignBatch(w.batch('reassign', 3), w.log)).toEqual(counts({ moved: 5 }));
    const calls = w.graph.callsTo('assignLicenses');
    const first = calls.find((call) => call.items.some((i) => i.userId === U1));
    const fallback = calls.at(-1);
    expect(first?.items.find((i) => i.userId === U1)).toEqual({
      userId: U1,
      addLicenses: [PREMIUM],
      removeLicenses: [],
    });
    expect(fallback?.items).toEqual([
      { userId: U1, addLicenses: [PREMIUM], removeLicenses: [BUSINESS_STANDARD.skuId] },
    ]);
    expect(licensesOf(w, U1)).toEqual([BUSINESS_PREMIUM.skuId]);
    expect((await w.docs.batch(0))?.users[0]?.result).toMatchObject({
      kind: 'moved',
      note: expect.stringMatching(/one call|same call/),
    });
  });

  it('changes nobody once the run is cancelled: every user is not attempted', async () => {
    const w = await planned();
    await w.docs.saveControl({ cancelRequested: { at: '2031-01-06T08:59:00.000Z', by: 'alex@contoso.com' } });
    const result = await w.activities.reassignBatch(w.batch('reassign', 3), w.log);
    expect(result).toEqual(counts({ notAttempted: 5, cancelled: true }));
    expect(w.graph.writes()).toEqual([]);
    expect(await w.docs.batches()).toEqual([]);
    expect(w.graph.heldShares).toEqual([]);
  });
});

describe('verifyBatch', () => {
  async function reassigned(request: Partial<MigrationRequest> = {}): Promise<World> {
    const w = await planned(request);
    await w.activities.reassignBatch(w.batch('reassign', 3), w.log);
    return w;
  }

  it('confirms every changed user, reading them once', async () => {
    const w = await reassigned();
    const reads = w.graph.callsTo('getUsersDirect').length;
    expect(await w.activities.verifyBatch(w.batch('verify', 3), w.log)).toEqual(counts({ moved: 5 }));
    expect(w.graph.callsTo('getUsersDirect')).toHaveLength(reads + 1);
    expect(w.clock.sleeps).toEqual([]);
    const users = (await w.docs.batches()).flatMap((record) => record.users);
    expect(users.every((user) => user.verified === true)).toBe(true);
  });

  it('passes a user whose first reads still show the old state, re-reading only that user with growing waits', async () => {
    const w = await reassigned();
    w.graph.serveStale(U1, tenantUser(1, [STANDARD]), 2);
    expect(await w.activities.verifyBatch(w.batch('verify', 3), w.log)).toEqual(counts({ moved: 5 }));
    expect(w.clock.sleeps).toEqual([1_000, 2_000]);
    expect(w.graph.callsTo('getUsersDirect').at(-1)?.ids).toEqual([U1]);
  });

  it('fails users whose change did not hold, saying what is wrong', async () => {
    const w = await reassigned();
    // Someone put the old license back on user 2; user 3's new license is in error.
    w.graph.putUser(tenantUser(2, [STANDARD, PREMIUM]));
    w.graph.putUser(
      tenantUser(3, [PREMIUM], {
        licenseAssignmentStates: [
          { skuId: PREMIUM.skuId, assignedByGroup: null, disabledPlans: [], state: 'Error', error: 'CountViolation' },
        ],
      }),
    );
    expect(await w.activities.verifyBatch(w.batch('verify', 3), w.log)).toEqual(counts({ moved: 3, failed: 2 }));
    const results = new Map(
      (await w.docs.batches()).flatMap((record) => record.users).map((u) => [u.userId, u.result]),
    );
    expect(results.get(U2)).toEqual({
      kind: 'failed',
      errorClass: 'retryable',
      message:
        'the change was accepted, but after 15 s of re-reading the directory still shows that the user still holds Microsoft 365 Business Standard directly; check the user again in a few minutes',
    });
    expect(results.get(U3)).toEqual({
      kind: 'failed',
      errorClass: 'retryable',
      message:
        'the change was accepted, but after 15 s of re-reading the directory still shows that Microsoft 365 Business Premium is assigned but in error (CountViolation); check the user again in a few minutes',
    });
    expect(w.log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'Verification found users not in the planned state' }),
    );
  });

  it('reads nobody when there is nothing left to verify', async () => {
    const w = await reassigned();
    await w.activities.verifyBatch(w.batch('verify', 3), w.log);
    const reads = w.graph.callsTo('getUsersByIds').length;
    expect(await w.activities.verifyBatch(w.batch('verify', 3), w.log)).toEqual(counts({}));
    expect(w.graph.callsTo('getUsersByIds')).toHaveLength(reads);
  });
});

describe('cleanupBatch', () => {
  /** Overlap: reassign adds Premium and keeps Standard; user 2's change is refused; the rest is verified. */
  async function verifiedOverlap(): Promise<World> {
    const w = await planned({ strategy: 'overlap' });
    w.graph.failAssign(
      U2,
      graphError('assignLicense', {
        status: 400,
        code: 'Request_BadRequest',
        message: `License assignment cannot be done for user with invalid usage location.`,
      }),
    );
    await w.activities.reassignBatch(w.batch('reassign', 3), w.log);
    await w.activities.verifyBatch(w.batch('verify', 3), w.log);
    return w;
  }

  it('removes the old license from verified users only, and records it', async () => {
    const w = await verifiedOverlap();
    expect(licensesOf(w, U1)).toEqual([BUSINESS_STANDARD.skuId, BUSINESS_PREMIUM.skuId]);
    const result = await w.activities.cleanupBatch(w.batch('cleanup', 3, { budgetShare: 0.25 }), w.log);
    expect(result).toEqual(counts({ moved: 4 }));
    const [removal] = w.graph.callsTo('assignLicenses').slice(-1);
    expect(removal?.items.map((item) => item.userId)).not.toContain(U2);
    expect(removal?.items[0]).toEqual({ userId: U1, addLicenses: [], removeLicenses: [BUSINESS_STANDARD.skuId] });
    // Its share of the budget comes from the tenant ledger (the orchestrator's 1/4 until the ledger has the lease).
    const share = removal?.options?.budgetShare;
    expect(typeof share === 'function' ? share() : share).toBeGreaterThanOrEqual(0.25);
    expect(licensesOf(w, U1)).toEqual([BUSINESS_PREMIUM.skuId]);
    expect(licensesOf(w, U2)).toEqual([BUSINESS_STANDARD.skuId]);
    const user1 = (await w.docs.batch(0))?.users[0];
    expect(user1).toMatchObject({ verified: true, cleanedUp: true, result: { kind: 'moved', after: [PREMIUM] } });
    // Run again (a retried activity): nothing is left to remove.
    const writes = w.graph.writes().length;
    expect(await w.activities.cleanupBatch(w.batch('cleanup', 3), w.log)).toEqual(counts({}));
    expect(w.graph.writes()).toHaveLength(writes);
  });

  it('removes nothing from users whose new license is not verified yet', async () => {
    const w = await planned({ strategy: 'overlap' });
    await w.activities.reassignBatch(w.batch('reassign', 3), w.log);
    const writes = w.graph.writes().length;
    expect(await w.activities.cleanupBatch(w.batch('cleanup', 3), w.log)).toEqual(counts({}));
    expect(w.graph.writes()).toHaveLength(writes);
    expect(licensesOf(w, U1)).toEqual([BUSINESS_STANDARD.skuId, BUSINESS_PREMIUM.skuId]);
  });

  it('fails a user whose old license cannot be removed, saying the new one was added', async () => {
    const w = await verifiedOverlap();
    w.graph.failAssign(
      U3,
      graphError('assignLicense', {
        status: 400,
        code: 'Request_BadRequest',
        message: 'User license is inherited from a group membership and it cannot be removed directly from the user.',
      }),
    );
    expect(await w.activities.cleanupBatch(w.batch('cleanup', 3), w.log)).toEqual(counts({ moved: 3, failed: 1 }));
    const user3 = (await w.docs.batch(1))?.users[0];
    expect(user3?.result).toMatchObject({
      kind: 'failed',
      errorClass: 'userFixable',
      message:
        "the new license was added but the old one could not be removed: The license comes from a group, so it cannot be removed from the user directly. Change the group's license or remove the user from that group, then retry.",
    });
  });
});
