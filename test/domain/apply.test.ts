import { directlyHeld, pendingChange, verificationProblem } from '../../src/domain/apply';
import type { PlannedUser, UserLicenseSnapshot } from '../../src/domain/types';

const SOURCE = 'f245ecc8-75af-4f8e-b61f-27d8114de5f3';
const TARGET = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';
const OTHER = '3b555118-da6a-4418-894f-7df1e2096870';
const SWAY = 'a23b959c-7ce8-4e57-9140-b90eb88a9e97';
const GROUP = 'a6f0c1d2-7e3b-4c59-8a1f-6b2d9e4c3f70';

function user(
  licenses: { skuId: string; disabledPlans?: string[]; group?: string; error?: string }[],
): UserLicenseSnapshot {
  return {
    id: 'u1',
    userPrincipalName: 'u1@contoso.com',
    accountEnabled: true,
    usageLocation: 'US',
    assignedLicenses: licenses.map((l) => ({ skuId: l.skuId, disabledPlans: l.disabledPlans ?? [] })),
    licenseAssignmentStates: licenses.map((l) => ({
      skuId: l.skuId,
      assignedByGroup: l.group ?? null,
      disabledPlans: l.disabledPlans ?? [],
      state: l.error ? 'Error' : 'Active',
      error: l.error ?? 'None',
    })),
  };
}

const swap = (strategy: 'atomic' | 'overlap' = 'atomic'): PlannedUser => ({
  userId: 'u1',
  userPrincipalName: 'u1@contoso.com',
  move: 0,
  before: [{ skuId: SOURCE, disabledPlans: [] }],
  decision: {
    kind: 'change',
    add: [{ skuId: TARGET, disabledPlans: [SWAY] }],
    remove: strategy === 'atomic' ? [SOURCE] : [],
    removeLater: strategy === 'overlap' ? [SOURCE] : [],
  },
});

describe('pendingChange: what is still to do for a user, given what they hold now', () => {
  it('sends add and remove together for a user not yet changed (one atomic call)', () => {
    expect(pendingChange(swap(), user([{ skuId: SOURCE }, { skuId: OTHER }]), 'add')).toEqual({
      kind: 'assign',
      addLicenses: [{ skuId: TARGET, disabledPlans: [SWAY] }],
      removeLicenses: [SOURCE],
    });
  });

  it('finds a user already in the planned state done (a retried batch writes nothing)', () => {
    expect(pendingChange(swap(), user([{ skuId: TARGET, disabledPlans: [SWAY] }, { skuId: OTHER }]), 'add')).toEqual({
      kind: 'alreadyDone',
    });
  });

  it('re-adds a held target whose disabled plans differ from the plan', () => {
    expect(pendingChange(swap(), user([{ skuId: TARGET }]), 'add')).toEqual({
      kind: 'assign',
      addLicenses: [{ skuId: TARGET, disabledPlans: [SWAY] }],
      removeLicenses: [],
    });
  });

  it('never asks to remove a license the user holds only through a group', () => {
    const change = pendingChange(swap(), user([{ skuId: SOURCE, group: GROUP }]), 'add');
    expect(change).toEqual({
      kind: 'assign',
      addLicenses: [{ skuId: TARGET, disabledPlans: [SWAY] }],
      removeLicenses: [],
    });
  });

  it('in overlap cleanup removes only the deferred source, and only while it is still held', () => {
    expect(
      pendingChange(
        swap('overlap'),
        user([{ skuId: SOURCE }, { skuId: TARGET, disabledPlans: [SWAY] }]),
        'removeLater',
      ),
    ).toEqual({
      kind: 'assign',
      addLicenses: [],
      removeLicenses: [SOURCE],
    });
    expect(pendingChange(swap('overlap'), user([{ skuId: TARGET, disabledPlans: [SWAY] }]), 'removeLater')).toEqual({
      kind: 'alreadyDone',
    });
  });

  it('treats a license with no assignment state as direct', () => {
    const snapshot = user([]);
    snapshot.assignedLicenses.push({ skuId: SOURCE, disabledPlans: [] });
    expect([...directlyHeld(snapshot)]).toEqual([SOURCE]);
  });
});

describe('verificationProblem', () => {
  const name = (id: string) => (id === TARGET ? 'Business Premium' : id === SOURCE ? 'Business Standard' : id);

  it('accepts a user holding the target without error and no source', () => {
    expect(
      verificationProblem(
        swap(),
        user([{ skuId: TARGET, disabledPlans: [SWAY] }]),
        { expectRemovedLater: false },
        name,
      ),
    ).toBeUndefined();
  });

  it('names a missing target, a target in error, and a source still held', () => {
    expect(verificationProblem(swap(), user([{ skuId: SOURCE }]), { expectRemovedLater: false }, name)).toMatch(
      /no Business Premium license/,
    );
    expect(
      verificationProblem(
        swap(),
        user([{ skuId: TARGET, error: 'CountViolation' }]),
        { expectRemovedLater: false },
        name,
      ),
    ).toMatch(/in error \(CountViolation\)/);
    expect(
      verificationProblem(swap(), user([{ skuId: TARGET }, { skuId: SOURCE }]), { expectRemovedLater: false }, name),
    ).toMatch(/still holds Business Standard/);
  });

  it('lets an overlap user keep the source until cleanup', () => {
    expect(
      verificationProblem(
        swap('overlap'),
        user([{ skuId: TARGET }, { skuId: SOURCE }]),
        { expectRemovedLater: false },
        name,
      ),
    ).toBeUndefined();
    expect(
      verificationProblem(
        swap('overlap'),
        user([{ skuId: TARGET }, { skuId: SOURCE }]),
        { expectRemovedLater: true },
        name,
      ),
    ).toMatch(/still holds/);
  });
});
