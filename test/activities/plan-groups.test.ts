/**
 * planMigration with group moves (docs/group-moves.md): groups and members are read, decided on and stored as group
 * units; refusals are reported per user; the group writes are checked before anyone is touched.
 */
import type { AssignedLicense, MoveRequest } from '../../src/domain/types';
import type { PlanOutcome } from '../../src/domain/workflow';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD, direct, inherited, O365_E1, O365_E3 } from '../domain/fixtures';
import type { FakeGroup } from '../support/fake-licensing-graph';
import { PREMIUM, STANDARD, tenantUser, world, type World } from './support/world';

const LIC_E1 = '10000000-0000-4000-8000-00000000e001';
const LIC_STANDARD = '10000000-0000-4000-8000-0000000000b5';
const LIC_PREMIUM = '10000000-0000-4000-8000-0000000000b9';
const DYNAMIC = '10000000-0000-4000-8000-00000000d001';
const E1: AssignedLicense = { skuId: O365_E1.skuId, disabledPlans: [] };

type Plan = Extract<PlanOutcome, { ok: true }>;
function expectPlan(outcome: PlanOutcome): Plan {
  if (!outcome.ok) throw new Error(`expected a plan, got: ${outcome.reason}`);
  return outcome;
}

/** Three E1 members of "Lic – E1", four Business Standard members of "Lic – Business Standard", empty target groups. */
function groupWorld(extra: FakeGroup[] = []): World {
  const e1 = [1, 2, 3].map((n) => tenantUser(n, [E1], { licenseAssignmentStates: [inherited(E1, LIC_E1)] }));
  const standard = [4, 5, 6, 7].map((n) =>
    tenantUser(n, [STANDARD], { licenseAssignmentStates: [inherited(STANDARD, LIC_STANDARD)] }),
  );
  return world({
    users: [...e1, ...standard, tenantUser(8, [STANDARD])],
    licensingGroups: [
      { id: LIC_E1, displayName: 'Lic – E1', assignedLicenses: [E1], members: e1.map((u) => u.id) },
      {
        id: LIC_STANDARD,
        displayName: 'Lic – Business Standard',
        assignedLicenses: [STANDARD],
        members: standard.map((u) => u.id),
      },
      { id: LIC_PREMIUM, displayName: 'Lic – Business Premium', assignedLicenses: [PREMIUM], members: [] },
      ...extra,
    ],
    groups: { [LIC_E1]: e1.map((u) => u.id), [LIC_STANDARD]: standard.map((u) => u.id), [LIC_PREMIUM]: [] },
  });
}

const productChange: MoveRequest = {
  group: LIC_E1,
  from: 'STANDARDPACK',
  to: 'ENTERPRISEPACK',
  users: { groupId: LIC_E1 },
  disabledPlans: [],
  keepDisabledPlans: true,
};
const intoPremium = (group = LIC_PREMIUM): MoveRequest => ({
  from: 'O365_BUSINESS_PREMIUM',
  to: 'SPB',
  users: { all: true },
  disabledPlans: [],
  keepDisabledPlans: true,
  assignVia: { group },
  sourceGroups: 'leave',
});

