/* eslint-disable @typescript-eslint/no-unsafe-call -- Graph JSON bodies are untyped here; the assertions check their shape. */
import { SKU_CATALOG } from '../../../emulators/graph';
import { latencyFor, REALISTIC_LATENCY } from '../../../emulators/graph/latency';
import { SeededRandom } from '../../../emulators/graph/random';
import { assignBody, call, startTestSimulator, type GraphItem, type Simulator } from './helpers';

const BS = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;
const SPB = SKU_CATALOG.SPB.skuId;

describe('fault injection', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startTestSimulator({ throttling: false, seed: 11 });
  });
  afterEach(() => sim.stop());

  it('answers scripted 500/503/504 errors a given number of times, then recovers', async () => {
    sim.setFaults([
      { kind: 'error', status: 503, path: '/subscribedSkus', times: 2, retryAfterSeconds: 3 },
      { kind: 'error', status: 504, path: '/domains', times: 1 },
      { kind: 'error', status: 500, method: 'GET', path: '/organization', times: 1 },
    ]);
    const first = await call(sim, 'GET', '/subscribedSkus');
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(first.body.error.innerError['request-id']).toBe(first.headers.get('request-id'));
    expect((await call(sim, 'GET', '/subscribedSkus')).status).toBe(503);
    expect((await call(sim, 'GET', '/subscribedSkus')).status).toBe(200);
    expect((await call(sim, 'GET', '/domains')).status).toBe(504);
    expect((await call(sim, 'GET', '/organization')).status).toBe(500);
    expect((await call(sim, 'GET', '/organization')).status).toBe(200);
    expect(sim.log.counters.faults).toBe(4);
  });

  it('targets one user by id or user principal name and leaves the tenant unchanged', async () => {
    const [target, other] = [...sim.tenant.findSku(BS)!.holders].filter(
      (u) => u.usageLocation && u.licenseStates.every((s) => s.assignedByGroup === null),
    );
    sim.setFaults([{ kind: 'error', status: 503, user: target!.userPrincipalName }]);
    expect(
      (await call(sim, 'POST', `/users/${target!.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]))).status,
    ).toBe(503);
    expect(target!.assignedLicenses.map((l) => l.skuId)).toEqual([BS]);
    expect(
      (await call(sim, 'POST', `/users/${other!.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]))).status,
    ).toBe(200);
  });

  it('fires probabilistic faults deterministically for a given seed', async () => {
    const run = async (s: Simulator) => {
      s.setFaults([{ kind: 'error', status: 503, probability: 0.3 }]);
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await call(s, 'GET', '/organization')).status);
      return statuses;
    };
    const a = await run(sim);
    const twin = await startTestSimulator({ throttling: false, seed: 11 });
    const b = await run(twin);
    await twin.stop();
    expect(a).toEqual(b);
    const failures = a.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(2);
    expect(failures).toBeLessThan(20);
  });

  it('drops connections and holds timed-out requests until the connection is cut', async () => {
    sim.setFaults([
      { kind: 'drop', path: '/domains', times: 1 },
      { kind: 'timeout', path: '/organization', times: 1, delayMs: 50 },
    ]);
    await expect(fetch(`${sim.baseUrl}/domains`)).rejects.toThrow();
    expect((await call(sim, 'GET', '/domains')).status).toBe(200);
    await expect(fetch(`${sim.baseUrl}/organization`)).rejects.toThrow();
    await expect(fetch(`${sim.baseUrl}/organization`, { signal: AbortSignal.timeout(5000) })).resolves.toHaveProperty(
      'status',
      200,
    );
  });

  it('slows matching responses by the given delay', async () => {
    sim.setFaults([{ kind: 'slow', path: '/domains', delayMs: 150 }]);
    const started = performance.now();
    expect((await call(sim, 'GET', '/domains')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('latency model', () => {
  it('draws realistic latencies: reads in tens of ms, writes in hundreds, divided by the time scale', () => {
    const median = (kind: 'read' | 'list' | 'write', k: number) => {
      const random = new SeededRandom(5);
      const samples = Array.from({ length: 2001 }, () => latencyFor(REALISTIC_LATENCY, kind, random, k)).sort(
        (x, y) => x - y,
      );
      return samples[1000]!;
    };
    expect(median('read', 1)).toBeGreaterThan(20);
    expect(median('read', 1)).toBeLessThan(100);
    expect(median('write', 1)).toBeGreaterThan(150);
    expect(median('write', 1)).toBeLessThan(600);
    expect(median('write', 10)).toBeCloseTo(median('write', 1) / 10, 5);
  });

  it('delays real responses by the configured model', async () => {
    const sim = await startTestSimulator({
      throttling: false,
      latency: {
        read: { medianMs: 0, p95Ms: 0 },
        list: { medianMs: 0, p95Ms: 0 },
        write: { medianMs: 200, p95Ms: 200 },
      },
    });
    try {
      const user = [...sim.tenant.users.values()][0]!;
      const started = performance.now();
      expect((await call(sim, 'PATCH', `/users/${user.id}`, { department: 'x' })).status).toBe(204);
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    } finally {
      await sim.stop();
    }
  });
});

describe('replication lag', () => {
  let sim: Simulator;
  let clock = 5_000_000;
  beforeEach(async () => {
    sim = await startTestSimulator({ throttling: false, now: () => clock, settings: { replicationLagMs: 10_000 } });
  });
  afterEach(() => sim.stop());

  const listIds = async (skuId: string) => {
    const ids: string[] = [];
    let url: string | undefined =
      `${sim.baseUrl}/users?$filter=assignedLicenses/any(x:x/skuId eq ${skuId})&$select=id,assignedLicenses&$top=999`;
    while (url) {
      const page = (await (await fetch(url)).json()) as GraphItem;
      ids.push(...page.value.map((u: GraphItem) => u.id as string));
      url = page['@odata.nextLink'] as string | undefined;
    }
    return ids;
  };
  const consumed = async (part: string) =>
    ((await call(sim, 'GET', '/subscribedSkus')).body.value as GraphItem[]).find((s) => s.skuPartNumber === part)
      .consumedUnits as number;

  it('lags user lists and consumedUnits behind a write, while the user itself is current', async () => {
    const user = [...sim.tenant.findSku(BS)!.holders].find(
      (u) => u.usageLocation && u.licenseStates.every((s) => s.assignedByGroup === null),
    )!;
    expect(
      (await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]))).status,
    ).toBe(200);
    expect(await listIds(BS)).toContain(user.id);
    expect(await listIds(SPB)).not.toContain(user.id);
    expect(await consumed('SPB')).toBe(0);
    expect(await consumed('O365_BUSINESS_PREMIUM')).toBe(35);
    expect((await call(sim, 'GET', `/users/${user.id}?$select=assignedLicenses`)).body.assignedLicenses).toEqual([
      { skuId: SPB, disabledPlans: [] },
    ]);
    // Seat checks use the real count: five SPB seats, one taken.
    expect(sim.tenant.freeSeats(sim.tenant.findSku('SPB')!)).toBe(4);
    clock += 10_001;
    expect(await listIds(BS)).not.toContain(user.id);
    expect(await listIds(SPB)).toEqual([user.id]);
    expect(await consumed('SPB')).toBe(1);
    expect(await consumed('O365_BUSINESS_PREMIUM')).toBe(34);
  });
});
