/**
 * Rolling back group moves at the activity level (src/activities/rollback.ts, rollback-groups.ts, group-restore.ts)
 * over the fake Graph: what the group stage records as its writes land, and a rollback's group units run by the same
 * group steps, source first, with nothing written twice.
 */
import type { AssignedLicense } from '../../src/domain/types';
import type { GroupStep, GroupUnitStatus } from '../../src/domain/workflow';
import { MigrationDocuments } from '../../src/storage/migration-documents';
import { inherited, migrationRequest, O365_E1, O365_E3, planId } from '../domain/fixtures';
import { FIXED, PREMIUM, STANDARD, tenantUser, world, type World } from './support/world';

const LIC_E1 = '10000000-0000-4000-8000-00000000e001';
const LIC_STANDARD = '10000000-0000-4000-8000-0000000000b5';
const LIC_PREMIUM = '10000000-0000-4000-8000-0000000000b9';
const SWAY_E1 = planId(O365_E1, 'SWAY');
const EXCHANGE_P1 = planId(O365_E1, 'EXCHANGE_S_STANDARD');
const E1_NO_SWAY: AssignedLicense = { skuId: O365_E1.skuId, disabledPlans: [SWAY_E1] };
const E3: AssignedLicense = { skuId: O365_E3.skuId, disabledPlans: [] };

const id = (n: number): string => tenantUser(n, []).id;
const STANDARD_GROUP = { groupId: LIC_STANDARD, groupName: 'Lic – Business Standard' };
const PREMIUM_GROUP = { groupId: LIC_PREMIUM, groupName: 'Lic – Business Premium' };

async function run(w: World, migrationId: string, step: GroupStep): Promise<GroupUnitStatus> {
  await w.activities.groupStep({ migrationId, unit: 0, step, chunk: 0 }, w.log);
  w.graph.processGroups();
  return w.activities.checkGroupStep({ migrationId, unit: 0, step }, w.log);
}

async function rollbackOf(w: World, rollbackId: string, force = false): Promise<MigrationDocuments> {
  const docs = new MigrationDocuments(w.store, rollbackId);
  await docs.saveRequest({
    migrationId: rollbackId,
    request: migrationRequest({ moves: [], acknowledgeDataLoss: true }),
    createdAt: new Date(FIXED).toISOString(),
    origin: 'http',
    rollback: { of: w.migrationId, force },
  });
  return docs;
}

describe("rolling back a group's product change", () => {
  async function changed(): Promise<World> {
    const members = [1, 2].map((n) =>
      tenantUser(n, [E1_NO_SWAY], { licenseAssignmentStates: [inherited(E1_NO_SWAY, LIC_E1)] }),
    );
    const w = world({
      users: members,
      licensingGroups: [
        { id: LIC_E1, displayName: 'Lic – E1', assignedLicenses: [E1_NO_SWAY], members: members.map((u) => u.id) },
      ],
    });
    await w.plan({
      moves: [
        {
          group: LIC_E1,
          from: 'STANDARDPACK',
          to: 'ENTERPRISEPACK',
          users: { groupId: LIC_E1 },
          disabledPlans: [],
          keepDisabledPlans: false,
        },
      ],
    });
    await run(w, w.migrationId, 'addTarget');
    await run(w, w.migrationId, 'removeSource');
    return w;
  }

  it("records the group's licenses before the first write and after the last, once even when a step runs again", async () => {
    const w = await changed();
    await w.activities.groupStep({ migrationId: w.migrationId, unit: 0, step: 'addTarget', chunk: 0 }, w.log);
    expect((await w.docs.groupRecord(0))?.groupLicenses).toEqual({ before: [E1_NO_SWAY], after: [E3] });
  });

  it('adds E1 back with its Sway still off (and Exchange off next to E3), waits, then removes E3 in one call', async () => {
    const w = await changed();
    await rollbackOf(w, 'rb-g1');
    const outcome = await w.activities.planRollback('rb-g1', w.log);
    expect(outcome).toMatchObject({
      ok: true,
      summary: { toChange: 2, seatsNeeded: { [O365_E1.skuId]: 2 } },
      groups: [expect.objectContaining({ kind: 'product', users: 2 })],
    });
    const calls = w.graph.callsTo('assignGroupLicense').length;
    expect(await run(w, 'rb-g1', 'addTarget')).toMatchObject({ reached: 2, settled: true });
    expect(await run(w, 'rb-g1', 'removeSource')).toMatchObject({ moved: 2, settled: true });
    const written = w.graph.callsTo('assignGroupLicense').slice(calls);
    expect(written.map((call) => [call.add, call.remove])).toEqual([
      [[{ skuId: O365_E1.skuId, disabledPlans: expect.arrayContaining([SWAY_E1, EXCHANGE_P1]) }], []],
      [[E1_NO_SWAY], [O365_E3.skuId]],
    ]);
    expect(w.graph.group(LIC_E1)!.assignedLicenses).toEqual([E1_NO_SWAY]);
  });

  it('leaves the group alone when someone changed it after the rollback was planned', async () => {
    const w = await changed();
    await rollbackOf(w, 'rb-g2');
    await w.activities.planRollback('rb-g2', w.log);
    const calls = w.graph.callsTo('assignGroupLicense').length;
    await w.graph.assignGroupLicense(LIC_E1, [{ skuId: O365_E3.skuId, disabledPlans: [planId(O365_E3, 'SWAY')] }], []);
    await w.activities.groupStep({ migrationId: 'rb-g2', unit: 0, step: 'addTarget', chunk: 0 }, w.log);
    await w.activities.groupStep({ migrationId: 'rb-g2', unit: 0, step: 'removeSource', chunk: 0 }, w.log);
    expect(w.graph.callsTo('assignGroupLicense')).toHaveLength(calls + 1);
    const record = await new MigrationDocuments(w.store, 'rb-g2').groupRecord(0);
    for (const user of record?.users ?? []) {
      expect(user.result).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/^changed since/) });
    }
  });
});

