import {
  generateScenario,
  SIMULATOR_TENANT_HEADER,
  startMultiTenantGraphSimulator,
  type MultiTenantGraphSimulator,
} from '../../../emulators/graph';
import { SIMULATOR_TENANT_HEADER as APP_HEADER } from '../../../src/graph';
import { call } from './helpers';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';
const APP = '11111111-2222-4333-8444-555555555555';

const scenario = (users: number, seed: number) =>
  generateScenario({ users, seed, mix: { skus: { O365_BUSINESS_PREMIUM: 1 }, target: { sku: 'SPB', seats: users } } });

/** A JWT as the simulator reads it (claims only, never the signature). */
const token = (claims: Record<string, unknown>) =>
  `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

describe('the simulator hosts several tenants', () => {
  let sim: MultiTenantGraphSimulator;

  beforeAll(async () => {
    const options = { latency: 'none' as const, profile: 'deterministic' as const };
    sim = await startMultiTenantGraphSimulator({
      tenants: [
        { tenantId: A, options: { ...options, scenario: scenario(5, 1) } },
        { tenantId: B, options: { ...options, scenario: scenario(7, 2) } },
        { tenantId: C, consented: false, options: { ...options, scenario: scenario(3, 3) } },
      ],
    });
  });
  afterAll(() => sim?.stop());

  const users = async (headers: Record<string, string>) => {
    const response = await call(sim, 'GET', '/users?$select=id&$top=999', undefined, headers);
    return { status: response.status, count: (response.body?.value as unknown[] | undefined)?.length };
  };

  it('the app and the simulator name the same routing header', () => {
    expect(APP_HEADER).toBe(SIMULATOR_TENANT_HEADER);
  });

  it('routes by the header, by the token tid claim, and to the first tenant when a request names none', async () => {
    expect(await users({ [SIMULATOR_TENANT_HEADER]: B })).toEqual({ status: 200, count: 7 });
    expect(await users({ authorization: token({ tid: B, appid: APP }) })).toEqual({ status: 200, count: 7 });
    expect(await users({})).toEqual({ status: 200, count: 5 });
    const org = await call(sim, 'GET', '/organization', undefined, { [SIMULATOR_TENANT_HEADER]: B });
    expect(org.body.value[0].id).toBe(B);
  });

  it('keeps each tenant its own state: a fault in one tenant leaves the other answering', async () => {
    sim.tenant(A).setFaults([{ kind: 'error', path: '/users', status: 429, retryAfterSeconds: 1, times: 1 }]);
    expect((await users({ [SIMULATOR_TENANT_HEADER]: B })).status).toBe(200);
    expect((await users({ [SIMULATOR_TENANT_HEADER]: A })).status).toBe(429);
    sim.tenant(A).setFaults([]);
  });

  it('refuses a tenant without consent with Graph 401 carrying AADSTS65001, and its token endpoint with invalid_grant', async () => {
    const refused = await call(sim, 'GET', '/subscribedSkus', undefined, {
      [SIMULATOR_TENANT_HEADER]: C,
      'x-simulator-app-id': APP,
    });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('InvalidAuthenticationToken');
    expect(refused.body.error.message).toMatch(new RegExp(`^AADSTS65001: .*'${APP}'`));
    expect(refused.body.error.innerError['request-id']).toEqual(expect.any(String));

    const form = new URLSearchParams({
      client_id: APP,
      grant_type: 'client_credentials',
      scope: 'https://graph.microsoft.com/.default',
    });
    const tokenAnswer = await fetch(`${sim.origin}/${C}/oauth2/v2.0/token`, { method: 'POST', body: form });
    expect(tokenAnswer.status).toBe(400);
    expect(await tokenAnswer.json()).toMatchObject({
      error: 'invalid_grant',
      error_codes: [65001],
      suberror: 'consent_required',
      error_description: expect.stringMatching(/^AADSTS65001: /),
    });

    sim.setConsent(C, true);
    expect(await users({ [SIMULATOR_TENANT_HEADER]: C })).toEqual({ status: 200, count: 3 });
    const granted = await fetch(`${sim.origin}/${C}/oauth2/v2.0/token`, { method: 'POST', body: form });
    expect(granted.status).toBe(200);
    const { access_token: accessToken } = (await granted.json()) as { access_token: string };
    expect(await users({ authorization: `Bearer ${accessToken}` })).toEqual({ status: 200, count: 3 });
    sim.setConsent(C, false);
  });

  it("exposes each tenant's control API and consent over HTTP at /_simulator/tenants/{tenantId}", async () => {
    const control = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${sim.origin}/_simulator/tenants${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };

    expect((await control('GET', '')).body).toEqual([
      expect.objectContaining({ tenantId: A, consented: true, default: true }),
      expect.objectContaining({ tenantId: B, consented: true, default: false }),
      expect.objectContaining({ tenantId: C, consented: false, default: false }),
    ]);

    // A 429 storm in B alone, set and cleared from outside the process.
    const storm = [{ kind: 'error', status: 429, retryAfterSeconds: 1 }];
    expect((await control('PUT', `/${B}/faults`, storm)).status).toBe(200);
    expect((await control('GET', `/${B}/faults`)).body).toEqual([expect.objectContaining({ status: 429 })]);
    expect((await users({ [SIMULATOR_TENANT_HEADER]: B })).status).toBe(429);
    expect((await users({ [SIMULATOR_TENANT_HEADER]: A })).status).toBe(200);
    expect((await control('PUT', `/${B}/faults`, [])).status).toBe(200);
    expect((await users({ [SIMULATOR_TENANT_HEADER]: B })).status).toBe(200);

    // The tenant's own state, its query string passed on.
    const state = await control('GET', `/${B.toUpperCase()}/state?users=false`);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ tenantId: B, counters: expect.any(Object) });
    expect(state.body).not.toHaveProperty('users');

    expect((await control('PUT', `/${C}/consent`, { consented: true })).body).toEqual({ consented: true });
    expect(sim.isConsented(C)).toBe(true);
    expect(await users({ [SIMULATOR_TENANT_HEADER]: C })).toEqual({ status: 200, count: 3 });
    expect((await control('PUT', `/${C}/consent`, { consented: false })).body).toEqual({ consented: false });
    expect((await users({ [SIMULATOR_TENANT_HEADER]: C })).status).toBe(401);
    expect((await control('PUT', `/${C}/consent`, { consented: 'yes' })).status).toBe(400);

    expect((await control('GET', '/dddddddd-0000-4000-8000-000000000004/faults')).status).toBe(404);
  });

  it('answers an unknown tenant as Entra does (AADSTS90002)', async () => {
    const unknown = await users({ [SIMULATOR_TENANT_HEADER]: 'dddddddd-0000-4000-8000-000000000004' });
    expect(unknown.status).toBe(401);
  });
});
