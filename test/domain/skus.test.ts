import {
  describeTenantSkus,
  freeSeats,
  mapKeptDisabledPlans,
  moveLabel,
  resolveMoves,
  resolvePlans,
  resolveSku,
} from '../../src/domain/skus';
import type { MigrationRequest, TenantSku } from '../../src/domain/types';
import {
  ALL_SKUS,
  BUSINESS_PREMIUM,
  BUSINESS_STANDARD,
  COMPANY_SKU,
  O365_E3,
  O365_E5,
  migrationRequest,
  planId,
} from './fixtures';

describe('resolveSku', () => {
  it('matches a part number or an id, case-insensitively', () => {
    expect(resolveSku('spb', ALL_SKUS)).toEqual({ ok: true, sku: BUSINESS_PREMIUM });
    expect(resolveSku('CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46', ALL_SKUS)).toEqual({ ok: true, sku: BUSINESS_PREMIUM });
  });

  it('lists the SKUs the tenant has when the reference is unknown', () => {
    const result = resolveSku('SPE_E3', [BUSINESS_STANDARD, BUSINESS_PREMIUM]);
    expect(result).toEqual({
      ok: false,
      reason:
        'this tenant has no SKU "SPE_E3"; it has: O365_BUSINESS_PREMIUM (f245ecc8-75af-4f8e-b61f-27d8114de5f3), ' +
        'SPB (cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46). Buy it for this organisation or check the spelling',
    });
  });

  it('refuses a company-level SKU, which cannot be assigned to users', () => {
    const result = resolveSku('MCOMEETACPEA', ALL_SKUS);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/applies to the whole company/);
    expect(describeTenantSkus([COMPANY_SKU])).toBe('none');
  });
});

describe('resolvePlans', () => {
  it('resolves names and ids to the SKU plan ids, without duplicates', () => {
    const sway = planId(BUSINESS_PREMIUM, 'SWAY');
    expect(resolvePlans(['sway', sway.toUpperCase(), 'FORMS_PLAN_E1'], BUSINESS_PREMIUM)).toEqual({
      ok: true,
      planIds: [sway, planId(BUSINESS_PREMIUM, 'FORMS_PLAN_E1')],
    });
  });

  it('lists unknown plans with the plans the SKU has', () => {
    const result = resolvePlans(['SWAY', 'FORMS_PLAN_E5'], BUSINESS_PREMIUM);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.index).toBe(1);
    expect(result.problems[0]?.message).toMatch(
      /^SPB has no service plan "FORMS_PLAN_E5"; its plans are: .*FORMS_PLAN_E1/,
    );
  });
});

describe('mapKeptDisabledPlans', () => {
  it('keeps the same id, else the same name, and drops plans the target lacks', () => {
    const sway = planId(BUSINESS_STANDARD, 'SWAY');
    const streamSmb = planId(BUSINESS_STANDARD, 'STREAM_O365_SMB');
    const renamed: TenantSku = {
      ...BUSINESS_PREMIUM,
      servicePlans: [{ servicePlanId: '11111111-2222-4333-8444-555555555555', servicePlanName: 'SWAY' }],
    };
    expect(mapKeptDisabledPlans(BUSINESS_STANDARD, [sway, streamSmb], BUSINESS_PREMIUM)).toEqual([sway]);
    expect(mapKeptDisabledPlans(BUSINESS_STANDARD, [sway], renamed)).toEqual(['11111111-2222-4333-8444-555555555555']);
    expect(mapKeptDisabledPlans(undefined, [sway], renamed)).toEqual([]);
  });
});

describe('freeSeats', () => {
  const sku = (enabled: number, warning: number, consumed: number): TenantSku => ({
    ...BUSINESS_PREMIUM,
    consumedUnits: consumed,
    prepaidUnits: { enabled, warning, suspended: 0, lockedOut: 0 },
  });
  it('is enabled minus consumed by default, and never negative', () => {
    expect(freeSeats(sku(50, 5, 38))).toBe(12);
    expect(freeSeats(sku(10, 0, 12))).toBe(0);
  });
  it('can also treat units in the warning period as unavailable', () => {
    expect(freeSeats(sku(50, 5, 38), 'enabledMinusWarningMinusConsumed')).toBe(7);
  });
});

describe('resolveMoves', () => {
  const request = (moves: MigrationRequest['moves']): MigrationRequest => migrationRequest({ moves });

  it('resolves SKUs and disabled plans of every move', () => {
    const result = resolveMoves(
      request([
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'spb',
          users: { all: true },
          disabledPlans: ['SWAY'],
          keepDisabledPlans: true,
        },
        { from: O365_E5.skuId, to: 'ENTERPRISEPACK', users: { all: true }, disabledPlans: [], keepDisabledPlans: true },
      ]),
      ALL_SKUS,
    );
    expect(result).toEqual({
      ok: true,
      moves: [
        {
          move: 0,
          fromSkuId: BUSINESS_STANDARD.skuId,
          fromSkuPartNumber: 'O365_BUSINESS_PREMIUM',
          toSkuId: BUSINESS_PREMIUM.skuId,
          toSkuPartNumber: 'SPB',
          disabledPlanIds: [planId(BUSINESS_PREMIUM, 'SWAY')],
        },
        {
          move: 1,
          fromSkuId: O365_E5.skuId,
          fromSkuPartNumber: 'ENTERPRISEPREMIUM',
          toSkuId: O365_E3.skuId,
          toSkuPartNumber: 'ENTERPRISEPACK',
          disabledPlanIds: [],
        },
      ],
    });
    if (result.ok && result.moves[0]) {
      expect(moveLabel(result.moves[0])).toBe('Microsoft 365 Business Standard → Microsoft 365 Business Premium');
    }
  });

  it('names the request field of every SKU or plan it cannot resolve', () => {
    const result = resolveMoves(
      request([
        { from: 'NOPE', to: 'SPB', users: { all: true }, disabledPlans: [], keepDisabledPlans: true },
        { to: 'SPB', users: { all: true }, disabledPlans: ['NOT_A_PLAN'], keepDisabledPlans: true },
        { from: 'spb', to: BUSINESS_PREMIUM.skuId, users: { all: true }, disabledPlans: [], keepDisabledPlans: true },
      ]),
      ALL_SKUS,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.field)).toEqual([
      'moves[0].from',
      'moves[1].disabledPlans[0]',
      'moves[2].to',
    ]);
    expect(result.problems[0]?.message).toMatch(/no SKU "NOPE"; it has: O365_BUSINESS_PREMIUM/);
  });

  it('labels a replace move without a source', () => {
    expect(moveLabel({ move: 0, toSkuId: 'x', toSkuPartNumber: 'SPE_E3', disabledPlanIds: [] })).toBe(
      'replace with Microsoft 365 E3',
    );
  });
});
