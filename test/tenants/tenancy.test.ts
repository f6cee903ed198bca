import { ClientAssertionCredential } from '@azure/identity';
import {
  adminConsentUrl,
  parseRunKey,
  runBelongsTo,
  runKey,
  scopedRunKey,
  tenantBodySchema,
  tenantPrefix,
} from '../../src/domain/tenancy';
import {
  customerTenantCredential,
  GraphConfigurationError,
  SIMULATOR_TENANT_HEADER,
  tenantGraphFactory,
} from '../../src/graph';
import { GraphRequestError, type GraphSettings, type LicensingGraph } from '../../src/graph';
import { checkConsent } from '../../src/tenants/consent';

const HOME = 'a0a0a0a0-1111-4111-8111-000000000001';
const BETA = 'b0b0b0b0-2222-4222-8222-000000000002';
const GAMMA = 'c0c0c0c0-3333-4333-8333-000000000003';
const APP = '9a9a9a9a-6666-4666-8666-000000000006';

describe('run keys scope every run to its tenant', () => {
  it('keeps the home tenant plain and prefixes every other tenant', () => {
    expect(runKey('wave-1', undefined, HOME)).toBe('wave-1');
    expect(runKey('wave-1', HOME.toUpperCase(), HOME)).toBe('wave-1');
    expect(runKey('wave-1', BETA.toUpperCase(), HOME)).toBe(`${BETA}~wave-1`);
    expect(parseRunKey(`${BETA}~wave-1`)).toEqual({ tenantId: BETA, id: 'wave-1' });
    expect(parseRunKey('wave-1')).toEqual({ id: 'wave-1' });
    expect(tenantPrefix(BETA)).toBe(`tenants/${BETA}/`);
    expect(tenantPrefix(undefined)).toBe('');
  });

  it("answers for a key only in its own tenant: another tenant's key, or a forged home key, is nothing", () => {
    expect(scopedRunKey('wave-1', BETA, HOME)).toBe(`${BETA}~wave-1`);
    expect(scopedRunKey(`${BETA}~wave-1`, BETA, HOME)).toBe(`${BETA}~wave-1`);
    expect(scopedRunKey(`${BETA}~wave-1`, GAMMA, HOME)).toBeUndefined();
    expect(scopedRunKey(`${GAMMA}~wave-1`, BETA, HOME)).toBeUndefined();
    expect(scopedRunKey(`${BETA}~wave-1`, undefined, HOME)).toBeUndefined();
    expect(scopedRunKey(`${HOME}~wave-1`, undefined, HOME)).toBeUndefined();
    expect(scopedRunKey('../wave-1', undefined, HOME)).toBeUndefined();
    expect(scopedRunKey('wave-1', undefined, HOME)).toBe('wave-1');
    expect(runBelongsTo('wave-1', undefined, HOME)).toBe(true);
    expect(runBelongsTo('wave-1', BETA, HOME)).toBe(false);
    expect(runBelongsTo(`${BETA}~wave-1`, BETA, HOME)).toBe(true);
    expect(runBelongsTo(`${BETA}~wave-1`, GAMMA, HOME)).toBe(false);
    expect(runBelongsTo(`${BETA}~wave-1`, HOME, HOME)).toBe(false);
  });

  it('builds the admin-consent URL for a tenant and the app', () => {
    expect(adminConsentUrl(BETA, APP)).toBe(`https://login.microsoftonline.com/${BETA}/adminconsent?client_id=${APP}`);
  });

  it('validates a tenant body, naming each bad field', () => {
    const parsed = tenantBodySchema.safeParse({ displayName: '', defaultDomain: 'not a domain', consent: 'granted' });
    expect(parsed.success).toBe(false);
    const fields = parsed.error?.issues.map((issue) => issue.path.join('.') || issue.code);
    expect(fields).toEqual(expect.arrayContaining(['displayName', 'defaultDomain']));
    expect(parsed.error?.issues.some((issue) => issue.code === 'unrecognized_keys')).toBe(true);
  });
});

