/* eslint-disable @typescript-eslint/no-unsafe-call -- Graph JSON bodies are untyped here; the assertions check their shape. */
import { SKU_CATALOG, findWriteBudgetViolations } from '../../../emulators/graph';
import { assignBody, call, startTestSimulator, type Simulator } from './helpers';

const BS = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;
const APP = '9a3d526c-b3c1-4479-ba74-197b5c5751ae';

/** A JWT-shaped token with the given claims (signature not checked by the simulator, as documented). */
function token(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.sig`;
}

describe('throttling', () => {
  let sim: Simulator;
  let clock = 0;
  const advance = (ms: number) => {
    clock += ms;
  };
  beforeEach(async () => {
    clock = 1_000_000;
    sim = await startTestSimulator({ now: () => clock, throttling: { writesPerAppTenant: 20, writesPerTenant: 40 } });
  });
  afterEach(() => sim.stop());

  const patch = (userId: string, app = APP) =>
    call(
      sim,
      'PATCH',
      `/users/${userId}`,
      { department: 'Sales' },
      { authorization: `Bearer ${token({ appid: app, tid: 'x' })}` },
    );

  it('throttles a burst over the per-app write budget with 429, Retry-After and the documented headers', async () => {
    const user = [...sim.tenant.users.values()][0]!;
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await patch(user.id)).status);
    expect(statuses.slice(0, 20).every((s) => s === 204)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    const res = await patch(user.id);
    expect(res.status).toBe(429);
    expect(res.body.error).toMatchObject({
      code: 'TooManyRequests',
      message: 'Please retry again later.',
      innerError: {
        code: '429',
        message: 'Please retry after',
        status: '429',
        'request-id': res.headers.get('request-id'),
      },
    });
    expect(res.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/Write/${APP}/${sim.tenant.tenantId}`);
    expect(res.headers.get('x-ms-throttle-information')).toBe('WriteLimitExceeded');
    expect(res.headers.get('x-ms-resource-unit')).toBe('1');
    // 20 writes per 150 s refill one write every 7.5 s; throttled requests still spent tokens (usage keeps being logged).
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(8);
    // Reads still pass while writes are throttled.
    expect(
      (await call(sim, 'GET', `/users/${user.id}`, undefined, { authorization: `Bearer ${token({ appid: APP })}` }))
        .status,
    ).toBe(200);
    advance(retryAfter * 1000);
    expect((await patch(user.id)).status).toBe(204);
  });

  it('lets requests paced at the budget through without a single 429', async () => {
    const user = [...sim.tenant.users.values()][0]!;
    // 20 writes per 150 s = one every 7.5 s; pace 60 writes over 7.5 minutes.
    for (let i = 0; i < 60; i++) {
      const res = await patch(user.id);
      expect(res.status).toBe(204);
      advance(7500);
    }
    expect(sim.log.counters.throttled).toBe(0);
    expect(findWriteBudgetViolations(sim.events(), { perApp: 20, perTenant: 40 })).toEqual([]);
  });

  it('applies the per-tenant write budget across apps', async () => {
    const user = [...sim.tenant.users.values()][0]!;
    for (let i = 0; i < 20; i++) expect((await patch(user.id, 'app-one')).status).toBe(204);
    for (let i = 0; i < 20; i++) expect((await patch(user.id, 'app-two')).status).toBe(204);
    const third = await patch(user.id, 'app-three');
    expect(third.status).toBe(429);
    expect(third.headers.get('x-ms-throttle-scope')).toBe(`Tenant/Write/app-three/${sim.tenant.tenantId}`);
  });

  it('charges resource units by the documented costs and reports the limit percentage above 80 %', async () => {
    await sim.stop();
    sim = await startTestSimulator({
      now: () => clock,
      throttling: { resourceUnitsPerAppTenant: { S: 10, M: 10, L: 10 } },
    });
    const h = { 'x-simulator-app-id': 'reader' };
    // GET /subscribedSkus costs 3: 3 + 3 + 3 = 9 of 10 → 90 % used.
    await call(sim, 'GET', '/subscribedSkus', undefined, h);
    await call(sim, 'GET', '/subscribedSkus', undefined, h);
    const third = await call(sim, 'GET', '/subscribedSkus', undefined, h);
    expect(third.status).toBe(200);
    expect(third.headers.get('x-ms-throttle-limit-percentage')).toBe('0.9');
    const fourth = await call(sim, 'GET', '/subscribedSkus', undefined, h);
    expect(fourth.status).toBe(429);
    expect(fourth.headers.get('x-ms-throttle-scope')).toBe(
      `Tenant_Application/ReadWrite/reader/${sim.tenant.tenantId}`,
    );
    expect(fourth.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
    // Another app has its own bucket.
    expect((await call(sim, 'GET', '/subscribedSkus', undefined, { 'x-simulator-app-id': 'other' })).status).toBe(200);
  });

  it('sizes the RU budget by tenant size and scales limits and Retry-After with the time scale', async () => {
    await sim.stop();
    sim = await startTestSimulator({ now: () => clock, timeScale: 10, throttling: { writesPerAppTenant: 2 } });
    expect(sim.tenant.size).toBe('M');
    const user = [...sim.tenant.users.values()][0]!;
    // Limit 2 × k = 20 writes per 150 s.
    for (let i = 0; i < 20; i++) expect((await patch(user.id)).status).toBe(204);
    const res = await patch(user.id);
    expect(res.status).toBe(429);
    // Unscaled this would be 75 s + (charged) 75 s = 150 s → Retry-After 15 (fractional allowed).
    expect(Number(res.headers.get('retry-after'))).toBeCloseTo(15, 0);
  });

  it('counts each $batch item against the budget and gives throttled items their own Retry-After', async () => {
    const users = [...sim.tenant.findSku(BS)!.holders].slice(0, 20);
    const res = await call(
      sim,
      'POST',
      '/$batch',
      {
        requests: users.map((u, i) => ({
          id: String(i),
          method: 'PATCH',
          url: `/users/${u.id}`,
          headers: { 'Content-Type': 'application/json' },
          body: { department: 'x' },
        })),
      },
      { 'x-simulator-app-id': APP },
    );
    sim.settings.shuffleBatchResponses = false;
    expect(res.status).toBe(200);
    const statuses = res.body.responses.map((r: { status: number }) => r.status);
    expect(statuses.filter((s: number) => s === 204)).toHaveLength(20);
    const second = await call(
      sim,
      'POST',
      '/$batch',
      {
        requests: [
          {
            id: 'a',
            method: 'POST',
            url: `/users/${users[0]!.id}/assignLicense`,
            headers: { 'Content-Type': 'application/json' },
            body: assignBody([], []),
          },
        ],
      },
      { 'x-simulator-app-id': APP },
    );
    expect(second.status).toBe(200);
    expect(second.body.responses[0].status).toBe(429);
    expect(Number(second.body.responses[0].headers['Retry-After'])).toBeGreaterThan(0);
    sim.settings.batchThrottledEnvelopeStatus = 424;
    const third = await call(
      sim,
      'POST',
      '/$batch',
      {
        requests: [
          {
            id: 'a',
            method: 'PATCH',
            url: `/users/${users[0]!.id}`,
            headers: { 'Content-Type': 'application/json' },
            body: {},
          },
        ],
      },
      { 'x-simulator-app-id': APP },
    );
    expect(third.status).toBe(424);
  });

  it('can be switched off', async () => {
    await sim.stop();
    sim = await startTestSimulator({ now: () => clock, throttling: false });
    const user = [...sim.tenant.users.values()][0]!;
    for (let i = 0; i < 50; i++)
      expect((await call(sim, 'PATCH', `/users/${user.id}`, { department: 'x' })).status).toBe(204);
  });
});
