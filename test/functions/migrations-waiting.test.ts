import { demoScenario } from '../../emulators/graph';
import type { MigrationView } from '../../src/migrations/view';
import { licenseChangeCount, SKU, snapshotUsers } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';

/** Business Standard → Business Premium for everyone; the demo tenant has 5 Premium seats and 25 movable users. */
const ALL_TO_PREMIUM = {
  moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
  waitForLicenses: { pollInterval: 'PT1M', timeout: 'PT72H' },
};

describe('purchase check and wait-and-retry (virtual clock)', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  async function startWaiting(body: unknown = ALL_TO_PREMIUM): Promise<{ id: string; waiting: MigrationView }> {
    stack.host.clock.setAutoAdvance(false);
    const start = await stack.api('POST', '/api/migrations', body);
    expect(start.status).toBe(202);
    const waiting = await stack.waitForMigration(
      start.json.id,
      (view) => view.status === 'waitingForLicenses' && view.waitingFor !== undefined,
    );
    return { id: start.json.id, waiting };
  }

  it('waits while seats are short, says how many to buy, and proceeds by itself once they land', async () => {
    stack = await startStack();
    const { id, waiting } = await startWaiting();
    expect(waiting.waitingFor!.reason).toMatch(/need 25, 5 free: buy 20 more .*Business Premium licenses/);
    expect(waiting.waitingFor!.nextCheckAt).toBeDefined();
    expect(licenseChangeCount(stack.sim)).toBe(0);

    // Still short at the next poll: it keeps waiting, with back-off.
    await stack.host.clock.advanceBy(60_000);
    const second = await stack.waitForMigration(
      id,
      (view) => view.waitingFor?.nextCheckAt !== waiting.waitingFor!.nextCheckAt,
    );
    expect(Date.parse(second.waitingFor!.nextCheckAt!) - Date.parse(waiting.waitingFor!.nextCheckAt!)).toBeGreaterThan(
      60_000,
    );

    // The purchase lands (control API); the next timed check picks it up without a new request.
    const response = await fetch(`${stack.sim.controlUrl}/skus/SPB`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prepaidUnits: { enabled: 40 } }),
    });
    expect(response.ok).toBe(true);
    await stack.host.clock.advanceBy(60 * 60_000);
    stack.host.clock.setAutoAdvance(true);
    const done = await stack.waitForFinish(id);
    expect(done.status).toBe('completed');
    expect(done.counts.moved).toBe(25);
  });

  it('re-checks at once on POST /recheck', async () => {
    stack = await startStack();
    const { id } = await startWaiting();
    stack.sim.setSkuSeats('SPB', 40);
    const recheck = await stack.api('POST', `/api/migrations/${id}/recheck`);
    expect(recheck.status).toBe(202);
    // No virtual time passes: only the recheck can wake the orchestrator.
    const done = await stack.waitForFinish(id);
    expect(done.status).toBe('completed');
    expect(done.counts.moved).toBe(25);
  });

  it('says a suspended subscription cannot be used, and refuses recheck when nothing waits', async () => {
    stack = await startStack();
    stack.sim.setSkuSeats('SPB', 40);
    stack.sim.setSkuStatus('SPB', 'Suspended');
    const { id, waiting } = await startWaiting();
    expect(waiting.waitingFor!.reason).toMatch(/Suspended/);
    stack.sim.setSkuStatus('SPB', 'Enabled');
    await stack.api('POST', `/api/migrations/${id}/recheck`);
    const done = await stack.waitForFinish(id);
    expect(done.status).toBe('completed');
    const again = await stack.api('POST', `/api/migrations/${id}/recheck`);
    expect(again.status).toBe(409);
    expect(again.json.detail).toMatch(/completed/);
  });

  it('waits for a target that has not been bought yet, then plans and moves once it is there', async () => {
    const withoutPremium = demoScenario();
    withoutPremium.skus = withoutPremium.skus.filter((sku) => sku.skuPartNumber !== 'SPB');
    stack = await startStack({ simulator: { scenario: withoutPremium } });
    const { id, waiting } = await startWaiting({
      ...ALL_TO_PREMIUM,
      moves: [{ ...ALL_TO_PREMIUM.moves[0], to: SKU.businessPremium }],
    });
    expect(waiting.waitingFor!.reason).toMatch(/not in this tenant: buy it for this organisation/);
    const full = demoScenario();
    full.skus = full.skus.map((sku) => (sku.skuPartNumber === 'SPB' ? { ...sku, prepaidUnits: 30 } : sku));
    stack.sim.loadScenario(full);
    await stack.api('POST', `/api/migrations/${id}/recheck`);
    const done = await stack.waitForFinish(id);
    expect(done.status).toBe('completed');
    expect(done.counts.moved).toBe(25);
  });

  it('gives up at the deadline as needsAttention with the diagnosis, having touched nobody', async () => {
    stack = await startStack();
    const before = snapshotUsers(stack.sim);
    const start = await stack.api('POST', '/api/migrations', {
      ...ALL_TO_PREMIUM,
      waitForLicenses: { pollInterval: 'PT1M', timeout: 'PT72H' },
    });
    // Auto-advancing virtual time: 72 hours of polling in well under a second of test time.
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('needsAttention');
    expect(done.message).toMatch(/Gave up waiting for licenses after 3 d.*need 25, 5 free: buy 20 more/);
    expect(done.message).toMatch(/admin\.microsoft\.com/);
    expect(licenseChangeCount(stack.sim)).toBe(0);
    expect(snapshotUsers(stack.sim)).toEqual(before);
  });
});
