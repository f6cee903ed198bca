import { approverList, mayDecide, type ApprovalPolicy, type Principal } from '../../src/domain/approval';

const GROUP = '6a7e1f2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const alice: Principal = {
  name: 'Alice@Contoso.com',
  id: 'a-1',
  upns: ['alice@contoso.com'],
  groups: [],
  groupsComplete: false,
};
const bob: Principal = { name: 'bob@contoso.com', id: 'b-2', upns: [], groups: [GROUP], groupsComplete: true };
const open: ApprovalPolicy = {
  deploymentApprovers: [],
  runApprovers: [],
  requireDifferentApprover: false,
  origin: 'http',
};

describe('who may decide a run', () => {
  it('anyone, signed in or not, when nothing restricts it', () => {
    expect(mayDecide('approve', undefined, open)).toEqual({ allowed: true });
    expect(mayDecide('approve', alice, open)).toEqual({ allowed: true });
  });

  it('a restricted run needs a signed-in principal: a body label does not count', () => {
    const verdict = mayDecide('approve', undefined, { ...open, runApprovers: ['alice@contoso.com'] });
    expect(verdict).toEqual({ allowed: false, reason: expect.stringMatching(/signed-in approver.*only a label/) });
  });

  it('matches UPNs case-insensitively and groups from the claims; both lists must match', () => {
    expect(mayDecide('reject', alice, { ...open, runApprovers: ['alice@contoso.com'] })).toEqual({ allowed: true });
    expect(mayDecide('approve', bob, { ...open, deploymentApprovers: [GROUP] })).toEqual({ allowed: true });
    const both = { ...open, deploymentApprovers: [GROUP], runApprovers: ['alice@contoso.com'] };
    expect(mayDecide('approve', bob, both)).toEqual({
      allowed: false,
      reason: expect.stringMatching(/bob@contoso\.com is not one of the approvers of this run \(alice@contoso\.com\)/),
    });
  });

  it('asks for a membership look-up when the claims do not settle a group, and decides with its result', () => {
    const policy = { ...open, deploymentApprovers: [GROUP] };
    expect(mayDecide('approve', alice, policy)).toEqual({ allowed: 'lookup', groups: [GROUP] });
    expect(mayDecide('approve', alice, policy, new Set([GROUP]))).toEqual({ allowed: true });
    expect(mayDecide('approve', alice, policy, new Set())).toEqual(expect.objectContaining({ allowed: false }));
  });

  it('requireDifferentApprover: the requester may reject but not approve; an unverified requester cannot be told apart; schedules are exempt', () => {
    const policy = {
      ...open,
      requireDifferentApprover: true,
      requester: { name: 'alice@contoso.com', id: 'a-1', verified: true },
    };
    expect(mayDecide('approve', alice, policy)).toEqual({
      allowed: false,
      reason: expect.stringMatching(/started this run and may not approve it/),
    });
    expect(mayDecide('reject', alice, policy)).toEqual({ allowed: true });
    expect(mayDecide('approve', bob, policy)).toEqual({ allowed: true });
    expect(mayDecide('approve', bob, { ...policy, requester: { verified: false, name: 'x' } })).toEqual(
      expect.objectContaining({ allowed: false }),
    );
    expect(mayDecide('approve', undefined, { ...policy, origin: 'schedule', requester: undefined })).toEqual({
      allowed: true,
    });
  });

  it('reads comma-separated settings', () => {
    expect(approverList(' Alice@Contoso.com, ,6A7E1F2B-3C4D-4E5F-8A9B-0C1D2E3F4A5B,alice@contoso.com')).toEqual([
      'alice@contoso.com',
      GROUP,
    ]);
  });
});
