import fc from 'fast-check';
import { batchUsers, planUser, plannedUserNotFound, summarisePlan, type PlanUserInput } from '../../src/domain/plan';
import type {
  AssignedLicense,
  LicenseAssignmentState,
  MoveRequest,
  PlannedUser,
  ResolvedMove,
  UserDecision,
  UserSelector,
} from '../../src/domain/types';
import {
  ALL_SKUS,
  BUSINESS_PREMIUM,
  BUSINESS_STANDARD,
  GROUP_A,
  O365_E1,
  O365_E3,
  O365_E5,
  VERIFIED_DOMAINS,
  direct,
  inherited,
  makeUser,
  planId,
  migrationRequest,
  STANDARD_TO_PREMIUM,
} from './fixtures';

const STANDARD = BUSINESS_STANDARD.skuId;
const PREMIUM = BUSINESS_PREMIUM.skuId;
const E1 = O365_E1.skuId;

const standardToPremium = STANDARD_TO_PREMIUM;
const replaceWithPremium: ResolvedMove = { move: 0, toSkuId: PREMIUM, toSkuPartNumber: 'SPB', disabledPlanIds: [] };

const request = migrationRequest;

const moveRequest = (overrides: Partial<MoveRequest> = {}): MoveRequest => ({
  from: 'O365_BUSINESS_PREMIUM',
  to: 'SPB',
  users: { upns: ['adele@contoso.com'] },
  disabledPlans: [],
  keepDisabledPlans: true,
  ...overrides,
});

function plan(input: Partial<PlanUserInput> & Pick<PlanUserInput, 'user'>): PlannedUser {
  return planUser({
    move: standardToPremium,
    moveRequest: moveRequest(),
    request: request(),
    skus: ALL_SKUS,
    verifiedDomains: VERIFIED_DOMAINS,
    ...input,
  });
}

function change(decision: UserDecision): Extract<UserDecision, { kind: 'change' }> {
  if (decision.kind !== 'change') throw new Error(`expected a change, got ${JSON.stringify(decision)}`);
  return decision;
}

const standard = (disabledPlans: string[] = []): AssignedLicense => ({ skuId: STANDARD, disabledPlans });
const premium = (disabledPlans: string[] = []): AssignedLicense => ({ skuId: PREMIUM, disabledPlans });
const e1: AssignedLicense = { skuId: E1, disabledPlans: [] };