describe('a Graph layer per tenant', () => {
  const settings = (overrides: Partial<GraphSettings>): GraphSettings => ({
    baseUrl: 'http://127.0.0.1:9/v1.0',
    auth: 'none',
    writeBudgetPer150s: 2850,
    resourceUnitBudgetPer10s: 3300,
    maxConcurrency: 8,
    ...overrides,
  });

  it('names the tenant to a credential-less simulator for every tenant but home, one layer per tenant', async () => {
    const seen: (string | null)[] = [];
    const fakeFetch: typeof fetch = (_input, init) => {
      seen.push(new Headers(init?.headers).get(SIMULATOR_TENANT_HEADER));
      return Promise.resolve(
        new Response(JSON.stringify({ value: [{ id: 'x', verifiedDomains: [{ name: 'contoso.com' }] }] }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
      );
    };
    const graphFor = tenantGraphFactory(settings({}), { homeTenantId: HOME }, { fetch: fakeFetch });
    expect(graphFor(BETA)).toBe(graphFor(BETA.toUpperCase()));
    expect(graphFor(BETA)).not.toBe(graphFor(GAMMA));
    expect(graphFor(undefined)).toBe(graphFor(HOME));
    await graphFor(undefined).listVerifiedDomains();
    await graphFor(BETA).listVerifiedDomains();
    await graphFor(GAMMA, { maxConcurrency: 2 }).listVerifiedDomains();
    expect(seen).toEqual([null, BETA, GAMMA]);
  });

  it('reaches a customer tenant in Azure with a client assertion from the managed identity, never a secret', () => {
    const azure = settings({ baseUrl: 'https://graph.microsoft.com/v1.0', auth: 'managedIdentity' });
    expect(customerTenantCredential(azure, BETA, APP)).toBeInstanceOf(ClientAssertionCredential);
    expect(() => customerTenantCredential(azure, BETA, undefined)).toThrow(GraphConfigurationError);
    expect(() => customerTenantCredential(azure, BETA, undefined)).toThrow(/GRAPH_MULTITENANT_APP_ID/);
  });
});

describe('the consent check', () => {
  const clock = { now: () => Date.UTC(2026, 0, 1) };
  const reading = (failure?: Error) =>
    ({
      listVerifiedDomains: () => (failure ? Promise.reject(failure) : Promise.resolve(['contoso.com'])),
    }) as unknown as LicensingGraph;
  const refused = (status: number, message: string) =>
    new GraphRequestError({
      errorClass: 'permanent',
      status,
      code: 'InvalidAuthenticationToken',
      message,
      reason: 'refused',
      action: 'grant',
    });

  it('records granted when the tenant answers, and not consented for a refused token or a 401/403', async () => {
    expect(await checkConsent(() => reading(), clock)).toEqual({
      status: 'granted',
      checkedAt: '2026-01-01T00:00:00.000Z',
    });
    const denied = await checkConsent(
      () => reading(refused(401, 'AADSTS65001: The user or administrator has not consented')),
      clock,
    );
    expect(denied).toMatchObject({ status: 'notConsented', detail: expect.stringContaining('AADSTS65001') });
    expect(
      await checkConsent(() => reading(new Error('AADSTS700016: Application not found in the directory')), clock),
    ).toMatchObject({
      status: 'notConsented',
    });
  });

  it('records unknown, with the reason, when the tenant cannot be asked at all or answers something else', async () => {
    const unconfigured = await checkConsent(() => {
      throw new GraphConfigurationError('set GRAPH_MULTITENANT_APP_ID');
    }, clock);
    expect(unconfigured).toMatchObject({
      status: 'unknown',
      detail: expect.stringContaining('GRAPH_MULTITENANT_APP_ID'),
    });
    expect(await checkConsent(() => reading(refused(503, 'Service unavailable')), clock)).toMatchObject({
      status: 'unknown',
    });
  });
});
