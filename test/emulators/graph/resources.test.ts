/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- Graph JSON bodies are untyped here; the assertions check their shape. */
import { DEMO_GROUPS, DEMO_TENANT_ID, SKU_CATALOG } from '../../../emulators/graph';
import { call, startTestSimulator, type Simulator } from './helpers';

const BS = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;

describe('Graph resources', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ throttling: false });
  });
  afterAll(() => sim.stop());

  it('lists subscribedSkus with the documented shape, id format and RU cost', async () => {
    const res = await call(sim, 'GET', '/subscribedSkus', undefined, { 'client-request-id': 'abc-123' });
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#subscribedSkus');
    const bs = res.body.value.find((s: { skuPartNumber: string }) => s.skuPartNumber === 'O365_BUSINESS_PREMIUM');
    expect(bs).toMatchObject({
      id: `${DEMO_TENANT_ID}_${BS}`,
      skuId: BS,
      appliesTo: 'User',
      capabilityStatus: 'Enabled',
      consumedUnits: 35,
      prepaidUnits: { enabled: 39, warning: 0, suspended: 0, lockedOut: 0 },
      accountId: DEMO_TENANT_ID,
    });
    expect(bs.servicePlans).toHaveLength(SKU_CATALOG.O365_BUSINESS_PREMIUM.plans.length);
    expect(bs.servicePlans[0]).toEqual(expect.objectContaining({ provisioningStatus: 'Success', appliesTo: 'User' }));
    expect(bs.subscriptionIds).toHaveLength(1);
    expect(res.headers.get('x-ms-resource-unit')).toBe('3');
    expect(res.headers.get('client-request-id')).toBe('abc-123');
    expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('date')).toBeTruthy();
    const one = await call(sim, 'GET', `/subscribedSkus/${bs.id}`);
    expect(one.body['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#subscribedSkus/$entity');
    expect(one.body.skuPartNumber).toBe('O365_BUSINESS_PREMIUM');
    const selected = await call(sim, 'GET', '/subscribedSkus?$select=skuId,consumedUnits');
    expect(Object.keys(selected.body.value[0]).sort()).toEqual(['consumedUnits', 'skuId']);
    expect(selected.headers.get('x-ms-resource-unit')).toBe('2');
  });

  it('lists subscriptions per SKU, by id and by the commerce alternate key', async () => {
    const res = await call(sim, 'GET', '/directory/subscriptions');
    expect(res.status).toBe(200);
    const sub = res.body.value.find((s: { skuPartNumber: string }) => s.skuPartNumber === 'SPB');
    expect(sub).toMatchObject({ skuId: SKU_CATALOG.SPB.skuId, totalLicenses: 5, status: 'Enabled', isTrial: false });
    expect((await call(sim, 'GET', `/directory/subscriptions/${sub.id}`)).body.id).toBe(sub.id);
    const alt = await call(
      sim,
      'GET',
      `/directory/subscriptions(commerceSubscriptionId='${sub.commerceSubscriptionId}')`,
    );
    expect(alt.body.id).toBe(sub.id);
    const skus = await call(sim, 'GET', '/subscribedSkus');
    const spb = skus.body.value.find((s: { skuPartNumber: string }) => s.skuPartNumber === 'SPB');
    expect(spb.subscriptionIds).toEqual([sub.id]);
  });

  it('serves the organization with verified domains, and the domains', async () => {
    const org = await call(sim, 'GET', '/organization');
    expect(org.body.value).toHaveLength(1);
    expect(org.body.value[0].verifiedDomains.map((d: { name: string }) => d.name).sort()).toEqual([
      'contoso.com',
      'contoso.onmicrosoft.com',
    ]);
    const domains = await call(sim, 'GET', '/domains');
    expect(domains.body.value.find((d: { id: string }) => d.id === 'contoso.com')).toMatchObject({
      isVerified: true,
      isDefault: true,
    });
    expect((await call(sim, 'GET', '/domains/contoso.onmicrosoft.com')).body.isInitial).toBe(true);
    const byId = await call(sim, 'GET', `/organization/${org.body.value[0].id}`);
    expect(byId.body['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#organization/$entity');
    expect(byId.body.displayName).toBe('Contoso Ltd');
    const selected = await call(sim, 'GET', '/organization?$select=id,verifiedDomains');
    expect(Object.keys(selected.body.value[0]).sort()).toEqual(['id', 'verifiedDomains']);
    expect(selected.body['@odata.context']).toBe(
      'https://graph.microsoft.com/v1.0/$metadata#organization(id,verifiedDomains)',
    );
  });

  it('takes the app from the JWT appid or azp claim, else the header, and can require a token', async () => {
    const jwt = (claims: object) => `x.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.y`;
    await call(sim, 'GET', '/organization', undefined, { authorization: `Bearer ${jwt({ appid: 'v1-app' })}` });
    await call(sim, 'GET', '/organization', undefined, { authorization: `Bearer ${jwt({ azp: 'v2-app' })}` });
    await call(sim, 'GET', '/organization', undefined, {
      authorization: 'Bearer opaque',
      'x-simulator-app-id': 'header-app',
    });
    const apps = sim
      .events()
      .filter((e) => e.kind === 'request')
      .slice(-3)
      .map((e) => e.appId);
    expect(apps).toEqual(['v1-app', 'v2-app', 'header-app']);
    sim.settings.requireAuth = true;
    try {
      const denied = await call(sim, 'GET', '/organization');
      expect(denied.status).toBe(401);
      expect(denied.body.error).toMatchObject({
        code: 'InvalidAuthenticationToken',
        message: 'Access token is empty.',
      });
      expect((await call(sim, 'GET', '/organization', undefined, { authorization: 'Bearer t' })).status).toBe(200);
    } finally {
      sim.settings.requireAuth = false;
    }
  });

  it('filters users by SKU and pages to the end through opaque next links', async () => {
    const seen: string[] = [];
    let url: string | undefined =
      `${sim.baseUrl}/users?$filter=assignedLicenses/any(x:x/skuId eq ${BS})&$select=id,assignedLicenses&$top=7`;
    let pages = 0;
    while (url) {
      const res = await fetch(url);
      const body = (await res.json()) as {
        value: { id: string; assignedLicenses: { skuId: string }[] }[];
        '@odata.nextLink'?: string;
      };
      expect(res.headers.get('x-ms-resource-unit')).toBe('1'); // users 2, $select −1, $top<20 −1, floor 1
      for (const u of body.value) {
        expect(u.assignedLicenses.some((l) => l.skuId === BS)).toBe(true);
        seen.push(u.id);
      }
      url = body['@odata.nextLink'];
      if (url) expect(url).toContain('$skiptoken=');
      pages++;
    }
    expect(new Set(seen).size).toBe(35);
    expect(pages).toBe(5);
  });

  it('supports the user filters license-shift needs', async () => {
    const q = async (filter: string, headers: Record<string, string> = {}) =>
      (
        await call(
          sim,
          'GET',
          `/users?$filter=${encodeURIComponent(filter)}&$select=id,userPrincipalName,accountEnabled,usageLocation&$count=true`,
          undefined,
          {
            ConsistencyLevel: 'eventual',
            ...headers,
          },
        )
      ).body;
    const some = [...sim.tenant.users.values()].slice(0, 3);
    expect(
      (await q(`userPrincipalName eq '${some[0]!.userPrincipalName}'`)).value.map((u: { id: string }) => u.id),
    ).toEqual([some[0]!.id]);
    expect((await q(`id in ('${some[0]!.id}','${some[1]!.id}')`)).value).toHaveLength(2);
    expect(
      (await q(`userPrincipalName in ('${some[1]!.userPrincipalName}','${some[2]!.userPrincipalName.toUpperCase()}')`))
        .value,
    ).toHaveLength(2);
    const disabled = await q('accountEnabled eq false');
    expect(disabled['@odata.count']).toBe(2);
    const noLocation = await q('usageLocation eq null');
    expect(noLocation.value.every((u: { usageLocation: string | null }) => u.usageLocation === null)).toBe(true);
    expect(noLocation['@odata.count']).toBe(4);
    const combined = await q(
      `assignedLicenses/any(s:s/skuId eq ${BS}) and accountEnabled eq true and not(usageLocation eq null)`,
    );
    expect(combined['@odata.count']).toBe(35 - 2 - 3);
    const unlicensed = await q('assignedLicenses/$count eq 0');
    expect(unlicensed['@odata.count']).toBe(3);
  });

  it('validates $top, $select, $count and filters like Graph', async () => {
    const top = await call(sim, 'GET', '/users?$top=1000');
    expect(top.status).toBe(400);
    expect(top.body.error.message).toBe("Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.");
    expect((await call(sim, 'GET', '/users?$top=0')).status).toBe(400);
    expect((await call(sim, 'GET', '/users?$count=true')).status).toBe(400);
    const count = await fetch(`${sim.baseUrl}/users/$count`, { headers: { ConsistencyLevel: 'eventual' } });
    expect(await count.text()).toBe('52');
    const select = await call(sim, 'GET', '/users?$select=nope');
    expect(select.status).toBe(400);
    expect(select.body.error.message).toBe("Could not find a property named 'nope' on type 'microsoft.graph.user'.");
    const advanced = await call(sim, 'GET', `/users?$filter=${encodeURIComponent("usageLocation ne 'US'")}`);
    expect(advanced.status).toBe(400);
    expect(advanced.body.error.code).toBe('Request_UnsupportedQuery');
    const broken = await call(sim, 'GET', `/users?$filter=${encodeURIComponent("userPrincipalName eq 'x")}`);
    expect(broken.status).toBe(400);
  });

  it('returns the default property set without $select and license fields with it', async () => {
    const user = [...sim.tenant.users.values()][0]!;
    const plain = await call(sim, 'GET', `/users/${user.id}`);
    expect(plain.body['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#users/$entity');
    expect(plain.body.assignedLicenses).toBeUndefined();
    expect(plain.body.userPrincipalName).toBe(user.userPrincipalName);
    const byUpn = await call(
      sim,
      'GET',
      `/users/${encodeURIComponent(user.userPrincipalName)}?$select=id,usageLocation,assignedLicenses,licenseAssignmentStates,accountEnabled`,
    );
    expect(byUpn.body).toEqual({
      '@odata.context':
        'https://graph.microsoft.com/v1.0/$metadata#users(id,usageLocation,assignedLicenses,licenseAssignmentStates,accountEnabled)/$entity',
      id: user.id,
      usageLocation: 'US',
      accountEnabled: true,
      assignedLicenses: [{ skuId: BS, disabledPlans: [] }],
      licenseAssignmentStates: [
        {
          assignedByGroup: null,
          disabledPlans: [],
          error: 'None',
          lastUpdatedDateTime: expect.any(String),
          skuId: BS,
          state: 'Active',
        },
      ],
    });
    const missing = await call(sim, 'GET', '/users/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('Request_ResourceNotFound');
  });

  it('shows licenseDetails with per-user plan status', async () => {
    const user = [...sim.tenant.users.values()].find((u) =>
      u.assignedLicenses.some((l) => l.disabledPlans.length > 0),
    )!;
    const res = await call(sim, 'GET', `/users/${user.id}/licenseDetails`);
    expect(res.headers.get('x-ms-resource-unit')).toBe('2');
    const detail = res.body.value[0];
    expect(detail.skuPartNumber).toBe('O365_BUSINESS_PREMIUM');
    const disabled = detail.servicePlans.filter(
      (p: { provisioningStatus: string }) => p.provisioningStatus === 'Disabled',
    );
    expect(disabled.map((p: { servicePlanId: string }) => p.servicePlanId).sort()).toEqual(
      [...user.assignedLicenses[0]!.disabledPlans].sort(),
    );
  });

  it('serves groups, direct members and transitive members', async () => {
    const group = await call(sim, 'GET', `/groups/${DEMO_GROUPS.businessStandard}`);
    expect(group.body.assignedLicenses).toEqual([{ skuId: BS, disabledPlans: [] }]);
    const members = await call(sim, 'GET', `/groups/${DEMO_GROUPS.allStaff}/members?$select=id,userPrincipalName`);
    expect(members.headers.get('x-ms-resource-unit')).toBe('2');
    expect(members.body.value).toHaveLength(11);
    expect(
      members.body.value.filter((m: { '@odata.type': string }) => m['@odata.type'] === '#microsoft.graph.group'),
    ).toHaveLength(1);
    const transitive = await call(sim, 'GET', `/groups/${DEMO_GROUPS.allStaff}/transitiveMembers?$top=5`);
    expect(transitive.headers.get('x-ms-resource-unit')).toBe('4');
    let count = transitive.body.value.length;
    let next = transitive.body['@odata.nextLink'] as string | undefined;
    while (next) {
      const page = (await (await fetch(next)).json()) as { value: unknown[]; '@odata.nextLink'?: string };
      count += page.value.length;
      next = page['@odata.nextLink'];
    }
    expect(count).toBe(11 + 4);
    const byLicense = await call(
      sim,
      'GET',
      `/groups?$filter=${encodeURIComponent(`assignedLicenses/any(x:x/skuId eq ${BS})`)}`,
    );
    expect(byLicense.body.value.map((g: { id: string }) => g.id)).toEqual([DEMO_GROUPS.businessStandard]);
  });

  it('answers unknown paths, methods and versions the Graph way', async () => {
    const unknown = await call(sim, 'GET', '/nothingHere');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({
      code: 'BadRequest',
      message: "Resource not found for the segment 'nothingHere'.",
    });
    expect((await call(sim, 'DELETE', '/subscribedSkus')).status).toBe(405);
    const version = await fetch(sim.baseUrl.replace('/v1.0', '/v9.9/users'));
    expect(version.status).toBe(400);
    const badJson = await fetch(`${sim.baseUrl}/users/x/assignLicense`, {
      method: 'POST',
      body: '{nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.status).toBe(400);
  });

  it('patches usageLocation and validates it', async () => {
    const user = [...sim.tenant.users.values()].find((u) => u.usageLocation === null)!;
    expect((await call(sim, 'PATCH', `/users/${user.id}`, { usageLocation: 'Netherlands' })).status).toBe(400);
    expect((await call(sim, 'PATCH', `/users/${user.id}`, { assignedLicenses: [] })).body.error.message).toBe(
      "Property 'assignedLicenses' is read-only and cannot be set.",
    );
    expect((await call(sim, 'PATCH', `/users/${user.id}`, { usageLocation: 'nl' })).status).toBe(204);
    expect(user.usageLocation).toBe('NL');
  });
});