describe('planUser: swap', () => {
  it('atomic: adds the target and removes the source in one change, and records what the user had', () => {
    const user = makeUser([standard(), e1]);
    const planned = plan({ user });
    expect(planned).toMatchObject({ userId: user.id, userPrincipalName: 'adele@contoso.com', move: 0 });
    expect(planned.before).toEqual([standard(), e1]);
    const decision = change(planned.decision);
    expect(decision.add).toEqual([premium()]);
    expect(decision.remove).toEqual([STANDARD]);
    expect(decision.removeLater).toEqual([]);
    expect(decision.reason).toBe('move from Microsoft 365 Business Standard to Microsoft 365 Business Premium');
  });

  it('overlap: adds now and removes the source later', () => {
    const decision = change(plan({ user: makeUser([standard()]), request: request({ strategy: 'overlap' }) }).decision);
    expect(decision.add).toEqual([premium()]);
    expect(decision.remove).toEqual([]);
    expect(decision.removeLater).toEqual([STANDARD]);
    expect(decision.reason).toMatch(/removed once the new license is active/);
  });

  it('keeps services the user had switched off (same plan id on the target) and adds the requested ones', () => {
    const sway = planId(BUSINESS_STANDARD, 'SWAY');
    const streamSmb = planId(BUSINESS_STANDARD, 'STREAM_O365_SMB'); // Premium has no plan of that id or name
    const bookings = planId(BUSINESS_PREMIUM, 'MICROSOFTBOOKINGS');
    const move = { ...standardToPremium, disabledPlanIds: [bookings] };
    const decision = change(plan({ user: makeUser([standard([sway, streamSmb])]), move }).decision);
    expect(decision.add).toEqual([premium([bookings, sway])]);
    expect(decision.reason).toMatch(/1 service switched off before stay off; 1 switched off as requested/);
  });

  it('turns kept services back on when keepDisabledPlans is false', () => {
    const sway = planId(BUSINESS_STANDARD, 'SWAY');
    const decision = change(
      plan({ user: makeUser([standard([sway])]), moveRequest: moveRequest({ keepDisabledPlans: false }) }).decision,
    );
    expect(decision.add).toEqual([premium()]);
  });

  it('skips a user already on the target without the source', () => {
    const planned = plan({ user: makeUser([premium(), e1]) });
    expect(planned.decision).toEqual({
      kind: 'skip',
      reason: 'already on Microsoft 365 Business Premium; nothing to change',
    });
  });

  it('skips a user whose target comes from a group and notes a source still inherited', () => {
    const user = makeUser([premium(), standard()], {
      licenseAssignmentStates: [inherited(premium()), inherited(standard())],
    });
    const planned = plan({ user });
    expect(planned.decision.kind).toBe('skip');
    expect(planned.decision.kind === 'skip' && planned.decision.reason).toMatch(
      `Microsoft 365 Business Standard still comes from group ${GROUP_A}`,
    );
  });

  it('re-adds a held target with its own disabled plans and removes a source still held directly', () => {
    const forms = planId(BUSINESS_PREMIUM, 'FORMS_PLAN_E1');
    const planned = plan({ user: makeUser([premium([forms]), standard()]) });
    const decision = change(planned.decision);
    expect(decision.add).toEqual([premium([forms])]);
    expect(decision.remove).toEqual([STANDARD]);
    expect(summarisePlan([planned], [standardToPremium], ALL_SKUS, request()).seatsNeeded).toEqual({ [PREMIUM]: 0 });
  });

  it('blocks a source inherited from a group, naming the group', () => {
    const user = makeUser([standard()], { licenseAssignmentStates: [inherited(standard())] });
    expect(plan({ user }).decision).toEqual({
      kind: 'blocked',
      code: 'inheritedFromGroup',
      reason: `Microsoft 365 Business Standard comes from group ${GROUP_A}, and a license inherited from a group cannot be removed from the user directly: remove them from group ${GROUP_A} or change the group's license`,
    });
  });

  it('blocks a source held directly and also from a group', () => {
    const user = makeUser([standard()], { licenseAssignmentStates: [direct(standard()), inherited(standard())] });
    const decision = plan({ user }).decision;
    expect(decision).toMatchObject({ kind: 'blocked', code: 'inheritedFromGroup' });
    expect(decision.kind === 'blocked' && decision.reason).toMatch(/assigned directly and also comes from group/);
  });

  it('blocks disabled accounts unless includeDisabledUsers', () => {
    const user = makeUser([standard()], { accountEnabled: false });
    expect(plan({ user }).decision).toMatchObject({ kind: 'blocked', code: 'accountDisabled' });
    expect(plan({ user, request: request({ includeDisabledUsers: true }) }).decision.kind).toBe('change');
  });

  it('blocks users without a usage location unless the request gives one, which is then set', () => {
    const user = makeUser([standard()], { usageLocation: null });
    const blocked = plan({ user }).decision;
    expect(blocked).toMatchObject({ kind: 'blocked', code: 'noUsageLocation' });
    expect(blocked.kind === 'blocked' && blocked.reason).toMatch(/no usage location/);
    const decision = change(plan({ user, request: request({ usageLocation: 'GB' }) }).decision);
    expect(decision.setUsageLocation).toBe('GB');
    expect(decision.reason).toMatch(/usage location set to GB/);
  });

  it('blocks users of a domain the tenant has not verified, and guests', () => {
    const foreign = plan({ user: makeUser([standard()], { userPrincipalName: 'bob@fabrikam.com' }) }).decision;
    expect(foreign).toEqual({
      kind: 'blocked',
      code: 'foreignDomain',
      reason:
        "the user's domain fabrikam.com is not a verified domain of this tenant; licenses bought for this organisation cannot be assigned to them",
    });
    const guest = plan({
      user: makeUser([standard()], { userPrincipalName: 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com' }),
    }).decision;
    expect(guest).toMatchObject({ kind: 'blocked', code: 'foreignDomain' });
    expect(guest.kind === 'blocked' && guest.reason).toMatch(/guest from fabrikam\.com/);
    const upperCase = plan({ user: makeUser([standard()], { userPrincipalName: 'Bob@CONTOSO.COM' }) }).decision;
    expect(upperCase.kind).toBe('change');
  });

  it('blocks explicitly named users who do not hold the source, and skips them for "all" and groups', () => {
    const user = makeUser([e1]);
    const blocked = plan({ user }).decision;
    expect(blocked).toMatchObject({ kind: 'blocked', code: 'sourceNotHeld' });
    expect(blocked.kind === 'blocked' && blocked.reason).toMatch(
      /does not hold Microsoft 365 Business Standard \(it holds Office 365 E1\)/,
    );
    const skipped = plan({ user, moveRequest: moveRequest({ users: { groupId: GROUP_A } }) }).decision;
    expect(skipped.kind).toBe('skip');
  });

  it('blocks when the target is already assigned in an error state, and reports the error', () => {
    const errored: LicenseAssignmentState = { ...inherited(premium()), state: 'Error', error: 'CountViolation' };
    const user = makeUser([standard()], { licenseAssignmentStates: [direct(standard()), errored] });
    const decision = plan({ user }).decision;
    expect(decision).toMatchObject({ kind: 'blocked', code: 'conflictingLicense' });
    expect(decision.kind === 'blocked' && decision.reason).toMatch(`CountViolation (from group ${GROUP_A})`);
  });

  it('treats a license without any assignment state as directly assigned', () => {
    const decision = change(plan({ user: makeUser([standard()], { licenseAssignmentStates: [] }) }).decision);
    expect(decision.remove).toEqual([STANDARD]);
  });
});

describe('planUser: replace', () => {
  const replace = (overrides: Partial<PlanUserInput> & Pick<PlanUserInput, 'user'>) =>
    plan({
      move: replaceWithPremium,
      moveRequest: moveRequest({ from: undefined }),
      request: request({ mode: 'replace' }),
      ...overrides,
    });

  it('removes every direct license, keeps group-inherited ones and says so', () => {
    const user = makeUser([standard(), e1], { licenseAssignmentStates: [direct(standard()), inherited(e1)] });
    const decision = change(replace({ user }).decision);
    expect(decision.add).toEqual([premium()]);
    expect(decision.remove).toEqual([STANDARD]);
    expect(decision.reason).toMatch(
      `Office 365 E1 stays: it comes from group ${GROUP_A} and cannot be removed directly`,
    );
  });

  it('defers the removals with overlap', () => {
    const user = makeUser([standard(), e1]);
    const decision = change(replace({ user, request: request({ mode: 'replace', strategy: 'overlap' }) }).decision);
    expect(decision.remove).toEqual([]);
    expect(decision.removeLater).toEqual([STANDARD, E1]);
  });

  it('without from, keeps disabled plans of any removed license that the target also has', () => {
    const swayStandard = planId(BUSINESS_STANDARD, 'SWAY');
    const teamsE1 = planId(O365_E1, 'TEAMS1');
    const user = makeUser([standard([swayStandard]), { skuId: E1, disabledPlans: [teamsE1] }]);
    const decision = change(replace({ user }).decision);
    expect(decision.add[0]?.disabledPlans.sort()).toEqual([swayStandard, teamsE1].sort());
  });

  it('skips a user holding only the target directly, and changes one that still has other direct licenses', () => {
    expect(replace({ user: makeUser([premium()]) }).decision.kind).toBe('skip');
    const decision = change(replace({ user: makeUser([premium(), e1]) }).decision);
    expect(decision.add).toEqual([premium()]);
    expect(decision.remove).toEqual([E1]);
  });

  it('adds the target to a user with no license at all', () => {
    const decision = change(replace({ user: makeUser([]) }).decision);
    expect(decision.add).toEqual([premium()]);
    expect(decision.remove).toEqual([]);
    expect(decision.reason).toBe('add Microsoft 365 Business Premium');
  });
});

describe('plannedUserNotFound', () => {
  it('blocks the reference with userNotFound', () => {
    expect(plannedUserNotFound('ghost@contoso.com', 2)).toMatchObject({
      userPrincipalName: 'ghost@contoso.com',
      move: 2,
      decision: { kind: 'blocked', code: 'userNotFound' },
      before: [],
    });
  });
});

describe('summarisePlan', () => {
  it('counts decisions and seats per target', () => {
    const users = [
      plan({ user: makeUser([standard()], { id: 'u1' }) }),
      plan({ user: makeUser([standard()], { id: 'u2' }) }),
      plan({ user: makeUser([premium()], { id: 'u3' }) }),
      plan({ user: makeUser([standard()], { id: 'u4', accountEnabled: false }) }),
    ];
    const summary = summarisePlan(users, [standardToPremium], ALL_SKUS, request());
    expect(summary).toMatchObject({ total: 4, toChange: 2, skipped: 1, blocked: 1, seatsNeeded: { [PREMIUM]: 2 } });
  });

  it('does not ask for acknowledgement on an upgrade (Business Standard → Premium)', () => {
    const users = [plan({ user: makeUser([standard()]) })];
    const summary = summarisePlan(users, [standardToPremium], ALL_SKUS, request());
    expect(summary.downgrades).toEqual([]);
    expect(summary.needsDataLossAcknowledgement).toBe(false);
  });

  it('lists lost plans of a downgrade (E5 → E3) and needs acknowledgement unless given', () => {
    const e5ToE3: ResolvedMove = {
      move: 0,
      fromSkuId: O365_E5.skuId,
      fromSkuPartNumber: 'ENTERPRISEPREMIUM',
      toSkuId: O365_E3.skuId,
      toSkuPartNumber: 'ENTERPRISEPACK',
      disabledPlanIds: [],
    };
    const users = [plan({ user: makeUser([{ skuId: O365_E5.skuId, disabledPlans: [] }]), move: e5ToE3 })];
    const summary = summarisePlan(users, [e5ToE3], ALL_SKUS, request());
    expect(summary.downgrades).toHaveLength(1);
    expect(summary.downgrades[0]).toMatchObject({
      fromSkuPartNumber: 'ENTERPRISEPREMIUM',
      toSkuPartNumber: 'ENTERPRISEPACK',
    });
    const lost = summary.downgrades[0]?.lostPlans.map((lostPlan) => lostPlan.servicePlanName) ?? [];
    expect(lost).toEqual(expect.arrayContaining(['MCOEV', 'FORMS_PLAN_E5', 'STREAM_O365_E5']));
    expect(lost).not.toContain('EXCHANGE_S_ENTERPRISE');
    expect(summary.needsDataLossAcknowledgement).toBe(true);
    expect(
      summarisePlan(users, [e5ToE3], ALL_SKUS, request({ acknowledgeDataLoss: true })).needsDataLossAcknowledgement,
    ).toBe(false);
  });
});

describe('batchUsers', () => {
  it('batches only users to change, in order', () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'].map((id, index) =>
      plan({ user: makeUser(index === 2 ? [premium()] : [standard()], { id }) }),
    );
    expect(batchUsers(users, 2)).toEqual([
      ['u1', 'u2'],
      ['u4', 'u5'],
    ]);
    expect(batchUsers(users, 20)).toEqual([['u1', 'u2', 'u4', 'u5']]);
    expect(batchUsers([], 20)).toEqual([]);
  });
});

