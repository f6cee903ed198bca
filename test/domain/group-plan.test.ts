/** Group moves' decision rules (src/domain/group-plan.ts), on the real SKU tables of the fixtures. */
import {
  planGroupProduct,
  planJoinGroup,
  runnableUnits,
  type GroupProductInput,
  type JoinGroupInput,
} from '../../src/domain/group-plan';
import type { GroupFacts } from '../../src/domain/groups';
import { batchUsers, summarisePlan } from '../../src/domain/plan';
import type { MoveRequest, ResolvedMove, UserLicenseSnapshot } from '../../src/domain/types';
import {
  ALL_SKUS,
  BUSINESS_PREMIUM,
  BUSINESS_STANDARD,
  direct,
  inherited,
  makeUser,
  migrationRequest,
  O365_E1,
  O365_E3,
  planId,
  VERIFIED_DOMAINS,
} from './fixtures';

const LIC_E1 = '10000000-0000-4000-8000-00000000e001';
const LIC_PREMIUM = '10000000-0000-4000-8000-0000000000b9';
const LIC_STANDARD = '10000000-0000-4000-8000-0000000000b5';
const EXCHANGE_P2 = planId(O365_E3, 'EXCHANGE_S_ENTERPRISE');

const E1 = { skuId: O365_E1.skuId, disabledPlans: [] as string[] };
const E3 = { skuId: O365_E3.skuId, disabledPlans: [] as string[] };
const STANDARD = { skuId: BUSINESS_STANDARD.skuId, disabledPlans: [] as string[] };
const PREMIUM = { skuId: BUSINESS_PREMIUM.skuId, disabledPlans: [] as string[] };

function group(id: string, displayName: string, licenses = [E1], extra: Partial<GroupFacts> = {}): GroupFacts {
  return {
    id,
    displayName,
    groupTypes: [],
    membershipRule: null,
    onPremisesSyncEnabled: null,
    isAssignableToRole: false,
    assignedLicenses: licenses,
    licenseProcessingState: 'ProcessingComplete',
    ...extra,
  };
}

const user = (
  n: number,
  overrides: Partial<UserLicenseSnapshot> = {},
  licenses = [E1],
  states = licenses.map((l) => inherited(l, LIC_E1)),
) =>
  makeUser(licenses, {
    id: `a0b1c2d3-0000-4000-8000-${String(n).padStart(12, '0')}`,
    userPrincipalName: `user${n}@contoso.com`,
    licenseAssignmentStates: states,
    ...overrides,
  });

const resolved = (from: string, to: string, extra: Partial<ResolvedMove> = {}): ResolvedMove => ({
  move: 0,
  fromSkuId: from,
  fromSkuPartNumber: ALL_SKUS.find((s) => s.skuId === from)!.skuPartNumber,
  toSkuId: to,
  toSkuPartNumber: ALL_SKUS.find((s) => s.skuId === to)!.skuPartNumber,
  disabledPlanIds: [],
  ...extra,
});

function product(overrides: Partial<GroupProductInput> = {}): GroupProductInput {
  const moveRequest: MoveRequest = {
    group: LIC_E1,
    from: 'STANDARDPACK',
    to: 'ENTERPRISEPACK',
    users: { groupId: LIC_E1 },
    disabledPlans: [],
    keepDisabledPlans: true,
  };
  return {
    unit: 0,
    move: resolved(O365_E1.skuId, O365_E3.skuId),
    moveRequest,
    skus: ALL_SKUS,
    group: group(LIC_E1, 'Lic – Office 365 E1'),
    members: [user(1), user(2), user(3)],
    nestedOnly: [],
    nestedGroups: [],
    ...overrides,
  };
}

