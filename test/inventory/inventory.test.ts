/**
 * GET /api/skus and GET /api/skus/{sku}/users on the demo tenant (local runtime, Graph simulator, Azurite): what an
 * admin sees before and while a run waits for seats.
 */
import type { InventorySku } from '../../src/inventory/inventory';
import { SKU } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';

const skuReads = (stack: Stack) =>
  stack.sim.events().filter((event) => event.kind === 'request' && event.path.includes('subscribedSkus')).length;

describe('license inventory', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ simulator: { settings: { recordRequests: true } } });
  });
  afterAll(() => stack?.stop());

  const sku = async (partNumber: string): Promise<InventorySku> => {
    const response = await stack.api<{ skus: InventorySku[] }>('GET', '/api/skus');
    expect(response.status).toBe(200);
    return response.json.skus.find((candidate) => candidate.skuPartNumber === partNumber)!;
  };
  const premium = () => sku('SPB');

  it("lists each SKU with Microsoft's product name, its seats and its plans, data-holding ones marked", async () => {
    const spb = await premium();
    expect(spb).toMatchObject({
      skuId: SKU.businessPremium,
      productName: 'Microsoft 365 Business Premium',
      capabilityStatus: 'Enabled',
      seats: { enabled: 5, consumed: 0, free: 5 },
      demand: { seats: 0, migrations: [] },
    });
    // The tenant ledger holds no reservation while no run is past its purchase check.
    expect(spb.seats).toMatchObject({ reserved: 0, available: 5 });
    expect(spb).not.toHaveProperty('short');
    const exchange = spb.servicePlans.find((plan) => plan.servicePlanName === 'EXCHANGE_S_STANDARD');
    expect(exchange).toMatchObject({ friendlyName: 'Exchange Online (Plan 1)', holdsData: true });
    expect(spb.servicePlans.some((plan) => !plan.holdsData)).toBe(true);
    expect(await sku('SPE_E5')).toMatchObject({ capabilityStatus: 'Warning', seats: { enabled: 0, warning: 5 } });
  });

  it('answers from its cache for 30 s, and ?refresh=true reads Graph again', async () => {
    // The runtime's virtual clock jumps ahead when nothing runs; here it moves only when told to.
    stack.host.clock.setAutoAdvance(false);
    await stack.api('GET', '/api/skus');
    const before = skuReads(stack);
    await stack.api('GET', '/api/skus');
    expect(skuReads(stack)).toBe(before);
    await stack.api('GET', '/api/skus?refresh=true');
    expect(skuReads(stack)).toBe(before + 1);
    await stack.host.clock.advanceBy(31_000);
    await stack.api('GET', '/api/skus');
    expect(skuReads(stack)).toBe(before + 2);
    stack.host.clock.setAutoAdvance(true);
  });

  it("pages through a SKU's holders, telling direct from group-assigned licenses", async () => {
    const holders = [...stack.sim.tenant.users.values()].filter((user) =>
      user.assignedLicenses.some((license) => license.skuId === SKU.businessStandard),
    );
    const seen: { userPrincipalName: string; assignment: string }[] = [];
    let token: string | undefined;
    do {
      const query = token ? `?top=10&continuationToken=${token}` : '?top=10';
      const page = await stack.api('GET', `/api/skus/O365_BUSINESS_PREMIUM/users${query}`);
      expect(page.status).toBe(200);
      expect(page.json.sku.productName).toBe('Microsoft 365 Business Standard');
      expect(page.json.users.length).toBeLessThanOrEqual(10);
      seen.push(...page.json.users);
      token = page.json.continuationToken;
    } while (token);
    expect(seen.map((user) => user.userPrincipalName).sort()).toEqual(
      holders.map((user) => user.userPrincipalName).sort(),
    );
    const assignments = new Set(seen.map((user) => user.assignment));
    expect([...assignments].sort()).toEqual(['direct', 'directAndGroup', 'group']);
  });

  it('names the field of a bad query, and says when a SKU is not in the tenant', async () => {
    const badTop = await stack.api('GET', `/api/skus/${SKU.businessStandard}/users?top=5000`);
    expect(badTop.status).toBe(400);
    expect(badTop.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(badTop.json.errors).toEqual([{ field: 'top', message: expect.stringMatching(/at most 999/) }]);
    const badToken = await stack.api('GET', `/api/skus/${SKU.businessStandard}/users?continuationToken=abc`);
    expect(badToken.status).toBe(400);
    expect(badToken.json.errors[0].field).toBe('continuationToken');
    const missing = await stack.api('GET', '/api/skus/NOT_IN_TENANT/users');
    expect(missing.status).toBe(404);
  });

  it('shows what a run waiting for licenses still needs, and that Business Premium is short of seats', async () => {
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      usageLocation: 'US',
    });
    await stack.waitForMigration(start.json.id, (view) => view.status === 'waitingForLicenses');
    const spb = await premium();
    expect(spb.demand).toEqual({
      seats: 28,
      migrations: [{ id: start.json.id, status: 'waitingForLicenses', seats: 28 }],
    });
    expect(spb.short).toBe(23);
    await stack.api('POST', `/api/migrations/${start.json.id}/cancel`);
  });
});
