/**
 * The group-move activities (src/activities/groups.ts, group-check.ts) over the fake Graph: each step's writes, the
 * checks that wait for group licensing, per-member errors, seats, cancel, giving up, and idempotent reruns.
 */
import type { AssignedLicense } from '../../src/domain/types';
import type { GroupStep, GroupUnitStatus } from '../../src/domain/workflow';
import { inherited, O365_E1, O365_E3, planId } from '../domain/fixtures';
import { PREMIUM, STANDARD, tenantUser, world, type World } from './support/world';

const LIC_E1 = '10000000-0000-4000-8000-00000000e001';
const LIC_STANDARD = '10000000-0000-4000-8000-0000000000b5';
const LIC_PREMIUM = '10000000-0000-4000-8000-0000000000b9';
const E1: AssignedLicense = { skuId: O365_E1.skuId, disabledPlans: [] };
const E3: AssignedLicense = { skuId: O365_E3.skuId, disabledPlans: [] };
const EXCHANGE_P2 = planId(O365_E3, 'EXCHANGE_S_ENTERPRISE');

const ids = (_w: World, n: number[]) => n.map((i) => tenantUser(i, []).id);
const skuIds = (w: World, userId: string) => w.graph.user(userId)!.assignedLicenses.map((l) => l.skuId);

function e1World(): World {
  const members = [1, 2, 3].map((n) => tenantUser(n, [E1], { licenseAssignmentStates: [inherited(E1, LIC_E1)] }));
  return world({
    users: members,
    licensingGroups: [
      { id: LIC_E1, displayName: 'Lic – E1', assignedLicenses: [E1], members: members.map((u) => u.id) },
    ],
  });
}

function standardWorld(): World {
  const members = [4, 5, 6].map((n) =>
    tenantUser(n, [STANDARD], { licenseAssignmentStates: [inherited(STANDARD, LIC_STANDARD)] }),
  );
  return world({
    users: [...members, tenantUser(7, [STANDARD])],
    licensingGroups: [
      {
        id: LIC_STANDARD,
        displayName: 'Lic – Business Standard',
        assignedLicenses: [STANDARD],
        members: members.map((u) => u.id),
      },
      { id: LIC_PREMIUM, displayName: 'Lic – Business Premium', assignedLicenses: [PREMIUM], members: [] },
    ],
  });
}

const productMove = {
  group: LIC_E1,
  from: 'STANDARDPACK',
  to: 'ENTERPRISEPACK',
  users: { groupId: LIC_E1 },
  disabledPlans: [],
  keepDisabledPlans: true,
};
const joinMove = {
  from: 'O365_BUSINESS_PREMIUM',
  to: 'SPB',
  users: { all: true as const },
  disabledPlans: [],
  keepDisabledPlans: true,
  assignVia: { group: LIC_PREMIUM },
  sourceGroups: 'leave' as const,
};

async function step(w: World, stepName: GroupStep, unit = 0, chunk = 0): Promise<GroupUnitStatus> {
  return w.activities.groupStep({ migrationId: w.migrationId, unit, step: stepName, chunk }, w.log);
}
async function check(w: World, stepName: GroupStep, giveUp?: string): Promise<GroupUnitStatus> {
  return w.activities.checkGroupStep(
    { migrationId: w.migrationId, unit: 0, step: stepName, ...(giveUp ? { giveUp } : {}) },
    w.log,
  );
}
async function rows(w: World) {
  const record = await w.docs.groupRecord(0);
  return new Map((record?.users ?? []).map((user) => [user.userId, user]));
}