describe('rolling back users moved into a licensing group', () => {
  async function moved(): Promise<World> {
    const members = [4, 5].map((n) =>
      tenantUser(n, [STANDARD], { licenseAssignmentStates: [inherited(STANDARD, LIC_STANDARD)] }),
    );
    const w = world({
      users: [...members, tenantUser(7, [STANDARD])],
      licensingGroups: [
        {
          id: LIC_STANDARD,
          displayName: 'Lic – Business Standard',
          assignedLicenses: [STANDARD],
          members: [id(4), id(5)],
        },
        { id: LIC_PREMIUM, displayName: 'Lic – Business Premium', assignedLicenses: [PREMIUM], members: [] },
      ],
    });
    await w.plan({
      moves: [
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { all: true },
          disabledPlans: [],
          keepDisabledPlans: true,
          assignVia: { group: LIC_PREMIUM },
          sourceGroups: 'leave',
        },
      ],
    });
    await run(w, w.migrationId, 'addTarget');
    await run(w, w.migrationId, 'removeSource');
    return w;
  }

  it('records each membership and direct license the run changed, once even when a step runs again', async () => {
    const w = await moved();
    await w.activities.groupStep({ migrationId: w.migrationId, unit: 0, step: 'addTarget', chunk: 0 }, w.log);
    await w.activities.groupStep({ migrationId: w.migrationId, unit: 0, step: 'removeSource', chunk: 0 }, w.log);
    const record = await w.docs.groupRecord(0);
    const changes = new Map((record?.users ?? []).map((user) => [user.userId, user.changes]));
    for (const n of [4, 5]) {
      expect(changes.get(id(n))).toEqual({
        joined: [PREMIUM_GROUP],
        left: [STANDARD_GROUP],
        removedDirect: [],
        addedDirect: [],
      });
    }
    expect(changes.get(id(7))).toEqual({
      joined: [PREMIUM_GROUP],
      left: [],
      removedDirect: [STANDARD],
      addedDirect: [],
    });
  });

  it('gives each user its source back first (the group it left, or the direct license), then takes it out of the group', async () => {
    const w = await moved();
    await rollbackOf(w, 'rb-j1');
    const outcome = await w.activities.planRollback('rb-j1', w.log);
    expect(outcome).toMatchObject({ ok: true, groups: [expect.objectContaining({ kind: 'restore', users: 3 })] });
    const writes = w.graph.allWrites().length;
    expect(await run(w, 'rb-j1', 'addTarget')).toMatchObject({ reached: 3, settled: true });
    // Nothing is taken away in the first step.
    expect(w.graph.callsTo('removeGroupMembers')).toHaveLength(1);
    expect(w.graph.group(LIC_STANDARD)!.members.sort()).toEqual([id(4), id(5)].sort());
    expect(w.graph.user(id(7))!.licenseAssignmentStates.map((s) => s.assignedByGroup)).toContain(null);
    expect(await run(w, 'rb-j1', 'removeSource')).toMatchObject({ moved: 3, settled: true });
    expect(w.graph.group(LIC_PREMIUM)!.members).toEqual([]);
    for (const n of [4, 5, 7]) expect(w.graph.user(id(n))!.assignedLicenses).toEqual([STANDARD]);
    // Resumed after a crash: nothing is written twice.
    const count = w.graph.allWrites().length;
    await w.activities.groupStep({ migrationId: 'rb-j1', unit: 0, step: 'addTarget', chunk: 0 }, w.log);
    await w.activities.groupStep({ migrationId: 'rb-j1', unit: 0, step: 'removeSource', chunk: 0 }, w.log);
    expect(w.graph.allWrites()).toHaveLength(count);
    expect(count).toBeGreaterThan(writes);
  });
});
