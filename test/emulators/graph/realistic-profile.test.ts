import { PROFILES, SKU_CATALOG, demoScenario, startGraphSimulator } from '../../../emulators/graph';
import { assignBody, call, control, startTestSimulator, type Simulator } from './helpers';

const E1 = SKU_CATALOG.STANDARDPACK.skuId;
const E3 = SKU_CATALOG.ENTERPRISEPACK.skuId;

describe('profiles', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  it('is realistic by default, and a scenario may name its profile', async () => {
    sim = await startGraphSimulator({ latency: 'none' });
    expect(sim.profile).toBe('realistic');
    expect(sim.settings).toMatchObject(PROFILES.realistic.settings);
    expect(sim.noise).toEqual(PROFILES.realistic.noise);
    await sim.stop();
    sim = await startGraphSimulator({ latency: 'none', scenario: { ...demoScenario(), profile: 'deterministic' } });
    expect(sim.profile).toBe('deterministic');
  });

  it('lets single options override a profile', async () => {
    sim = await startGraphSimulator({
      latency: 'none',
      noise: { throttleRate: 0.5 },
      settings: { readLagMaxMs: 0 },
      planRules: false,
    });
    expect(sim.profile).toBe('realistic');
    expect(sim.noise.throttleRate).toBe(0.5);
    expect(sim.noise.unavailableRate).toBe(PROFILES.realistic.noise.unavailableRate);
    expect(sim.settings.readLagMaxMs).toBe(0);
    expect(sim.settings.listLagMaxMs).toBe(10_000);
    expect(sim.planRules).toEqual([]);
  });

  it('switches at run time through the control API', async () => {
    sim = await startTestSimulator({ profile: 'deterministic' });
    const e1Holder = [...sim.tenant.findSku(E1)!.holders][0]!;
    expect((await control(sim, 'PUT', '/profile', { profile: 'realistic' })).body).toEqual({ profile: 'realistic' });
    expect((await control(sim, 'GET', '/state?users=false')).body).toMatchObject({ profile: 'realistic' });
    // The realistic plan rules now apply.
    await control(sim, 'PATCH', '/noise', { throttleRate: 0, unavailableRate: 0, resetRate: 0 });
    const res = await call(sim, 'POST', `/users/${e1Holder.id}/assignLicense`, assignBody([{ skuId: E3 }]));
    expect(res.status).toBe(400);
    expect((await control(sim, 'PUT', '/profile', { profile: 'nonsense' })).status).toBe(400);
  });

  /**
   * `?$count=true` without `ConsistencyLevel: eventual` is silently ignored on directory objects; the `$count`
   * segment and advanced filters still need the advanced query parameters
   * (https://learn.microsoft.com/graph/aad-advanced-queries#error-handling-for-advanced-queries-on-directory-objects).
   */
  it('ignores $count=true without ConsistencyLevel in the realistic profile, and keeps the real 400s', async () => {
    sim = await startTestSimulator({ profile: 'realistic', noise: false, throttling: false });
    const ignored = await call(sim, 'GET', '/users?$count=true&$top=5');
    expect(ignored.status).toBe(200);
    expect(ignored.body['@odata.count']).toBeUndefined();
    expect(ignored.body.value).toHaveLength(5);
    const counted = await call(sim, 'GET', '/users?$count=true&$top=5', undefined, { ConsistencyLevel: 'eventual' });
    expect(counted.body['@odata.count']).toBe(52);
    const segment = await call(sim, 'GET', '/users/$count');
    expect(segment.status).toBe(400);
    expect(segment.body.error).toMatchObject({
      code: 'Request_BadRequest',
      message: '$count is not currently supported.',
    });
    expect(
      (await call(sim, 'GET', `/users?$filter=${encodeURIComponent('accountEnabled ne true')}&$count=true`)).status,
    ).toBe(400);
  });

  it('leaves the deterministic profile as it was: no lag, no noise, no roles, no plan rules, $count rejected', async () => {
    let clock = 1_000_000;
    sim = await startTestSimulator({ profile: 'deterministic', now: () => clock, grantedRoles: [] });
    const e1Holder = [...sim.tenant.findSku(E1)!.holders][0]!;
    const res = await call(sim, 'POST', `/users/${e1Holder.id}/assignLicense`, assignBody([{ skuId: E3 }]));
    expect(res.status).toBe(200);
    const read = await call(sim, 'GET', `/users/${e1Holder.id}?$select=assignedLicenses`);
    expect(read.body.assignedLicenses).toHaveLength(2);
    const statuses = new Set<number>();
    for (let i = 0; i < 300; i++) {
      statuses.add((await call(sim, 'GET', '/organization')).status);
      clock += 100;
    }
    expect([...statuses]).toEqual([200]);
    expect((await call(sim, 'GET', '/users?$count=true')).status).toBe(400);
  });
});