describe("group moves: a licensing group's product (E1 → E3)", () => {
  it('adds E3 without its Exchange plan, waits for every member, then drops E1 and switches Exchange on in one call', async () => {
    const w = e1World();
    await w.plan({ moves: [productMove] });
    expect(await step(w, 'addTarget')).toMatchObject({ total: 3, reached: 0, settled: false });
    expect(w.graph.group(LIC_E1)!.assignedLicenses).toEqual([
      E1,
      { skuId: O365_E3.skuId, disabledPlans: [EXCHANGE_P2] },
    ]);
    // Entra has not processed the group yet.
    expect(await check(w, 'addTarget')).toMatchObject({ processing: 'QueuedForProcessing', settled: false });
    w.graph.processGroups();
    expect(await check(w, 'addTarget')).toMatchObject({ reached: 3, pending: 0, settled: true });
    expect(skuIds(w, ids(w, [1])[0]!)).toEqual([O365_E1.skuId, O365_E3.skuId]);

    await step(w, 'removeSource');
    expect(w.graph.callsTo('assignGroupLicense').map((call) => [call.add, call.remove])).toEqual([
      [[{ skuId: O365_E3.skuId, disabledPlans: [EXCHANGE_P2] }], []],
      [[E3], [O365_E1.skuId]],
    ]);
    expect(await check(w, 'removeSource')).toMatchObject({ moved: 0, settled: false });
    w.graph.processGroups();
    expect(await check(w, 'removeSource')).toMatchObject({ moved: 3, failed: 0, settled: true });
    for (const id of ids(w, [1, 2, 3])) expect(skuIds(w, id)).toEqual([O365_E3.skuId]);

    // A retried or resumed step reads the group first and changes nothing twice (E3's Exchange is never switched off again).
    await step(w, 'addTarget');
    await step(w, 'removeSource');
    expect(w.graph.callsTo('assignGroupLicense')).toHaveLength(2);
  });

  it('keeps both products when a member gets an error, reporting that member with its meaning and the others as waiting', async () => {
    const w = e1World();
    await w.plan({ moves: [productMove] });
    w.graph.failMember(LIC_E1, ids(w, [2])[0]!, 'ProhibitedInUsageLocationViolation');
    await step(w, 'addTarget');
    w.graph.processGroups();
    expect(await check(w, 'addTarget')).toMatchObject({ reached: 2, failed: 1, settled: true });
    expect(await step(w, 'removeSource')).toMatchObject({ moved: 0, failed: 1, notFinished: 2 });
    expect(w.graph.callsTo('assignGroupLicense')).toHaveLength(1);
    const byUser = await rows(w);
    expect(byUser.get(ids(w, [2])[0]!)!.result).toMatchObject({
      kind: 'failed',
      graphErrorCode: 'ProhibitedInUsageLocationViolation',
      message: expect.stringMatching(/no usage location .* Set the user's usage location/),
    });
    expect(byUser.get(ids(w, [1])[0]!)!.result).toMatchObject({
      kind: 'notAttempted',
      reason: expect.stringMatching(/keeps both Office 365 E1 and Office 365 E3: 1 member did not get/),
    });
    // Nobody lost E1.
    for (const id of ids(w, [1, 2, 3])) expect(skuIds(w, id)).toContain(O365_E1.skuId);
  });

  it('waits for seats on CountViolation, then sends the group license again so the members are processed', async () => {
    const w = e1World();
    w.graph.sku(O365_E3.skuId)!.prepaidUnits.enabled = 1;
    await w.plan({ moves: [productMove] });
    await step(w, 'addTarget');
    w.graph.processGroups();
    expect(await check(w, 'addTarget')).toMatchObject({ reached: 1, waitingForSeats: 2, settled: false });
    expect(w.graph.callsTo('assignGroupLicense')).toHaveLength(1);
    w.graph.sku(O365_E3.skuId)!.prepaidUnits.enabled = 10;
    expect(await check(w, 'addTarget')).toMatchObject({ waitingForSeats: 2, settled: false });
    expect(w.graph.callsTo('assignGroupLicense')).toHaveLength(2);
    w.graph.processGroups();
    expect(await check(w, 'addTarget')).toMatchObject({ reached: 3, waitingForSeats: 0, settled: true });
  });

  it('gives up at the deadline: users still waiting are failed as retryable, saying where they stopped', async () => {
    const w = e1World();
    await w.plan({ moves: [productMove] });
    await step(w, 'addTarget');
    expect(await check(w, 'addTarget', 'group licensing had not finished after 3 d')).toMatchObject({
      failed: 3,
      settled: true,
    });
    const [first] = (await rows(w)).values();
    expect(first!.result).toMatchObject({
      kind: 'failed',
      errorClass: 'retryable',
      message: expect.stringMatching(
        /^group licensing had not finished after 3 d: Office 365 E3 from group Lic – E1 has not reached the user; Office 365 E1 stays/,
      ),
    });
  });
});

describe('group moves: users into the group that assigns the target', () => {
  it('joins users, waits until each inherits Premium, then leaves the source group or removes the direct license', async () => {
    const w = standardWorld();
    await w.plan({ moves: [joinMove] });
    await step(w, 'addTarget');
    expect(w.graph.callsTo('addGroupMembers')).toEqual([
      { method: 'addGroupMembers', groupId: LIC_PREMIUM, userIds: ids(w, [4, 5, 6, 7]) },
    ]);
    expect(await check(w, 'addTarget')).toMatchObject({ reached: 0, pending: 4, settled: false });
    w.graph.processGroups();
    expect(await check(w, 'addTarget')).toMatchObject({ reached: 4, settled: true });
    // Checking again (the next poll) leaves users who got there as they are.
    expect(await check(w, 'addTarget')).toMatchObject({ reached: 4, failed: 0, settled: true });
    await step(w, 'removeSource');
    expect(w.graph.callsTo('removeGroupMembers')).toEqual([
      { method: 'removeGroupMembers', groupId: LIC_STANDARD, userIds: ids(w, [4, 5, 6]) },
    ]);
    expect(w.graph.callsTo('assignLicenses')[0]?.items).toEqual([
      { userId: ids(w, [7])[0], addLicenses: [], removeLicenses: [STANDARD.skuId] },
    ]);
    w.graph.processGroups();
    expect(await check(w, 'removeSource')).toMatchObject({ moved: 4, settled: true });
    for (const id of ids(w, [4, 5, 6, 7])) expect(skuIds(w, id)).toEqual([PREMIUM.skuId]);
    // Resumed after a crash: nothing is written twice.
    await step(w, 'addTarget');
    await step(w, 'removeSource');
    expect(w.graph.callsTo('addGroupMembers')).toHaveLength(1);
    expect(w.graph.callsTo('removeGroupMembers')).toHaveLength(1);
  });

  it('reports a member error per user while the others proceed; the failed user keeps the source', async () => {
    const w = standardWorld();
    await w.plan({ moves: [joinMove] });
    w.graph.failMember(LIC_PREMIUM, ids(w, [5])[0]!, 'ProhibitedInUsageLocationViolation');
    await step(w, 'addTarget');
    w.graph.processGroups();
    expect(await check(w, 'addTarget')).toMatchObject({ reached: 3, failed: 1, settled: true });
    await step(w, 'removeSource');
    w.graph.processGroups();
    expect(await check(w, 'removeSource')).toMatchObject({ moved: 3, failed: 1 });
    expect(skuIds(w, ids(w, [5])[0]!)).toEqual([STANDARD.skuId]);
    expect(w.graph.callsTo('removeGroupMembers')[0]?.userIds).toEqual(ids(w, [4, 6]));
  });

  it("sets the request's usage location before adding a user who has none", async () => {
    const w = standardWorld();
    const nowhere = tenantUser(4, [STANDARD], {
      usageLocation: null,
      licenseAssignmentStates: [inherited(STANDARD, LIC_STANDARD)],
    });
    w.graph.putUser(nowhere);
    await w.plan({ moves: [joinMove], usageLocation: 'DE' });
    await step(w, 'addTarget');
    const order = w.graph.allWrites().map((call) => call.method);
    expect(order).toEqual(['setUsageLocation', 'addGroupMembers']);
    expect(w.graph.user(nowhere.id)!.usageLocation).toBe('DE');
  });

  it('asks group licensing to apply the target again for a member who had no usage location, once given one', async () => {
    const w = standardWorld();
    const stuck = tenantUser(7, [STANDARD], { usageLocation: null });
    w.graph.putUser(stuck);
    // Already in the target group from an earlier attempt: its license is recorded in error for the missing location.
    await w.graph.addGroupMembers(LIC_PREMIUM, [stuck.id]);
    w.graph.processGroups();
    expect(w.graph.user(stuck.id)!.licenseAssignmentStates).toContainEqual(
      expect.objectContaining({ skuId: PREMIUM.skuId, error: 'ProhibitedInUsageLocationViolation' }),
    );
    await w.plan({ moves: [joinMove], usageLocation: 'DE' });
    const before = w.graph.allWrites().length;
    await step(w, 'addTarget');
    const writes = w.graph.allWrites().map((call) => call.method);
    // Only users not yet in the group are added (here: the group's other members from the source group).
    expect(writes.slice(before).filter((method) => method !== 'addGroupMembers')).toEqual([
      'setUsageLocation',
      'reprocessLicenseAssignment',
    ]);
    expect(w.graph.callsTo('reprocessLicenseAssignment')).toEqual([
      { method: 'reprocessLicenseAssignment', userId: stuck.id },
    ]);
    expect(skuIds(w, stuck.id)).toContain(PREMIUM.skuId);
  });

  it('writes nothing once the run is cancelled', async () => {
    const w = standardWorld();
    await w.plan({ moves: [joinMove] });
    await w.docs.saveControl({ cancelRequested: { at: new Date(0).toISOString() } });
    expect(await step(w, 'addTarget')).toMatchObject({ cancelled: true });
    expect(w.graph.allWrites()).toEqual([]);
  });
});
