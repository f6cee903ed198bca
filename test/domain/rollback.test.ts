import { changedSince, pendingChange } from '../../src/domain/apply';
import { planRestore, rollbackMoves, isRetried, type UserLicensesRecord } from '../../src/domain/rollback';
import { retryMoves, parseLinkedRunBody } from '../../src/domain/linked-runs';
import { parseMigrationRequest } from '../../src/domain/request';
import type { AssignedLicense } from '../../src/domain/types';
import {
  ALL_SKUS,
  BUSINESS_PREMIUM,
  BUSINESS_STANDARD,
  GROUP_A,
  direct,
  inherited,
  makeUser,
  migrationRequest,
  O365_E1,
  planId,
  STANDARD_TO_PREMIUM,
} from './fixtures';

const sway = planId(BUSINESS_STANDARD, 'SWAY');
const STANDARD_NO_SWAY: AssignedLicense = { skuId: BUSINESS_STANDARD.skuId, disabledPlans: [sway] };
const PREMIUM: AssignedLicense = { skuId: BUSINESS_PREMIUM.skuId, disabledPlans: [] };
const OTHER: AssignedLicense = { skuId: O365_E1.skuId, disabledPlans: [] };

const record = (overrides: Partial<UserLicensesRecord> = {}): UserLicensesRecord => ({
  kind: 'userLicenses',
  userId: 'a0b1c2d3-0000-4000-8000-000000000001',
  userPrincipalName: 'adele@contoso.com',
  move: 0,
  before: [STANDARD_NO_SWAY, OTHER],
  after: [PREMIUM, OTHER],
  ...overrides,
});

