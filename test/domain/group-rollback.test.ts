/** Rolling back group moves (src/domain/group-rollback.ts), on the real SKU tables of the fixtures. */
import type { GroupMembershipRecord, GroupProductRecord } from '../../src/domain/group-rollback';
import type { GroupFacts } from '../../src/domain/groups';
import { limitToUsers, restoreAll, type GroupNow, type RollbackContext } from '../../src/domain/rollback';
import type { AssignedLicense, UserLicenseSnapshot } from '../../src/domain/types';
import {
  ALL_SKUS,
  BUSINESS_PREMIUM,
  BUSINESS_STANDARD,
  direct,
  inherited,
  makeUser,
  O365_E1,
  O365_E3,
  planId,
} from './fixtures';

const LIC_E1 = '10000000-0000-4000-8000-00000000e001';
const LIC_E3 = '10000000-0000-4000-8000-00000000e003';
const LIC_PREMIUM = '10000000-0000-4000-8000-0000000000b9';
const LIC_STANDARD = '10000000-0000-4000-8000-0000000000b5';
const SWAY_E1 = planId(O365_E1, 'SWAY');
const SWAY_E3 = planId(O365_E3, 'SWAY');
const EXCHANGE_P1 = planId(O365_E1, 'EXCHANGE_S_STANDARD');

const E1_NO_SWAY: AssignedLicense = { skuId: O365_E1.skuId, disabledPlans: [SWAY_E1] };
const E3: AssignedLicense = { skuId: O365_E3.skuId, disabledPlans: [] };
const E3_NO_SWAY: AssignedLicense = { skuId: O365_E3.skuId, disabledPlans: [SWAY_E3] };
const STANDARD: AssignedLicense = { skuId: BUSINESS_STANDARD.skuId, disabledPlans: [] };
const PREMIUM: AssignedLicense = { skuId: BUSINESS_PREMIUM.skuId, disabledPlans: [] };

function group(
  id: string,
  displayName: string,
  licenses: AssignedLicense[],
  extra: Partial<GroupFacts> = {},
): GroupNow {
  return {
    facts: {
      id,
      displayName,
      groupTypes: [],
      membershipRule: null,
      onPremisesSyncEnabled: null,
      isAssignableToRole: false,
      assignedLicenses: licenses,
      licenseProcessingState: 'ProcessingComplete',
      ...extra,
    },
  };
}

const userId = (n: number): string => `a0b1c2d3-0000-4000-8000-${String(n).padStart(12, '0')}`;
const upn = (n: number): string => `user${n}@contoso.com`;

/** A user holding the licenses from the given groups (or directly, for null). */
function user(n: number, held: [AssignedLicense, string | null][]): UserLicenseSnapshot {
  return makeUser(
    held.map(([license]) => license),
    {
      id: userId(n),
      userPrincipalName: upn(n),
      licenseAssignmentStates: held.map(([license, groupId]) =>
        groupId === null ? direct(license) : inherited(license, groupId),
      ),
    },
  );
}

function context(
  users: UserLicenseSnapshot[],
  groups: [string, GroupNow | undefined][],
  force = false,
): Omit<RollbackContext, 'unit'> {
  return {
    force,
    skus: ALL_SKUS,
    users: new Map(users.map((u) => [u.id.toLowerCase(), u])),
    groups: new Map(groups.map(([id, g]) => [id.toLowerCase(), g])),
  };
}

// ------------------------------------------------------------------------------------------ a group's product

const productRecord = (overrides: Partial<GroupProductRecord> = {}): GroupProductRecord => ({
  kind: 'groupProduct',
  move: 0,
  groupId: LIC_E1,
  groupName: 'Lic – Office 365 E1',
  fromSkuId: O365_E1.skuId,
  toSkuId: O365_E3.skuId,
  licenses: { before: [E1_NO_SWAY], after: [E3_NO_SWAY] },
  members: [1, 2].map((n) => ({ userId: userId(n), userPrincipalName: upn(n) })),
  ...overrides,
});

const membersOnE3 = [user(1, [[E3_NO_SWAY, LIC_E1]]), user(2, [[E3_NO_SWAY, LIC_E1]])];
const e1GroupNow = (licenses: AssignedLicense[], members = [1, 2]): GroupNow => ({
  ...group(LIC_E1, 'Lic – Office 365 E1', licenses),
  members: new Set(members.map((n) => userId(n))),
});