describe('planUser: invariants over random users', () => {
  const skuIds = [STANDARD, PREMIUM, E1, O365_E3.skuId];
  const holding = fc.record({
    skuId: fc.constantFrom(...skuIds),
    viaDirect: fc.boolean(),
    viaGroup: fc.boolean(),
    errored: fc.boolean(),
  });
  const userArbitrary = fc.record({
    holdings: fc.uniqueArray(holding, { selector: (entry) => entry.skuId, maxLength: 4 }),
    accountEnabled: fc.boolean(),
    usageLocation: fc.constantFrom('US', null),
    upn: fc.constantFrom('adele@contoso.com', 'bob@fabrikam.com', 'x_fabrikam.com#EXT#@contoso.onmicrosoft.com'),
  });
  const options = fc.record({
    mode: fc.constantFrom('swap' as const, 'replace' as const),
    strategy: fc.constantFrom('atomic' as const, 'overlap' as const),
    usageLocation: fc.constantFrom(undefined, 'GB'),
    includeDisabledUsers: fc.boolean(),
    keepDisabledPlans: fc.boolean(),
    selector: fc.constantFrom<UserSelector[]>({ all: true }, { upns: ['adele@contoso.com'] }),
  });

  it('never removes the target or a group-only license; atomic swaps add and remove together; skips take no seat', () => {
    fc.assert(
      fc.property(userArbitrary, options, (generated, chosen) => {
        const assignedLicenses: AssignedLicense[] = [];
        const states: LicenseAssignmentState[] = [];
        for (const entry of generated.holdings) {
          if (!entry.viaDirect && !entry.viaGroup) continue;
          const license = { skuId: entry.skuId, disabledPlans: [] };
          assignedLicenses.push(license);
          const error = entry.errored ? { state: 'Error', error: 'CountViolation' } : {};
          if (entry.viaDirect) states.push({ ...direct(license), ...error });
          if (entry.viaGroup) states.push({ ...inherited(license), ...error });
        }
        const user = makeUser(assignedLicenses, {
          licenseAssignmentStates: states,
          accountEnabled: generated.accountEnabled,
          usageLocation: generated.usageLocation,
          userPrincipalName: generated.upn,
        });
        const swap = chosen.mode === 'swap';
        const planned = plan({
          user,
          move: swap ? standardToPremium : replaceWithPremium,
          moveRequest: moveRequest({ from: swap ? 'O365_BUSINESS_PREMIUM' : undefined, users: chosen.selector }),
          request: request({
            mode: chosen.mode,
            strategy: chosen.strategy,
            usageLocation: chosen.usageLocation,
            includeDisabledUsers: chosen.includeDisabledUsers,
          }),
        });
        const summary = summarisePlan([planned], [swap ? standardToPremium : replaceWithPremium], ALL_SKUS, request());
        if (planned.decision.kind !== 'change') {
          expect(summary.seatsNeeded[PREMIUM]).toBe(0);
          expect(planned.decision.reason.length).toBeGreaterThan(10);
          return;
        }
        const decision = planned.decision;
        const removed = [...decision.remove, ...decision.removeLater];
        expect(removed).not.toContain(PREMIUM);
        const directlyHeld = new Set(
          states.filter((state) => state.assignedByGroup === null).map((state) => state.skuId),
        );
        for (const skuId of removed) expect(directlyHeld.has(skuId)).toBe(true);
        expect(decision.add.map((license) => license.skuId)).toEqual([PREMIUM]);
        if (swap && chosen.strategy === 'atomic') {
          expect(decision.remove).toEqual([STANDARD]);
          expect(decision.add).toHaveLength(1);
        }
        if (chosen.strategy === 'overlap') expect(decision.remove).toEqual([]);
        expect(decision.setUsageLocation === undefined).toBe(user.usageLocation !== null);
        const heldTarget = assignedLicenses.some((license) => license.skuId === PREMIUM);
        expect(summary.seatsNeeded[PREMIUM]).toBe(heldTarget ? 0 : 1);
      }),
      { numRuns: 500 },
    );
  });
});
