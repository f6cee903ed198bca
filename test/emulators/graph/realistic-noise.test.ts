import {
  BACKGROUND_THROTTLE_MESSAGES,
  SKU_CATALOG,
  findUnlicensedGaps,
  findWriteBudgetViolations,
  type NoiseConfig,
} from '../../../emulators/graph';
import { assignBody, call, startTestSimulator, type GraphItem, type Simulator } from './helpers';

const E3 = SKU_CATALOG.ENTERPRISEPACK.skuId;
const E5 = SKU_CATALOG.ENTERPRISEPREMIUM.skuId;
const APP = '9a3d526c-b3c1-4479-ba74-197b5c5751ae';

/** Messages with the caller's app id filled in, as the simulator sends them. */
const knownMessages = BACKGROUND_THROTTLE_MESSAGES.map((m) => m.replace('{app}', APP));

/**
 * Realistic profile, background noise only (no lag, no rules): "It is possible to receive 429 Too Many Requests
 * responses even when the following limits are not reached"
 * (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits).
 */
describe('realistic profile: background throttling, 503s and resets', () => {
  let sim: Simulator;
  let clock = 0;
  const start = (noise: Partial<NoiseConfig> | boolean = true, seed = 3) =>
    startTestSimulator({
      profile: 'realistic',
      noise,
      seed,
      now: () => clock,
      planRules: false,
      settings: { readLagMaxMs: 0, listLagMaxMs: 0 },
    });
  beforeEach(() => {
    clock = 1_000_000;
  });
  afterEach(() => sim.stop());

  /** n GETs of /organization in $batches of 20, with the app id; returns every item response. */
  const batchedReads = async (n: number): Promise<GraphItem[]> => {
    const items: GraphItem[] = [];
    for (let done = 0; done < n; done += 20) {
      const requests = Array.from({ length: Math.min(20, n - done) }, (_, i) => ({
        id: String(i),
        method: 'GET',
        url: '/organization?$select=id',
      }));
      const res = await call(sim, 'POST', '/$batch', { requests }, { 'x-simulator-app-id': APP });
      expect(res.status).toBe(200);
      items.push(...(res.body.responses as GraphItem[]));
      clock += 1000;
    }
    return items;
  };

  it('throttles 1–2 % of requests below every limit, with Retry-After 1–30 s and texts Graph sends', async () => {
    sim = await start({ unavailableRate: 0, resetRate: 0 });
    const items = await batchedReads(3000);
    const throttled = items.filter((r) => r.status === 429);
    expect(throttled.length / items.length).toBeGreaterThanOrEqual(0.01);
    expect(throttled.length / items.length).toBeLessThanOrEqual(0.02);
    for (const item of throttled) {
      const retryAfter = Number(item.headers['Retry-After']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(30);
      expect(item.body.error.code).toBe('TooManyRequests');
      expect(knownMessages).toContain(item.body.error.message);
      // Not the app's own limit, so no scope naming it.
      expect(item.headers['x-ms-throttle-scope']).toBeUndefined();
      expect(item.headers['x-ms-throttle-information']).toBe('CPULimitExceeded');
    }
    // Several of the observed texts show up, and the doc sample keeps its documented innerError.
    expect(new Set(throttled.map((r) => r.body.error.message as string)).size).toBeGreaterThan(1);
    const sample = throttled.find((r) => r.body.error.message === 'Please retry again later.');
    expect(sample.body.error.innerError).toMatchObject({ code: '429', message: 'Please retry after', status: '429' });
    // The counters keep background noise apart from the app's own throttling.
    expect(sim.log.counters.throttled).toBe(0);
    expect(sim.log.counters.noise.throttle).toBe(throttled.length);
  });

  it('gives a top-level background 429 the same headers, and an own-limit 429 its x-ms-throttle-scope', async () => {
    sim = await start({ throttleRate: 0.5, unavailableRate: 0, resetRate: 0 });
    let background: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 20 && !background; i++) {
      const res = await call(sim, 'GET', '/organization', undefined, { 'x-simulator-app-id': APP });
      if (res.status === 429) background = res;
    }
    expect(background).toBeDefined();
    expect(Number(background!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(background!.headers.get('x-ms-throttle-scope')).toBeNull();
    expect(background!.body.error.innerError['request-id']).toBe(background!.headers.get('request-id'));

    await sim.stop();
    sim = await startTestSimulator({
      profile: 'realistic',
      noise: false,
      now: () => clock,
      throttling: { writesPerAppTenant: 2 },
      grantedRoles: ['User.ReadWrite.All', 'User.Read.All'],
    });
    const user = [...sim.tenant.users.values()][0]!;
    const patch = () => call(sim, 'PATCH', `/users/${user.id}`, { department: 'x' }, { 'x-simulator-app-id': APP });
    await patch();
    await patch();
    const own = await patch();
    expect(own.status).toBe(429);
    expect(own.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/Write/${APP}/${sim.tenant.tenantId}`);
    expect(own.headers.get('x-ms-throttle-information')).toBe('WriteLimitExceeded');
    expect(sim.log.counters.throttled).toBe(1);
  });

  it('never applies a background-throttled write, and the evidence helpers ignore the refusals', async () => {
    sim = await start({ throttleRate: 0.4, unavailableRate: 0.2, resetRate: 0 }, 8);
    const holders = [...sim.tenant.findSku(E5)!.holders];
    const statuses: number[] = [];
    for (const user of holders) {
      // Retry each swap until it lands, as a client honouring Retry-After would.
      for (;;) {
        const res = await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: E3 }], [E5]));
        statuses.push(res.status);
        if (res.status === 200) break;
        expect([429, 503]).toContain(res.status);
        const held = user.assignedLicenses.map((l) => l.skuId);
        expect(held).toEqual([E5]);
        clock += Number(res.headers.get('retry-after') ?? '1') * 1000;
      }
    }
    expect(statuses.filter((s) => s !== 200).length).toBeGreaterThan(0);
    const licenseEvents = sim.events().filter((e) => e.kind === 'license');
    expect(licenseEvents).toHaveLength(holders.length);
    expect(findUnlicensedGaps(sim.events())).toEqual([]);
    // Budget of exactly the five writes that landed: the refused attempts spent nothing.
    expect(findWriteBudgetViolations(sim.events(), { perApp: holders.length, perTenant: holders.length })).toEqual([]);
  });

  it('answers some requests with 503 serviceNotAvailable, sometimes with Retry-After', async () => {
    sim = await start({ throttleRate: 0, unavailableRate: 0.3, resetRate: 0 });
    const items = await batchedReads(200);
    const unavailable = items.filter((r) => r.status === 503);
    expect(unavailable.length).toBeGreaterThan(30);
    for (const item of unavailable) {
      expect(item.body.error).toMatchObject({ code: 'serviceNotAvailable', message: 'Service unavailable' });
    }
    const withRetry = unavailable.filter((r) => r.headers['Retry-After'] !== undefined);
    expect(withRetry.length).toBeGreaterThan(0);
    expect(withRetry.length).toBeLessThan(unavailable.length);
  });

  it('resets some connections without an answer, and the reset write did not apply', async () => {
    sim = await start({ throttleRate: 0, unavailableRate: 0, resetRate: 0.5 });
    const user = [...sim.tenant.findSku(E5)!.holders][0]!;
    let resets = 0;
    for (let i = 0; i < 10; i++) {
      try {
        const res = await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: E3 }], [E5]));
        expect(res.status).toBe(200);
        break;
      } catch {
        resets++;
        expect(user.assignedLicenses.map((l) => l.skuId)).toEqual([E5]);
      }
    }
    expect(resets).toBeGreaterThan(0);
    expect(sim.log.counters.noise.reset).toBe(resets);
    expect(user.assignedLicenses.map((l) => l.skuId)).toEqual([E3]);
  });

  it('replays the same noise for the same seed and request order', async () => {
    const run = async () => {
      sim = await start(true, 12);
      const statuses = (await batchedReads(400)).map((r) => `${r.id}:${r.status}`);
      await sim.stop();
      return statuses;
    };
    const first = await run();
    clock = 1_000_000;
    expect(await run()).toEqual(first);
    sim = await start(true, 12);
  });
});