describe("rolling back a group's product change", () => {
  it('plans the change reversed: E1 back first with its Sway still off and Exchange off next to E3, then E3 goes', () => {
    const { planned, units, notes } = restoreAll(
      [productRecord()],
      context(membersOnE3, [[LIC_E1, e1GroupNow([E3_NO_SWAY])]]),
    );
    expect(notes).toEqual([]);
    expect(units).toHaveLength(1);
    expect(units[0]).toMatchObject({
      unit: 0,
      kind: 'product',
      groupId: LIC_E1,
      fromSkuId: O365_E3.skuId,
      toSkuId: O365_E1.skuId,
      users: 2,
      // Exchange Online (Plan 1) clashes with E3's Plan 2: off until E3 is gone, then on in the same group call.
      addFirst: { skuId: O365_E1.skuId, disabledPlans: expect.arrayContaining([SWAY_E1, EXCHANGE_P1]) },
      addFinal: { skuId: O365_E1.skuId, disabledPlans: [SWAY_E1] },
      // Without force, the group stage writes only while the group still assigns what it assigned at planning.
      onlyIfAssigns: [E3_NO_SWAY],
    });
    expect(units[0]!.action).toMatch(/\(back to what the group assigned before the original run\)$/);
    expect(planned.map((row) => row.decision.kind)).toEqual(['change', 'change']);
    expect(planned[0]!.decision).toMatchObject({
      kind: 'change',
      groupMove: { kind: 'product', removes: [O365_E3.skuId] },
    });
  });

  it('leaves a group changed since alone ("changed since") with every member skipped, unless force', () => {
    const now = e1GroupNow([E3]);
    const left = restoreAll([productRecord()], context(membersOnE3, [[LIC_E1, now]]));
    expect(left.units[0]).toMatchObject({ refused: expect.stringMatching(/^changed since the original run: /) });
    for (const row of left.planned) {
      expect(row.decision).toMatchObject({
        kind: 'skip',
        reason: expect.stringMatching(/assigned Office 365 E3 \(1 plan off\) after it and assigns Office 365 E3 now/),
      });
    }
    const forced = restoreAll([productRecord()], context(membersOnE3, [[LIC_E1, now]], true));
    expect(forced.units[0]?.refused).toBeUndefined();
    expect(forced.units[0]?.onlyIfAssigns).toBeUndefined();
    expect(forced.planned.map((row) => row.decision.kind)).toEqual(['change', 'change']);
  });

  it('a member who joined the group since makes it "changed since" too: restoring would change them as well', () => {
    const joined = user(3, [[E3_NO_SWAY, LIC_E1]]);
    const now = e1GroupNow([E3_NO_SWAY], [1, 2, 3]);
    const left = restoreAll([productRecord()], context([...membersOnE3, joined], [[LIC_E1, now]]));
    expect(left.units[0]?.refused).toMatch(/1 member joined group "Lic – Office 365 E1"/);
    const forced = restoreAll([productRecord()], context([...membersOnE3, joined], [[LIC_E1, now]], true));
    expect(forced.planned).toHaveLength(3);
    expect(forced.planned.find((row) => row.userId === userId(3))?.decision).toMatchObject({
      kind: 'change',
      reason: expect.stringContaining('joined the group after the original run'),
    });
  });

  it('a group already back is done; an original that never changed the group restores nothing', () => {
    const back = restoreAll([productRecord()], context(membersOnE3, [[LIC_E1, e1GroupNow([E1_NO_SWAY])]]));
    expect(back.units[0]).toMatchObject({ done: true });
    expect(back.planned.every((row) => row.decision.kind === 'skip')).toBe(true);
    const untouched = restoreAll(
      [productRecord({ licenses: { before: [E1_NO_SWAY], after: [E1_NO_SWAY] } })],
      context(membersOnE3, [[LIC_E1, e1GroupNow([E1_NO_SWAY])]]),
    );
    expect(untouched).toEqual({ planned: [], units: [], notes: [] });
  });

  it('a run that did not record the group licenses says how to restore it by hand', () => {
    const { licenses: _licenses, ...old } = productRecord();
    const { planned, units, notes } = restoreAll([old], context(membersOnE3, [[LIC_E1, e1GroupNow([E3])]]));
    expect(units[0]?.refused).toMatch(/did not record what its group steps changed/);
    expect(planned.every((row) => row.decision.kind === 'blocked' && row.decision.code === 'notRecorded')).toBe(true);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^The original run did not record .* remove Office 365 E3\.$/);
  });
});