describe("planning a rollback from the original run's records", () => {
  it('restores the before-state in one atomic change: adds back what was removed with its disabled plans, removes what was added', () => {
    const current = makeUser([PREMIUM, OTHER]);
    const planned = planRestore(record(), { current, force: false, skus: ALL_SKUS });
    expect(planned.decision).toEqual(
      expect.objectContaining({
        kind: 'change',
        add: [STANDARD_NO_SWAY],
        remove: [BUSINESS_PREMIUM.skuId],
        removeLater: [],
        onlyIfHolding: [PREMIUM, OTHER],
      }),
    );
    // Applied to the user as they are, the change leaves exactly the before-state.
    expect(pendingChange(planned, current, 'add')).toEqual({
      kind: 'assign',
      addLicenses: [STANDARD_NO_SWAY],
      removeLicenses: [BUSINESS_PREMIUM.skuId],
    });
    expect(planned.before).toEqual([PREMIUM, OTHER]);
  });

  it('skips a user changed by someone else since ("changed since"), unless force; force restores from whatever they hold', () => {
    const current = makeUser([PREMIUM]); // someone removed E1 by hand
    const skipped = planRestore(record(), { current, force: false, skus: ALL_SKUS });
    expect(skipped.decision.kind).toBe('skip');
    expect(skipped.decision.kind === 'skip' && skipped.decision.reason).toMatch(
      /^changed since the original run: it held .* after the original run and holds .* now; left alone \(roll back with force: true/,
    );
    const forced = planRestore(record(), { current, force: true, skus: ALL_SKUS });
    expect(forced.decision).toEqual(
      expect.objectContaining({ kind: 'change', add: [STANDARD_NO_SWAY, OTHER], remove: [BUSINESS_PREMIUM.skuId] }),
    );
    expect(forced.decision.kind === 'change' && forced.decision.onlyIfHolding).toBeUndefined();
  });

  it('skips a user already back on the before-state, blocks one who no longer exists, and never removes a group license', () => {
    expect(
      planRestore(record(), { current: makeUser([OTHER, STANDARD_NO_SWAY]), force: false, skus: ALL_SKUS }).decision,
    ).toEqual({
      kind: 'skip',
      reason: expect.stringMatching(/already holds what it held before/),
    });
    expect(planRestore(record(), { current: undefined, force: false, skus: ALL_SKUS }).decision).toEqual(
      expect.objectContaining({ kind: 'blocked', code: 'userNotFound' }),
    );
    const viaGroup = makeUser([PREMIUM, OTHER], {
      licenseAssignmentStates: [direct(PREMIUM), inherited(OTHER, GROUP_A)],
    });
    const planned = planRestore(record({ before: [STANDARD_NO_SWAY] }), {
      current: viaGroup,
      force: true,
      skus: ALL_SKUS,
    });
    expect(planned.decision).toEqual(expect.objectContaining({ kind: 'change', remove: [BUSINESS_PREMIUM.skuId] }));
  });

  it('a failed write whose after-state is unknown is left alone unless force', () => {
    const planned = planRestore(record({ after: undefined }), {
      current: makeUser([PREMIUM, OTHER]),
      force: false,
      skus: ALL_SKUS,
    });
    expect(planned.decision.kind === 'skip' && planned.decision.reason).toMatch(/not known/);
  });

  it('the write-time guard leaves a user alone who changed between planning and the batch', () => {
    const planned = planRestore(record(), { current: makeUser([PREMIUM, OTHER]), force: false, skus: ALL_SKUS });
    expect(changedSince(planned, makeUser([PREMIUM, OTHER]))).toBeUndefined();
    expect(
      changedSince(
        planned,
        makeUser([{ skuId: BUSINESS_PREMIUM.skuId, disabledPlans: [planId(BUSINESS_PREMIUM, 'SWAY')] }, OTHER]),
      ),
    ).toMatch(/^changed since the original run/);
  });

  it('reverses the original moves, so the purchase check counts seats of the old subscription', () => {
    const planned = [planRestore(record(), { current: makeUser([PREMIUM, OTHER]), force: false, skus: ALL_SKUS })];
    expect(rollbackMoves([STANDARD_TO_PREMIUM], planned)).toEqual([
      expect.objectContaining({
        fromSkuId: BUSINESS_PREMIUM.skuId,
        toSkuId: BUSINESS_STANDARD.skuId,
        toSkuPartNumber: 'O365_BUSINESS_PREMIUM',
      }),
    ]);
    const replace = { ...STANDARD_TO_PREMIUM, fromSkuId: undefined, fromSkuPartNumber: undefined };
    expect(rollbackMoves([replace], planned)).toEqual([expect.objectContaining({ toSkuId: BUSINESS_STANDARD.skuId })]);
    expect(rollbackMoves([replace], [])).toEqual([]);
  });
});

describe('choosing whom to retry', () => {
  it('retries failed users and those blocked for a reason that may have been fixed, by id per move', () => {
    expect(isRetried({ outcome: 'failed' })).toBe(true);
    expect(isRetried({ outcome: 'blocked', blockCode: 'noUsageLocation' })).toBe(true);
    expect(isRetried({ outcome: 'blocked', blockCode: 'accountDisabled' })).toBe(true);
    expect(isRetried({ outcome: 'blocked', blockCode: 'foreignDomain' })).toBe(false);
    expect(isRetried({ outcome: 'blocked', blockCode: 'userNotFound' })).toBe(false);
    expect(isRetried({ outcome: 'moved' })).toBe(false);
    const moves = [
      {
        from: 'O365_BUSINESS_PREMIUM',
        to: 'SPB',
        users: { all: true as const },
        disabledPlans: [],
        keepDisabledPlans: true,
      },
      {
        from: 'STANDARDPACK',
        to: 'ENTERPRISEPACK',
        users: { upns: ['a@contoso.com'] },
        disabledPlans: [],
        keepDisabledPlans: true,
      },
    ];
    expect(
      retryMoves(moves, [
        { userId: 'AAAA0000-0000-4000-8000-000000000001', move: 0, outcome: 'failed' },
        { userId: 'aaaa0000-0000-4000-8000-000000000002', move: 0, outcome: 'blocked', blockCode: 'noUsageLocation' },
        { userId: 'aaaa0000-0000-4000-8000-000000000003', move: 1, outcome: 'moved' },
      ]),
    ).toEqual([
      { ...moves[0], users: { ids: ['aaaa0000-0000-4000-8000-000000000001', 'aaaa0000-0000-4000-8000-000000000002'] } },
    ]);
  });

  it('validates overrides like POST /api/migrations, inherits the rest, and names unknown fields', () => {
    const original = migrationRequest({
      moves: [
        { from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true }, disabledPlans: [], keepDisabledPlans: true },
      ],
      requireApproval: true,
      batchSize: 10,
      maxUsers: 200,
      notAfter: '2026-03-02T05:00:00Z',
    });
    const retry = parseLinkedRunBody('retry', { usageLocation: 'gb' }, original);
    expect(retry).toEqual({ ok: true, value: expect.objectContaining({ force: false }) });
    if (!retry.ok) return;
    expect(retry.value.request).toEqual(
      expect.objectContaining({ requireApproval: true, batchSize: 10, usageLocation: 'GB', dryRun: false }),
    );
    expect(retry.value.request.maxUsers).toBeUndefined();
    expect(retry.value.request.notAfter).toBeUndefined();
    const rollback = parseLinkedRunBody('rollback', { force: true }, original, { dryRun: true });
    expect(rollback.ok && rollback.value).toEqual(
      expect.objectContaining({ force: true, request: expect.objectContaining({ dryRun: true, strategy: 'atomic' }) }),
    );
    const bad = parseLinkedRunBody('rollback', { usageLocation: 'US', force: 'yes', batchSize: 0 }, original);
    expect(bad.ok ? [] : bad.problems.map((p) => p.field).sort()).toEqual(['batchSize', 'force', 'usageLocation']);
  });

  it('inherits stored group moves without refusing them: a run with group moves can be rolled back and retried', () => {
    // Stored as the parser leaves them: the product change names the group's members as its users, and every move
    // has keepDisabledPlans. Given back as a body, each would be refused (400) if not named as a request names it.
    const stored = parseMigrationRequest({
      moves: [
        { group: '10000000-0000-4000-8000-00000000e001', from: 'STANDARDPACK', to: 'ENTERPRISEPACK' },
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { groupId: '10000000-0000-4000-8000-0000000000b5' },
          assignVia: { group: '10000000-0000-4000-8000-0000000000b9' },
          sourceGroups: 'leave',
        },
        {
          from: 'ENTERPRISEPACK',
          to: 'ENTERPRISEPACK',
          users: { all: true },
          assignVia: { group: '10000000-0000-4000-8000-00000000e003' },
        },
        { from: 'STANDARDPACK', to: 'ENTERPRISEPACK', users: { upns: ['adele@contoso.com'] } },
      ],
    });
    expect(stored.ok).toBe(true);
    if (!stored.ok) return;
    for (const kind of ['rollback', 'retry'] as const) {
      const linked = parseLinkedRunBody(kind, {}, stored.value);
      expect(linked).toEqual({ ok: true, value: expect.objectContaining({ force: false }) });
      // The moves come back as they were stored.
      expect(linked.ok && linked.value.request.moves).toEqual(stored.value.moves);
    }
  });
});
