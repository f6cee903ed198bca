import { assessLicenses } from '../../src/domain/purchase';
import type { TenantSku } from '../../src/domain/types';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD, COMPANY_SKU } from './fixtures';

const PREMIUM = BUSINESS_PREMIUM.skuId;
const STANDARD = BUSINESS_STANDARD.skuId;

const premium = (overrides: Partial<TenantSku> & { enabled?: number; warning?: number } = {}): TenantSku => {
  const { enabled = 50, warning = 0, ...rest } = overrides;
  return {
    ...BUSINESS_PREMIUM,
    prepaidUnits: { enabled, warning, suspended: 0, lockedOut: 0 },
    consumedUnits: 0,
    ...rest,
  };
};

describe('assessLicenses', () => {
  it('is ready when the target is Enabled with enough free seats and the source is listed', () => {
    const result = assessLicenses({
      skus: [premium({ enabled: 40 }), BUSINESS_STANDARD],
      seatsNeeded: { [PREMIUM]: 40 },
      sourceSkuIds: [STANDARD],
    });
    expect(result).toEqual({
      ready: true,
      reasons: [],
      notes: [],
      targets: [{ skuId: PREMIUM, name: 'Microsoft 365 Business Premium', status: 'Enabled', needed: 40, free: 40 }],
    });
  });

  it('says how many licenses to buy when seats are short', () => {
    const result = assessLicenses({
      skus: [premium({ enabled: 50, consumedUnits: 38 })],
      seatsNeeded: { [PREMIUM]: 40 },
      sourceSkuIds: [],
    });
    expect(result.ready).toBe(false);
    expect(result.reasons).toEqual([
      'need 40, 12 free: buy 28 more Microsoft 365 Business Premium licenses (https://admin.microsoft.com/#/subscriptions)',
    ]);
  });

  it('can count units in the grace period as unavailable', () => {
    const skus = [premium({ enabled: 50, warning: 20, capabilityStatus: 'Warning' })];
    expect(assessLicenses({ skus, seatsNeeded: { [PREMIUM]: 40 }, sourceSkuIds: [] }).ready).toBe(true);
    const strict = assessLicenses({
      skus,
      seatsNeeded: { [PREMIUM]: 40 },
      sourceSkuIds: [],
      formula: 'enabledMinusWarningMinusConsumed',
    });
    expect(strict.reasons[0]).toMatch(/^need 40, 30 free: buy 10 more/);
    expect(strict.notes[0]).toMatch(/grace period \(Warning\)/);
  });

  it('names a target the tenant does not have', () => {
    const result = assessLicenses({
      skus: [],
      seatsNeeded: { [PREMIUM]: 3 },
      sourceSkuIds: [],
      partNumbers: { [PREMIUM]: 'SPB' },
    });
    expect(result.reasons).toEqual([
      'Microsoft 365 Business Premium is not in this tenant: buy it for this organisation (https://admin.microsoft.com/#/subscriptions)',
    ]);
    expect(result.targets[0]).toMatchObject({ status: 'missing', free: 0 });
  });

  it.each([
    ['Suspended', /is Suspended: reactivate it/],
    ['LockedOut', /was cancelled \(LockedOut\)/],
    ['Deleted', /was deleted/],
  ])('blocks on a %s target whatever its seats', (status, message) => {
    const result = assessLicenses({
      skus: [premium({ capabilityStatus: status })],
      seatsNeeded: { [PREMIUM]: 1 },
      sourceSkuIds: [],
    });
    expect(result.ready).toBe(false);
    expect(result.reasons[0]).toMatch(message);
  });

  it('refuses a company-level target and a source that is no longer listed', () => {
    const result = assessLicenses({
      skus: [COMPANY_SKU],
      seatsNeeded: { [COMPANY_SKU.skuId]: 0 },
      sourceSkuIds: [STANDARD],
      partNumbers: { [STANDARD]: 'O365_BUSINESS_PREMIUM' },
    });
    expect(result.reasons).toEqual([
      'Microsoft 365 Audio Conferencing Pay-Per-Minute - EA applies to the whole company and cannot be assigned to users',
      'Microsoft 365 Business Standard, the license being replaced, is no longer listed in this tenant',
    ]);
  });

  it('needs no free seat when nobody needs one', () => {
    expect(
      assessLicenses({
        skus: [premium({ enabled: 5, consumedUnits: 5 })],
        seatsNeeded: { [PREMIUM]: 0 },
        sourceSkuIds: [],
      }).ready,
    ).toBe(true);
  });
});

describe('assessLicenses with seats other runs reserved', () => {
  it('counts seats held by other runs as taken, and names the runs holding them', () => {
    const result = assessLicenses({
      skus: [premium({ enabled: 50 })],
      seatsNeeded: { [PREMIUM]: 40 },
      sourceSkuIds: [],
      reservedByOthers: {
        [PREMIUM.toLowerCase()]: [
          { runId: 'wave-1', seats: 30 },
          { runId: 'wave-2', seats: 10 },
        ],
      },
    });
    expect(result.ready).toBe(false);
    expect(result.reasons).toEqual([
      'need 40, 50 free but 40 reserved by runs wave-1 (30) and wave-2 (10): buy 30 more Microsoft 365 Business Premium licenses (https://admin.microsoft.com/#/subscriptions)',
    ]);
    expect(result.targets[0]).toMatchObject({ free: 50, reservedByOthers: 40 });
  });

  it('is ready when the seats left after other runs’ reservations cover the need', () => {
    const result = assessLicenses({
      skus: [premium({ enabled: 60 })],
      seatsNeeded: { [PREMIUM]: 40 },
      sourceSkuIds: [],
      reservedByOthers: { [PREMIUM.toLowerCase()]: [{ runId: 'wave-1', seats: 12 }] },
    });
    expect(result).toMatchObject({ ready: true, reasons: [] });
  });
});
