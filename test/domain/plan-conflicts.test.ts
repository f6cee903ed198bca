import { pendingChange } from '../../src/domain/apply';
import { planUser } from '../../src/domain/plan';
import { conflictsWith } from '../../src/domain/plan-conflicts';
import type { MoveRequest, ResolvedMove } from '../../src/domain/types';
import {
  ALL_SKUS,
  BUSINESS_STANDARD,
  O365_E1,
  O365_E3,
  VERIFIED_DOMAINS,
  makeUser,
  migrationRequest,
  planId,
} from './fixtures';

const E1 = { skuId: O365_E1.skuId, disabledPlans: [] };
const E3 = { skuId: O365_E3.skuId, disabledPlans: [] };
const EXCHANGE_PLAN_2 = planId(O365_E3, 'EXCHANGE_S_ENTERPRISE');
const E1_TO_E3: ResolvedMove = {
  move: 0,
  fromSkuId: O365_E1.skuId,
  fromSkuPartNumber: 'STANDARDPACK',
  toSkuId: O365_E3.skuId,
  toSkuPartNumber: 'ENTERPRISEPACK',
  disabledPlanIds: [],
};
const moveRequest: MoveRequest = {
  from: 'STANDARDPACK',
  to: 'ENTERPRISEPACK',
  users: { all: true },
  disabledPlans: [],
  keepDisabledPlans: true,
};

function plan(strategy: 'atomic' | 'overlap', licenses = [E1]) {
  const request = migrationRequest({ moves: [moveRequest], strategy });
  return planUser({
    user: makeUser(licenses),
    move: E1_TO_E3,
    moveRequest,
    request,
    skus: ALL_SKUS,
    verifiedDomains: VERIFIED_DOMAINS,
  }).decision;
}

describe('mutually exclusive service plans (Office 365 E1 and E3 Exchange plans)', () => {
  it('finds the clash between enabled plans, and none once one of them is switched off', () => {
    expect(conflictsWith(E3, [E1], ALL_SKUS)).toEqual([
      expect.objectContaining({ targetPlanName: 'EXCHANGE_S_ENTERPRISE', heldPlanName: 'EXCHANGE_S_STANDARD' }),
    ]);
    expect(conflictsWith({ ...E3, disabledPlans: [EXCHANGE_PLAN_2] }, [E1], ALL_SKUS)).toEqual([]);
  });

  it('atomic: one call adds E3 and removes E1, so nothing clashes and nothing is switched off', () => {
    expect(plan('atomic')).toMatchObject({ kind: 'change', add: [E3], remove: [O365_E1.skuId], removeLater: [] });
  });

  it('overlap: E3 comes first with its Exchange plan off; cleanup switches it on in the call that removes E1', () => {
    const decision = plan('overlap');
    expect(decision).toMatchObject({
      kind: 'change',
      add: [{ skuId: O365_E3.skuId, disabledPlans: [EXCHANGE_PLAN_2] }],
      addLater: [E3],
      remove: [],
      removeLater: [O365_E1.skuId],
    });
    expect(decision.kind === 'change' && decision.reason).toMatch(
      /EXCHANGE_S_ENTERPRISE of .*E3 stays off until .*E1 is removed in cleanup/,
    );
    // During the overlap the user holds E1 (Exchange Plan 1) and E3 without Exchange: cleanup's one call swaps them.
    const overlapped = makeUser([E1, { skuId: O365_E3.skuId, disabledPlans: [EXCHANGE_PLAN_2] }]);
    const user = {
      ...planUser({
        user: makeUser([E1]),
        move: E1_TO_E3,
        moveRequest,
        request: migrationRequest({ moves: [moveRequest], strategy: 'overlap' }),
        skus: ALL_SKUS,
        verifiedDomains: VERIFIED_DOMAINS,
      }),
    };
    expect(pendingChange(user, overlapped, 'removeLater')).toEqual({
      kind: 'assign',
      addLicenses: [E3],
      removeLicenses: [O365_E1.skuId],
    });
  });

  it('blocks a user whose clash comes from a license the move keeps, saying what to do', () => {
    const standard = { skuId: BUSINESS_STANDARD.skuId, disabledPlans: [] };
    const decision = plan('atomic', [E1, standard]);
    // Swap mode removes only E1; Business Standard (Exchange Online Plan 1) stays and clashes with E3's Plan 2.
    expect(decision).toMatchObject({ kind: 'blocked', code: 'conflictingLicense' });
    expect(decision.kind === 'blocked' && decision.reason).toMatch(/cannot be held together with EXCHANGE_S_STANDARD/);
  });
});