// ------------------------------------------------------------------------------------------ users moved into a group

const membershipRecord = (overrides: Partial<GroupMembershipRecord> = {}): GroupMembershipRecord => ({
  kind: 'groupMembership',
  move: 0,
  groupId: LIC_PREMIUM,
  groupName: 'Lic – Business Premium',
  fromSkuId: BUSINESS_STANDARD.skuId,
  toSkuId: BUSINESS_PREMIUM.skuId,
  recorded: true,
  users: [1, 2].map((n) => ({
    userId: userId(n),
    userPrincipalName: upn(n),
    changes: {
      joined: [{ groupId: LIC_PREMIUM, groupName: 'Lic – Business Premium' }],
      left: [{ groupId: LIC_STANDARD, groupName: 'Lic – Business Standard' }],
      removedDirect: [],
      addedDirect: [],
    },
    after: [PREMIUM],
  })),
  ...overrides,
});

const groupsNow = (): [string, GroupNow][] => [
  [LIC_PREMIUM, group(LIC_PREMIUM, 'Lic – Business Premium', [PREMIUM])],
  [LIC_STANDARD, group(LIC_STANDARD, 'Lic – Business Standard', [STANDARD])],
];

describe('rolling back users moved into a licensing group', () => {
  it('rejoins the source group first and leaves the target only once the source is held again', () => {
    const users = [user(1, [[PREMIUM, LIC_PREMIUM]]), user(2, [[PREMIUM, LIC_PREMIUM]])];
    const { planned, units } = restoreAll([membershipRecord()], context(users, groupsNow()));
    expect(units).toEqual([
      expect.objectContaining({
        kind: 'restore',
        groupId: LIC_PREMIUM,
        fromSkuId: BUSINESS_PREMIUM.skuId,
        toSkuId: BUSINESS_STANDARD.skuId,
        users: 2,
      }),
    ]);
    expect(planned[0]!.decision).toEqual({
      kind: 'change',
      add: [STANDARD],
      remove: [],
      removeLater: [],
      groupMove: {
        kind: 'restore',
        unit: 0,
        groupId: LIC_PREMIUM,
        groupName: 'Lic – Business Premium',
        join: [{ groupId: LIC_STANDARD, groupName: 'Lic – Business Standard' }],
        addDirect: [],
        leave: [{ groupId: LIC_PREMIUM, groupName: 'Lic – Business Premium' }],
        removeDirect: [],
        expectConflict: false,
        removes: [BUSINESS_PREMIUM.skuId],
      },
      reason:
        'restore what the original run changed: rejoin group "Lic – Business Standard" (10000000-0000-4000-8000-0000000000b5); once Microsoft 365 Business Standard is held again, leave group "Lic – Business Premium" (10000000-0000-4000-8000-0000000000b9)',
      onlyIfHolding: [PREMIUM],
    });
  });

  it('undoes a conversion to group-based: the direct assignment back with its plans, then out of the group', () => {
    const record = membershipRecord({
      groupId: LIC_E3,
      groupName: 'Lic – Office 365 E3',
      fromSkuId: O365_E3.skuId,
      toSkuId: O365_E3.skuId,
      users: [
        {
          userId: userId(1),
          userPrincipalName: upn(1),
          changes: {
            joined: [{ groupId: LIC_E3, groupName: 'Lic – Office 365 E3' }],
            left: [],
            removedDirect: [E3_NO_SWAY],
            addedDirect: [],
          },
          after: [E3],
        },
      ],
    });
    const users = [user(1, [[E3, LIC_E3]])];
    const { planned, units } = restoreAll(
      [record],
      context(users, [[LIC_E3, group(LIC_E3, 'Lic – Office 365 E3', [E3])]]),
    );
    expect(units[0]?.action).toBe(
      'group "Lic – Office 365 E3" (10000000-0000-4000-8000-00000000e003): users get their direct Office 365 E3 back, and only then leave the group',
    );
    expect(planned[0]!.decision).toMatchObject({
      kind: 'change',
      add: [E3_NO_SWAY],
      groupMove: {
        kind: 'restore',
        join: [],
        addDirect: [E3_NO_SWAY],
        leave: [{ groupId: LIC_E3 }],
        // The same product stays: no seat is freed and nothing is lost.
        removes: [],
      },
    });
  });

  it('a user changed since (back in the source group by hand) is skipped unless force; one already back is skipped', () => {
    const users = [
      user(1, [
        [PREMIUM, LIC_PREMIUM],
        [STANDARD, LIC_STANDARD],
      ]),
      user(2, [[STANDARD, LIC_STANDARD]]),
    ];
    const left = restoreAll([membershipRecord()], context(users, groupsNow()));
    expect(left.planned[0]!.decision).toEqual({
      kind: 'skip',
      reason:
        'changed since the original run: back in group "Lic – Business Standard" (10000000-0000-4000-8000-0000000000b5); left alone (roll back with force: true to restore it anyway)',
    });
    expect(left.planned[1]!.decision).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/^already back/) });
    expect(left.units[0]?.users).toBe(0);
    const forced = restoreAll([membershipRecord()], context(users, groupsNow(), true));
    // Forced: it only has to leave the target, since it holds the source again already.
    expect(forced.planned[0]!.decision).toMatchObject({
      kind: 'change',
      groupMove: { join: [], leave: [{ groupId: LIC_PREMIUM }] },
    });
    expect(forced.planned[0]!.decision).not.toHaveProperty('onlyIfHolding');
  });

  it('refuses a source group that became dynamic, or one that no longer assigns the source (never leaves a user without it)', () => {
    const users = [user(1, [[PREMIUM, LIC_PREMIUM]]), user(2, [[PREMIUM, LIC_PREMIUM]])];
    const dynamic: [string, GroupNow][] = [
      groupsNow()[0]!,
      [
        LIC_STANDARD,
        group(LIC_STANDARD, 'Lic – Business Standard', [STANDARD], {
          groupTypes: ['DynamicMembership'],
          membershipRule: 'user.department -eq "Sales"',
        }),
      ],
    ];
    const refused = restoreAll([membershipRecord()], context(users, dynamic));
    expect(refused.planned[0]!.decision).toMatchObject({
      kind: 'blocked',
      code: 'groupRefused',
      reason: expect.stringMatching(/has dynamic membership/),
    });
    const empty: [string, GroupNow][] = [
      groupsNow()[0]!,
      [LIC_STANDARD, group(LIC_STANDARD, 'Lic – Business Standard', [])],
    ];
    const unlicensed = restoreAll([membershipRecord()], context(users, empty));
    expect(unlicensed.planned[0]!.decision).toMatchObject({
      kind: 'blocked',
      code: 'groupRefused',
      reason: expect.stringMatching(
        /^none of the groups the user would rejoin assigns Microsoft 365 Business Standard/,
      ),
    });
  });

  it('a run that did not record its membership changes is reported with what to do by hand', () => {
    const users = [user(1, [[PREMIUM, LIC_PREMIUM]]), user(2, [[PREMIUM, LIC_PREMIUM]])];
    const { planned, units, notes } = restoreAll([membershipRecord({ recorded: false })], context(users, groupsNow()));
    expect(units[0]?.refused).toMatch(/cannot be undone automatically/);
    expect(planned.map((row) => row.decision.kind === 'blocked' && row.decision.code)).toEqual([
      'notRecorded',
      'notRecorded',
    ]);
    expect(notes).toHaveLength(1);
  });
});

describe('retrying a rollback of group moves for some users', () => {
  it("keeps only those users' membership records, and a group's product for all its members or none", () => {
    const records = [productRecord(), membershipRecord()];
    expect(limitToUsers(records, [userId(2).toUpperCase()])).toEqual([
      productRecord(),
      membershipRecord({ users: [membershipRecord().users[1]!] }),
    ]);
    expect(limitToUsers(records, ['a0b1c2d3-0000-4000-8000-000000000099'])).toEqual([]);
  });
});
