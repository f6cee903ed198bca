import { planUser } from '../../src/domain/plan';
import { reportRowFor, summariseReport, type ReportContext } from '../../src/domain/report';
import type { ReportRow, ResolvedMove, TenantSku } from '../../src/domain/types';
import {
  ALL_SKUS,
  BUSINESS_PREMIUM,
  BUSINESS_STANDARD,
  O365_E1,
  STANDARD_TO_PREMIUM,
  VERIFIED_DOMAINS,
  makeUser,
  plannedStandardToPremium,
  STANDARD_TO_PREMIUM_REQUEST,
} from './fixtures';

const STANDARD = BUSINESS_STANDARD.skuId;
const PREMIUM = BUSINESS_PREMIUM.skuId;
const move: ResolvedMove = STANDARD_TO_PREMIUM;
const context: ReportContext = { moves: [move], skus: ALL_SKUS };
const planned = plannedStandardToPremium;

describe('reportRowFor', () => {
  it('reports a moved user with the action, the plan reason and the licenses after', () => {
    const user = planned('adele');
    const after = [{ skuId: PREMIUM, disabledPlans: [] }];
    const row = reportRowFor(user, { kind: 'moved', after }, context);
    expect(row).toEqual({
      userPrincipalName: 'adele@contoso.com',
      userId: 'adele',
      move: 0,
      moveLabel: 'Microsoft 365 Business Standard → Microsoft 365 Business Premium',
      action: 'add SPB; remove O365_BUSINESS_PREMIUM',
      outcome: 'moved',
      reason: 'move from Microsoft 365 Business Standard to Microsoft 365 Business Premium',
      before: [{ skuId: STANDARD, disabledPlans: [] }],
      after,
    });
  });

  it('reports a failed user with the Graph error code, request-id and error class', () => {
    const row = reportRowFor(
      planned('bob'),
      {
        kind: 'failed',
        errorClass: 'userFixable',
        message: 'Microsoft refused the license: the user has no valid usage location',
        graphErrorCode: 'Request_BadRequest',
        requestId: 'c0ffee00-0000-4000-8000-000000000000',
      },
      context,
    );
    expect(row).toMatchObject({
      outcome: 'failed',
      reason: 'Microsoft refused the license: the user has no valid usage location',
      errorClass: 'userFixable',
      graphErrorCode: 'Request_BadRequest',
      requestId: 'c0ffee00-0000-4000-8000-000000000000',
      after: [{ skuId: STANDARD, disabledPlans: [] }],
    });
  });

  it('reports skipped and blocked users with their plan reasons and unchanged licenses', () => {
    const skipped = reportRowFor(planned('cat', {}, [{ skuId: PREMIUM, disabledPlans: [] }]), undefined, context);
    expect(skipped).toMatchObject({
      outcome: 'skipped',
      action: 'none',
      reason: 'already on Microsoft 365 Business Premium; nothing to change',
    });
    const blocked = reportRowFor(planned('dan', { accountEnabled: false }), undefined, context);
    expect(blocked).toMatchObject({ outcome: 'blocked', blockCode: 'accountDisabled', action: 'none' });
    expect(blocked.after).toEqual(blocked.before);
  });

  it('reports planned changes of a dry run, and users a cancelled run did not reach, as skipped', () => {
    const dry = reportRowFor(planned('eve'), undefined, { ...context, dryRun: true });
    expect(dry).toMatchObject({ outcome: 'skipped', action: 'add SPB; remove O365_BUSINESS_PREMIUM' });
    expect(dry.reason).toBe(
      'dry run, nothing changed; would move from Microsoft 365 Business Standard to Microsoft 365 Business Premium',
    );
    const cancelled = reportRowFor(
      planned('fay'),
      { kind: 'notAttempted', reason: 'not changed: the run was cancelled' },
      context,
    );
    expect(cancelled).toMatchObject({ outcome: 'skipped' });
    expect(cancelled.reason).toMatch(/^not changed: the run was cancelled; planned to move from/);
  });

  it('labels moves by number when the moves are not given', () => {
    expect(reportRowFor(planned('gil'), undefined).moveLabel).toBe('move 0');
  });
});