describe("planGroupProduct: a licensing group's product change", () => {
  it('E1 → E3: adds E3 with Exchange Online (Plan 2) off first, then switches it on when E1 goes; everyone follows', () => {
    const { unit, users } = planGroupProduct(product());
    expect(unit).toMatchObject({
      kind: 'product',
      groupId: LIC_E1,
      users: 3,
      addFirst: { skuId: O365_E3.skuId, disabledPlans: [EXCHANGE_P2] },
      addFinal: { skuId: O365_E3.skuId, disabledPlans: [] },
    });
    expect(unit.action).toBe(
      'group "Lic – Office 365 E1" (10000000-0000-4000-8000-00000000e001): add Office 365 E3 with EXCHANGE_S_ENTERPRISE off next to Office 365 E1; once every member holds it, remove Office 365 E1 and switch EXCHANGE_S_ENTERPRISE on in the same change',
    );
    for (const planned of users) {
      expect(planned.decision).toMatchObject({
        kind: 'change',
        add: [E3],
        groupMove: { kind: 'product', removes: [O365_E1.skuId] },
      });
    }
    // Seats: each member newly holds E3. No per-user batches.
    const summary = summarisePlan(users, [product().move], ALL_SKUS, { acknowledgeDataLoss: false });
    expect(summary.seatsNeeded).toEqual({ [O365_E3.skuId]: 3 });
    expect(summary.toChange).toBe(3);
    expect(batchUsers(users, 20)).toEqual([]);
  });

  it('keeps plans the group had off (by name), and sends the final license only when plans had to wait', () => {
    const sway = planId(O365_E1, 'SWAY');
    const noClash = product({
      move: resolved(O365_E3.skuId, O365_E1.skuId),
      group: group(LIC_E1, 'Lic – E3', [{ skuId: O365_E3.skuId, disabledPlans: [planId(O365_E3, 'SWAY')] }]),
    });
    const { unit } = planGroupProduct(noClash);
    expect(unit.addFirst).toMatchObject({ skuId: O365_E1.skuId });
    expect(unit.addFirst!.disabledPlans).toContain(sway);
    // E1's Exchange (Plan 1) clashes with E3's too, the other way round.
    expect(unit.addFinal).toEqual({ skuId: O365_E1.skuId, disabledPlans: [sway] });
  });

  it('notes members who keep the source or are special, and blocks members reached only through nested groups', () => {
    const both = user(4, {}, [E1], [direct(E1), inherited(E1, LIC_E1)]);
    const disabled = user(5, { accountEnabled: false, usageLocation: null });
    const nested = user(6, {}, [], []);
    const { users } = planGroupProduct(
      product({ members: [both, disabled], nestedOnly: [nested], nestedGroups: ['g'] }),
    );
    const [first, second, third] = users;
    expect(first!.decision).toMatchObject({ kind: 'change', groupMove: { removes: [] } });
    expect(first!.decision.kind === 'change' && first!.decision.reason).toMatch(
      /keeps Office 365 E1: it is also assigned directly/,
    );
    expect(second!.decision.kind === 'change' && second!.decision.reason).toMatch(
      /disabled accounts too.*ProhibitedInUsageLocationViolation/,
    );
    expect(third!.decision).toEqual({
      kind: 'blocked',
      code: 'nestedOnly',
      reason: expect.stringMatching(/only through a nested group; nested groups do not inherit/),
    });
  });

  it('refuses a group that does not assign the source, or whose members are all nested groups; skips one already done', () => {
    const other = planGroupProduct(product({ group: group(LIC_E1, 'Lic – Premium', [PREMIUM]) }));
    expect(other.unit.refused).toMatch(/does not assign Office 365 E1 \(it assigns Microsoft 365 Business Premium\)/);
    expect(other.users.every((u) => u.decision.kind === 'blocked' && u.decision.code === 'groupRefused')).toBe(true);
    const nestedOnly = planGroupProduct(
      product({ members: [], nestedGroups: ['10000000-0000-4000-8000-00000000f002'] }),
    );
    expect(nestedOnly.unit.refused).toMatch(/only nested groups as members, and nested groups do not inherit/);
    const done = planGroupProduct(
      product({ group: group(LIC_E1, 'Lic', [E3]), members: [user(1, {}, [E3], [inherited(E3, LIC_E1)])] }),
    );
    expect(done.unit.done).toBe(true);
    expect(done.users[0]!.decision).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/already done/) });
    expect(runnableUnits([other.unit, nestedOnly.unit, done.unit, planGroupProduct(product()).unit])).toHaveLength(1);
  });
});