describe('planMigration: group moves', () => {
  it('stores each group move as a unit with its users, next to direct moves, and returns what the group stage runs', async () => {
    const w = groupWorld();
    const plan = expectPlan(await w.plan({ moves: [productChange, intoPremium()] }));
    expect(plan.groups).toEqual([
      { unit: 0, kind: 'product', groupName: 'Lic – E1', users: 3, chunks: 1 },
      { unit: 1, kind: 'join', groupName: 'Lic – Business Premium', users: 5, chunks: 1 },
    ]);
    // Seats: three new E3, five new Premium; nobody goes through per-user batches.
    expect(plan.summary).toMatchObject({
      toChange: 8,
      batchCount: 0,
      seatsNeeded: { [O365_E3.skuId]: 3, [BUSINESS_PREMIUM.skuId]: 5 },
    });
    expect(plan.waves).toEqual([]);
    const stored = await w.docs.plan();
    expect(stored?.groups?.map((unit) => [unit.kind, unit.groupName, unit.users])).toEqual([
      ['product', 'Lic – E1', 3],
      ['join', 'Lic – Business Premium', 5],
    ]);
    expect(stored?.groups?.[0]?.action).toMatch(
      /add Office 365 E3 with EXCHANGE_S_ENTERPRISE off next to Office 365 E1/,
    );
    const joiners = await w.docs.groupUsers(1);
    expect(joiners.map((u) => u.decision.kind === 'change' && u.decision.groupMove)).toEqual([
      expect.objectContaining({ join: true, leave: [{ groupId: LIC_STANDARD, groupName: 'Lic – Business Standard' }] }),
      expect.objectContaining({ join: true }),
      expect.objectContaining({ join: true }),
      expect.objectContaining({ join: true }),
      expect.objectContaining({ join: true, leave: [], removeDirect: [BUSINESS_STANDARD.skuId] }),
    ]);
    // Planning checked the group writes with writes that change nothing, and wrote nothing else.
    expect(w.graph.callsTo('checkWriteAccess')[0]?.checks.map((check) => check.operation)).toEqual([
      'assignLicense',
      'assignGroupLicense',
      'addGroupMember',
      'removeGroupMember',
    ]);
    expect(w.graph.allWrites()).toEqual([]);
  });

  it('refuses a dynamic target for every user, with the reason, and gives the group stage nothing to do', async () => {
    const w = groupWorld([
      {
        id: DYNAMIC,
        displayName: 'Dyn – Sales',
        assignedLicenses: [PREMIUM],
        members: [],
        groupTypes: ['DynamicMembership'],
        membershipRule: '(user.department -eq "Sales")',
      },
    ]);
    const plan = expectPlan(await w.plan({ moves: [intoPremium(DYNAMIC)] }));
    expect(plan.groups).toBeUndefined();
    expect(plan.summary).toMatchObject({ toChange: 0, blocked: 5 });
    const unchanged = await w.docs.unchanged((await w.docs.plan())?.unchangedParts ?? 0);
    for (const user of unchanged) {
      expect(user.decision).toMatchObject({
        kind: 'blocked',
        code: 'groupRefused',
        reason: expect.stringMatching(/dynamic membership .* cannot be changed over Graph/),
      });
    }
    expect((await w.docs.plan())?.groups?.[0]?.refused).toMatch(/Dyn – Sales/);
  });

  it('stops before anyone is touched when the identity may not change group members, naming the role', async () => {
    const w = groupWorld();
    w.graph.denyPermission('addGroupMember');
    await w.request({ moves: [intoPremium()] });
    const outcome = await w.activities.planMigration(w.migrationId, w.log);
    expect(outcome).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /needs the Microsoft Graph application permission GroupMember.ReadWrite.All, to add users to groups and take them out.*Nobody was changed/,
      ),
    });
    expect(w.graph.allWrites()).toEqual([]);
  });

  it('fails planning when a named group does not exist, and a dry run checks no writes', async () => {
    const w = groupWorld();
    await w.request({ moves: [{ ...productChange, group: '10000000-0000-4000-8000-0000000000ff' }] });
    expect(await w.activities.planMigration(w.migrationId, w.log)).toEqual({
      ok: false,
      reason: 'moves[0].group: there is no group 10000000-0000-4000-8000-0000000000ff in this tenant',
    });
    const dry = groupWorld();
    expectPlan(await dry.plan({ moves: [productChange], dryRun: true }));
    expect(dry.graph.callsTo('checkWriteAccess')).toEqual([]);
  });

  it('converts direct assignments (from = to): no seats needed, the direct E3 removed later', async () => {
    const e3 = { skuId: O365_E3.skuId, disabledPlans: [] };
    const w = world({
      users: [tenantUser(1, [e3]), tenantUser(2, [e3], { licenseAssignmentStates: [direct(e3)] })],
      licensingGroups: [{ id: LIC_PREMIUM, displayName: 'Lic – E3', assignedLicenses: [e3], members: [] }],
    });
    const plan = expectPlan(
      await w.plan({
        moves: [
          {
            from: 'ENTERPRISEPACK',
            to: 'ENTERPRISEPACK',
            users: { all: true },
            disabledPlans: [],
            keepDisabledPlans: true,
            assignVia: { group: LIC_PREMIUM },
            sourceGroups: 'block',
          },
        ],
      }),
    );
    expect(plan.summary.seatsNeeded).toEqual({ [O365_E3.skuId]: 0 });
    expect(plan.groups).toEqual([{ unit: 0, kind: 'join', groupName: 'Lic – E3', users: 2, chunks: 1 }]);
  });
});