describe('summariseReport', () => {
  const rowsFor = (moved: number, others: ReportRow[] = []): ReportRow[] => [
    ...Array.from({ length: moved }, (_, index) =>
      reportRowFor(planned(`u${index}`), { kind: 'moved', after: [{ skuId: PREMIUM, disabledPlans: [] }] }, context),
    ),
    ...others,
  ];
  const standardAfter = (enabled: number, consumed: number): TenantSku => ({
    ...BUSINESS_STANDARD,
    consumedUnits: consumed,
    prepaidUnits: { enabled, warning: 0, suspended: 0, lockedOut: 0 },
  });

  it('counts outcomes by move and recommends reducing the source subscription by the unused licenses', () => {
    const failed = reportRowFor(
      planned('f'),
      { kind: 'failed', errorClass: 'retryable', message: 'Graph kept answering 503' },
      context,
    );
    const blocked = reportRowFor(planned('b', { accountEnabled: false }), undefined, context);
    const summary = summariseReport(rowsFor(12, [failed, blocked]), [standardAfter(20, 8), BUSINESS_PREMIUM], {
      moves: [move],
    });
    expect(summary.total).toBe(14);
    expect(summary.byOutcome).toEqual({ moved: 12, skipped: 0, blocked: 1, failed: 1 });
    expect(summary.byMove).toEqual([
      {
        move: 0,
        label: 'Microsoft 365 Business Standard → Microsoft 365 Business Premium',
        total: 14,
        moved: 12,
        skipped: 0,
        blocked: 1,
        failed: 1,
      },
    ]);
    expect(summary.sourceSkus).toEqual([
      {
        skuId: STANDARD,
        skuPartNumber: 'O365_BUSINESS_PREMIUM',
        name: 'Microsoft 365 Business Standard',
        seatsFreed: 12,
        unusedSeats: 12,
        recommendation:
          '12 Microsoft 365 Business Standard licenses are now unused: reduce the subscription by 12 or cancel it in the Microsoft 365 admin center (https://admin.microsoft.com/#/subscriptions); Microsoft Graph cannot cancel or reduce subscriptions',
      },
    ]);
  });

  it('recommends cancelling when nobody holds the source any more, and nothing when every license is used', () => {
    const none = summariseReport(rowsFor(3), [standardAfter(3, 0)], { moves: [move] });
    expect(none.sourceSkus[0]?.recommendation).toMatch(
      /^nobody holds Microsoft 365 Business Standard any more \(3 licenses unused\): cancel the subscription/,
    );
    const full = summariseReport(rowsFor(3), [standardAfter(5, 5)], { moves: [move] });
    expect(full.sourceSkus[0]?.recommendation).toBe(
      'this run freed 3 licenses; every Microsoft 365 Business Standard license is in use, so there is nothing to reduce',
    );
  });

  it('counts licenses removed in replace mode under their own SKU', () => {
    const user = planUser({
      user: makeUser([
        { skuId: STANDARD, disabledPlans: [] },
        { skuId: O365_E1.skuId, disabledPlans: [] },
      ]),
      move: { move: 0, toSkuId: PREMIUM, toSkuPartNumber: 'SPB', disabledPlanIds: [] },
      moveRequest: { to: 'SPB', users: { all: true }, disabledPlans: [], keepDisabledPlans: true },
      request: { ...STANDARD_TO_PREMIUM_REQUEST, mode: 'replace' },
      skus: ALL_SKUS,
      verifiedDomains: VERIFIED_DOMAINS,
    });
    const row = reportRowFor(user, { kind: 'moved', after: [{ skuId: PREMIUM, disabledPlans: [] }] }, context);
    const summary = summariseReport([row], ALL_SKUS, { moves: [] });
    expect(summary.sourceSkus.map((sku) => [sku.skuPartNumber, sku.seatsFreed])).toEqual([
      ['O365_BUSINESS_PREMIUM', 1],
      ['STANDARDPACK', 1],
    ]);
  });
});
