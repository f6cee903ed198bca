/** Paging through the holders of a SKU (the console's per-SKU user list) against the Graph simulator. */
import { SKU_CATALOG, startGraphSimulator, type GraphSimulator } from '../../emulators/graph';
import { createLicensingGraph, GraphRequestError, type LicensingGraph } from '../../src/graph';

const STANDARD = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;

describe('listUsersHoldingSkuPage', () => {
  let sim: GraphSimulator;
  let graph: LicensingGraph;

  beforeAll(async () => {
    sim = await startGraphSimulator({ scenario: 'demo', port: 0, latency: 'none', seed: 7, profile: 'deterministic' });
    graph = createLicensingGraph({
      baseUrl: sim.baseUrl,
      auth: 'none',
      writeBudgetPer150s: 2850,
      resourceUnitBudgetPer10s: 3300,
      maxConcurrency: 8,
    });
  });
  afterAll(() => sim.stop());

  it('pages through every holder exactly once, following Graph’s own next links', async () => {
    const all = await graph.listUsersHoldingSku(STANDARD);
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await graph.listUsersHoldingSkuPage(STANDARD, { top: 10, ...(next ? { next } : {}) });
      expect(page.users.length).toBeLessThanOrEqual(10);
      seen.push(...page.users.map((user) => user.id));
      next = page.next;
      pages += 1;
    } while (next);
    expect(pages).toBe(Math.ceil(all.length / 10));
    expect(seen.sort()).toEqual(all.map((user) => user.id).sort());
  });

  it('refuses a continuation that is not a page of users', async () => {
    await expect(graph.listUsersHoldingSkuPage(STANDARD, { top: 10, next: '/groups?$top=5' })).rejects.toBeInstanceOf(
      GraphRequestError,
    );
  });
});
