/**
 * checkLicenses (src/activities/licenses.ts): are the subscriptions listed, active and with enough free seats? What
 * blocks the move comes back in plain words; Migration.WaitingForLicenses is sent once per new reason.
 */
import type { LicenseCheckInput } from '../../src/domain/workflow';
import type { CompanySubscription } from '../../src/graph';
import { TelemetryEvents } from '../../src/telemetry';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD } from '../domain/fixtures';
import { standardToPremium, standardUsers, world, type World } from './support/world';

const ADMIN_CENTER = 'https://admin.microsoft.com/#/subscriptions';

/** A tenant with 25 users on Business Standard, planned for Business Premium. */
async function planned(): Promise<{ w: World; input: LicenseCheckInput }> {
  const w = world({ users: standardUsers(25) });
  const plan = await w.plan({ moves: [standardToPremium({ all: true })] });
  return {
    w,
    input: {
      migrationId: w.migrationId,
      seatsNeeded: plan.summary.seatsNeeded,
      sourceSkuIds: [BUSINESS_STANDARD.skuId],
    },
  };
}

function premiumPurchase(overrides: Partial<CompanySubscription> = {}): CompanySubscription {
  return {
    id: 'a3e9b5f2-7c41-4d8e-9f0a-2b6c8d4e1f37',
    commerceSubscriptionId: null,
    skuId: BUSINESS_PREMIUM.skuId,
    skuPartNumber: 'SPB',
    status: 'Enabled',
    totalLicenses: 100,
    isTrial: false,
    createdDateTime: '2030-12-01T00:00:00Z',
    nextLifecycleDateTime: '2031-12-01T00:00:00Z',
    ...overrides,
  };
}

describe('checkLicenses', () => {
  it('is ready when the target has the seats, and says so without any waiting telemetry', async () => {
    const { w, input } = await planned();
    expect(await w.activities.checkLicenses(input, w.log)).toEqual({
      ready: true,
      reasons: [],
      notes: [],
      targets: [
        {
          skuId: BUSINESS_PREMIUM.skuId,
          name: 'Microsoft 365 Business Premium',
          status: 'Enabled',
          needed: 25,
          free: 100,
        },
      ],
    });
    expect(w.telemetry.named(TelemetryEvents.WaitingForLicenses)).toEqual([]);
  });

  it('says how many licenses to buy when seats are short, and sends Migration.WaitingForLicenses', async () => {
    const { w, input } = await planned();
    Object.assign(w.graph.sku(BUSINESS_PREMIUM.skuId)!, {
      consumedUnits: 25,
      prepaidUnits: { enabled: 30, warning: 0, suspended: 0, lockedOut: 0 },
    });
    const result = await w.activities.checkLicenses(input, w.log);
    const reason = `need 25, 5 free: buy 20 more Microsoft 365 Business Premium licenses (${ADMIN_CENTER})`;
    expect(result).toMatchObject({ ready: false, reasons: [reason] });
    expect(w.telemetry.named(TelemetryEvents.WaitingForLicenses)).toEqual([
      { migrationId: w.migrationId, tenantId: w.tenantId, reason, needed: 25, free: 5, skuId: BUSINESS_PREMIUM.skuId },
    ]);
  });

  it('sends the waiting telemetry only when the reason changed since the previous check', async () => {
    const { w, input } = await planned();
    const premium = w.graph.sku(BUSINESS_PREMIUM.skuId)!;
    premium.consumedUnits = 90;
    const first = await w.activities.checkLicenses(input, w.log);
    const previousReason = first.reasons.join('; ');
    await w.activities.checkLicenses({ ...input, previousReason }, w.log);
    premium.capabilityStatus = 'Suspended';
    const changed = await w.activities.checkLicenses({ ...input, previousReason }, w.log);
    expect(w.telemetry.named(TelemetryEvents.WaitingForLicenses).map((event) => event.reason)).toEqual([
      previousReason,
      changed.reasons.join('; '),
    ]);
  });

  it('names a suspended target and a source no longer listed, by the names in the plan', async () => {
    const { w, input } = await planned();
    w.graph.sku(BUSINESS_PREMIUM.skuId)!.capabilityStatus = 'Suspended';
    w.graph.skus = w.graph.skus.filter((sku) => sku.skuId !== BUSINESS_STANDARD.skuId);
    const result = await w.activities.checkLicenses(input, w.log);
    expect(result.ready).toBe(false);
    expect(result.reasons).toEqual([
      `the Microsoft 365 Business Premium subscription is Suspended: reactivate it (or fix its billing) in the Microsoft 365 admin center (${ADMIN_CENTER})`,
      'Microsoft 365 Business Standard, the license being replaced, is no longer listed in this tenant',
    ]);
  });

  it('says a target that disappeared from the tenant must be bought, by its name', async () => {
    const { w, input } = await planned();
    w.graph.skus = w.graph.skus.filter((sku) => sku.skuId !== BUSINESS_PREMIUM.skuId);
    const result = await w.activities.checkLicenses(input, w.log);
    expect(result.reasons).toEqual([
      `Microsoft 365 Business Premium is not in this tenant: buy it for this organisation (${ADMIN_CENTER})`,
    ]);
  });

  it('notes a trial target that changes state soon, without blocking', async () => {
    const { w, input } = await planned();
    w.graph.subscriptions = [
      premiumPurchase({ isTrial: true, nextLifecycleDateTime: '2031-01-31T00:00:00Z' }),
      premiumPurchase({ id: 'paid', isTrial: false }),
    ];
    const result = await w.activities.checkLicenses(input, w.log);
    expect(result.ready).toBe(true);
    expect(result.notes).toEqual([
      'Microsoft 365 Business Premium is a trial subscription that changes state on 2031-01-31T00:00:00Z',
    ]);
  });

  it('notes a target in its grace period, without blocking', async () => {
    const { w, input } = await planned();
    w.graph.sku(BUSINESS_PREMIUM.skuId)!.capabilityStatus = 'Warning';
    const result = await w.activities.checkLicenses(input, w.log);
    expect(result).toMatchObject({
      ready: true,
      notes: [
        'the Microsoft 365 Business Premium subscription is in its grace period (Warning): renew it so the licenses are not suspended',
      ],
    });
    expect(w.telemetry.events.filter((event) => event.name === TelemetryEvents.WaitingForLicenses)).toEqual([]);
  });
});