function join(overrides: Partial<JoinGroupInput> = {}, move: Partial<MoveRequest> = {}): JoinGroupInput {
  const moveRequest: MoveRequest = {
    from: 'O365_BUSINESS_PREMIUM',
    to: 'SPB',
    users: { all: true },
    disabledPlans: [],
    keepDisabledPlans: true,
    assignVia: { group: LIC_PREMIUM },
    sourceGroups: 'leave',
    ...move,
  };
  const standard = group(LIC_STANDARD, 'Lic – Business Standard', [STANDARD]);
  return {
    unit: 1,
    move: resolved(BUSINESS_STANDARD.skuId, BUSINESS_PREMIUM.skuId),
    moveRequest,
    request: migrationRequest(),
    skus: ALL_SKUS,
    verifiedDomains: VERIFIED_DOMAINS,
    target: group(LIC_PREMIUM, 'Lic – Business Premium', [PREMIUM]),
    targetMembers: new Set(),
    sourceGroups: new Map([[LIC_STANDARD, standard]]),
    users: [1, 2].map((n) => user(n, {}, [STANDARD], [inherited(STANDARD, LIC_STANDARD)])),
    ...overrides,
  };
}

describe('planJoinGroup: users into the group that assigns the target', () => {
  it('joins the target group and leaves the source group once Premium is inherited (sourceGroups: leave)', () => {
    const input = join({ targetMembers: new Set([user(2).id]) });
    const { unit, users } = planJoinGroup(input);
    expect(unit).toMatchObject({ kind: 'join', groupId: LIC_PREMIUM, users: 2 });
    expect(users.map((u) => u.decision)).toEqual([
      expect.objectContaining({
        kind: 'change',
        groupMove: expect.objectContaining({
          join: true,
          leave: [{ groupId: LIC_STANDARD, groupName: 'Lic – Business Standard' }],
          removeDirect: [],
          expectConflict: false,
          removes: [BUSINESS_STANDARD.skuId],
        }),
      }),
      expect.objectContaining({ groupMove: expect.objectContaining({ join: false }) }),
    ]);
    const summary = summarisePlan(users, [input.move], ALL_SKUS, { acknowledgeDataLoss: false });
    expect(summary.seatsNeeded).toEqual({ [BUSINESS_PREMIUM.skuId]: 2 });
  });

  it("keeps today's behaviour with sourceGroups: block, and refuses source groups whose membership is not writable", () => {
    const blockedRun = planJoinGroup(join({}, { sourceGroups: 'block' }));
    expect(blockedRun.users[0]!.decision).toMatchObject({
      kind: 'blocked',
      code: 'inheritedFromGroup',
      reason: expect.stringMatching(/give sourceGroups: "leave"/),
    });
    const synced = group(LIC_STANDARD, 'Sync – Finance', [STANDARD], { onPremisesSyncEnabled: true });
    const syncedRun = planJoinGroup(join({ sourceGroups: new Map([[LIC_STANDARD, synced]]) }));
    expect(syncedRun.users[0]!.decision).toMatchObject({
      kind: 'blocked',
      code: 'groupRefused',
      reason: expect.stringMatching(/synced from on-premises Active Directory.*cannot remove from it/),
    });
  });

  it('refuses a dynamic, role-assignable or synced target, and one that does not assign the target, for every user', () => {
    const cases: [Partial<GroupFacts>, RegExp][] = [
      [
        { groupTypes: ['DynamicMembership'], membershipRule: '(user.department -eq "Sales")' },
        /dynamic membership \(rule \(user.department/,
      ],
      [{ isAssignableToRole: true }, /RoleManagement.ReadWrite.Directory/],
      [{ onPremisesSyncEnabled: true }, /synced from on-premises/],
      [{ assignedLicenses: [STANDARD] }, /does not assign Microsoft 365 Business Premium/],
    ];
    for (const [facts, reason] of cases) {
      const { unit, users } = planJoinGroup(join({ target: group(LIC_PREMIUM, 'Target', [PREMIUM], facts) }));
      expect(unit.refused).toMatch(reason);
      expect(unit.users).toBe(0);
      for (const planned of users) expect(planned.decision).toMatchObject({ kind: 'blocked', code: 'groupRefused' });
    }
  });

  it('converts direct assignments to group-based ones: no seat, direct removed later, nothing lost', () => {
    const e3Users = [user(7, {}, [E3], [direct(E3)]), user(8, {}, [E3], [inherited(E3, LIC_E1)])];
    const input = join(
      {
        move: resolved(O365_E3.skuId, O365_E3.skuId),
        target: group(LIC_PREMIUM, 'Lic – E3', [E3]),
        users: e3Users,
        sourceGroups: new Map(),
      },
      { from: 'ENTERPRISEPACK', to: 'ENTERPRISEPACK' },
    );
    const { users } = planJoinGroup(input);
    expect(users[0]!.decision).toMatchObject({
      kind: 'change',
      groupMove: { join: true, leave: [], removeDirect: [O365_E3.skuId], removes: [] },
      reason: expect.stringMatching(/^convert Office 365 E3 to group-based/),
    });
    expect(users[1]!.decision).toMatchObject({
      kind: 'skip',
      reason: expect.stringMatching(/already comes from group/),
    });
    const summary = summarisePlan(users, [input.move], ALL_SKUS, { acknowledgeDataLoss: false });
    expect(summary.seatsNeeded).toEqual({ [O365_E3.skuId]: 0 });
    expect(summary.downgrades).toEqual([]);
  });

  it('E1 → E3 through groups: a group-inherited source follows the conflicting procedure; a direct one is blocked', () => {
    const base = { move: resolved(O365_E1.skuId, O365_E3.skuId), target: group(LIC_PREMIUM, 'Lic – E3', [E3]) };
    const fromGroup = planJoinGroup(
      join({ ...base, users: [user(1)], sourceGroups: new Map([[LIC_E1, group(LIC_E1, 'Lic – E1')]]) }),
    );
    expect(fromGroup.users[0]!.decision).toMatchObject({
      groupMove: { expectConflict: true, leave: [{ groupId: LIC_E1 }] },
    });
    const directE1 = planJoinGroup(
      join({ ...base, users: [user(2, {}, [E1], [direct(E1)])], sourceGroups: new Map() }),
    );
    expect(directE1.users[0]!.decision).toMatchObject({
      kind: 'blocked',
      code: 'conflictingLicense',
      reason: expect.stringMatching(/Move this user directly/),
    });
  });

  it('sets a usage location first when the request gives one; otherwise notes what group licensing will do', () => {
    const nowhere = user(3, { usageLocation: null }, [STANDARD], [inherited(STANDARD, LIC_STANDARD)]);
    const noted = planJoinGroup(join({ users: [nowhere] }));
    expect(noted.users[0]!.decision).toMatchObject({
      kind: 'change',
      reason: expect.stringMatching(/ProhibitedInUsageLocationViolation/),
    });
    const located = planJoinGroup(join({ users: [nowhere], request: migrationRequest({ usageLocation: 'DE' }) }));
    expect(located.users[0]!.decision).toMatchObject({ setUsageLocation: 'DE' });
  });

  it('skips users already done, and blocks users who do not hold the source when named explicitly', () => {
    const done = user(4, {}, [PREMIUM], [inherited(PREMIUM, LIC_PREMIUM)]);
    const bare = user(5, {}, [], []);
    const { users } = planJoinGroup(join({ users: [done, bare] }, { users: { ids: [done.id, bare.id] } }));
    expect(users[0]!.decision).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/already done/) });
    expect(users[1]!.decision).toMatchObject({ kind: 'blocked', code: 'sourceNotHeld' });
  });
});
