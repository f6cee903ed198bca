/**
 * The inventory, the preview and the all-tenants overview in a tenant (issue 16): each tenant's answers come from its
 * own Graph, its own runs and its own ledger, and tenant A's never show tenant B's SKUs, holders or runs.
 */
import type { MultiTenantGraphSimulator } from '../../emulators/graph';
import { realPacedClock } from '../support/clock';
import type { Stack } from '../support/e2e';
import { startTenantStack, TENANT, type TenantStack } from '../support/tenants';

const { home: HOME, beta: BETA, delta: DELTA, unknown: UNKNOWN } = TENANT;
const USERS = 30;

interface Sku {
  skuId: string;
  skuPartNumber: string;
  seats: { free: number };
  demand: { seats: number; migrations: { id: string }[] };
}
interface Overview {
  tenantId: string;
  consent: string;
  runs: { total: number; byStatus: Record<string, number> };
  waiting: { forLicenses: number; forApproval: number; runs: { id: string }[] };
  seats?: { skuId: string; skuPartNumber: string; free: number }[];
  seatsError?: string;
}

describe('inventory, preview and overview per tenant, end to end', () => {
  let tenants: TenantStack;
  let graph: MultiTenantGraphSimulator;
  let stack: Stack;
  const parts = (skus: Sku[]) => skus.map((sku) => sku.skuPartNumber).sort();
  const simParts = (tenantId: string) =>
    [...graph.tenant(tenantId).tenant.skus.values()].map((sku) => sku.skuPartNumber).sort();

  beforeAll(async () => {
    tenants = await startTenantStack({ users: USERS, seed: 11, tenant: { now: realPacedClock() } });
    ({ graph, stack } = tenants);
    expect((await stack.api('POST', `/api/tenants/${BETA}/consent-check`)).json.consent).toMatchObject({
      status: 'granted',
    });
  });

  afterAll(() => tenants?.stop());

  it("shows each tenant its own SKUs and holders, never another tenant's", async () => {
    const home = await stack.api<{ skus: Sku[] }>('GET', '/api/skus');
    const beta = await stack.api<{ skus: Sku[] }>('GET', `/api/skus?tenantId=${BETA}`);
    expect(home.status).toBe(200);
    expect(beta.status).toBe(200);
    expect(parts(home.json.skus)).toEqual(simParts(HOME));
    expect(parts(beta.json.skus)).toEqual(simParts(BETA));
    expect(parts(beta.json.skus)).toEqual(expect.arrayContaining(['ENTERPRISEPACK', 'ENTERPRISEPREMIUM']));
    expect(parts(beta.json.skus)).not.toEqual(expect.arrayContaining(['O365_BUSINESS_PREMIUM']));
    expect(parts(beta.json.skus)).not.toContain('SPB');
    expect(parts(home.json.skus)).not.toContain('ENTERPRISEPACK');
    // Asked again (cached now), each tenant still gets its own answer.
    expect(parts((await stack.api<{ skus: Sku[] }>('GET', '/api/skus')).json.skus)).toEqual(simParts(HOME));

    const holders = await stack.api<{ users: { id: string }[] }>(
      'GET',
      `/api/skus/ENTERPRISEPACK/users?tenantId=${BETA}&top=999`,
    );
    expect(holders.status).toBe(200);
    const betaIds = new Set(graph.tenant(BETA).tenant.users.keys());
    expect(holders.json.users).toHaveLength(USERS);
    expect(holders.json.users.every((user) => betaIds.has(user.id))).toBe(true);
    // Home's SKU, asked in Beta: Beta has no such SKU, and nothing of home's is shown.
    const crossed = await stack.api('GET', `/api/skus/O365_BUSINESS_PREMIUM/users?tenantId=${BETA}`);
    expect(crossed.status).toBe(404);
    expect(crossed.json.users).toBeUndefined();
    expect((await stack.api('GET', '/api/skus/ENTERPRISEPACK/users')).status).toBe(404);
  });

  it('answers an unknown or malformed tenant with a 400 naming tenantId', async () => {
    for (const [method, path, body] of [
      ['GET', `/api/skus?tenantId=${UNKNOWN}`],
      ['GET', '/api/skus?tenantId=contoso'],
      ['GET', `/api/skus/SPB/users?tenantId=${UNKNOWN}`],
      [
        'POST',
        `/api/migrations/preview?tenantId=${UNKNOWN}`,
        { moves: [{ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPREMIUM', users: { all: true } }] },
      ],
      [
        'POST',
        '/api/migrations/preview',
        { tenantId: UNKNOWN, moves: [{ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPREMIUM', users: { all: true } }] },
      ],
    ] as const) {
      const response = await stack.api(method, path, body);
      expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 400`);
      expect(response.json.errors).toEqual([expect.objectContaining({ field: 'tenantId' })]);
    }
  });

  it("previews in the tenant named: its users and seats; home's request is not plannable there", async () => {
    const request = { moves: [{ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPREMIUM', users: { all: true } }] };
    const beta = await stack.api('POST', `/api/migrations/preview?tenantId=${BETA}`, request);
    expect(beta.status).toBe(200);
    expect(beta.json).toMatchObject({ mode: 'preview', total: USERS, toChange: USERS, ready: true });
    const inBody = await stack.api('POST', '/api/migrations/preview', { ...request, tenantId: BETA });
    expect(inBody.json).toMatchObject({ total: USERS, toChange: USERS });
    // Home has no Office 365 E3: the same request cannot be planned there.
    expect((await stack.api('POST', '/api/migrations/preview', request)).status).toBe(422);
    const differing = await stack.api('POST', `/api/migrations/preview?tenantId=${HOME}`, {
      ...request,
      tenantId: BETA,
    });
    expect(differing.status).toBe(400);
    expect(differing.json.errors).toEqual([expect.objectContaining({ field: 'tenantId' })]);
    const refused = await stack.api('POST', '/api/migrations/preview', { ...request, tenantId: DELTA });
    expect(refused.status).toBe(409);
    expect(refused.json.consentUrl).toContain(DELTA);
    expect(graph.tenant(BETA).tenant.users.size).toBe(USERS);
  });

  it("counts a tenant's waiting run in its own inventory and overview only", async () => {
    const started = await stack.api('POST', '/api/migrations', {
      id: 'beta-wave',
      tenantId: BETA,
      requireApproval: true,
      moves: [{ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPREMIUM', users: { all: true } }],
    });
    expect(started.status).toBe(202);
    await stack.waitForMigration(`${BETA}~beta-wave`, (view) => view.status === 'awaitingApproval');

    const beta = await stack.api<{ skus: Sku[] }>('GET', `/api/skus?tenantId=${BETA}`);
    const e5 = beta.json.skus.find((sku) => sku.skuPartNumber === 'ENTERPRISEPREMIUM');
    expect(e5?.demand).toMatchObject({
      seats: USERS,
      migrations: [expect.objectContaining({ id: `${BETA}~beta-wave` })],
    });
    const home = await stack.api<{ skus: Sku[] }>('GET', '/api/skus');
    expect(home.json.skus.every((sku) => sku.demand.seats === 0)).toBe(true);

    const overview = await stack.api<{ tenants: Overview[] }>('GET', '/api/tenants/overview');
    expect(overview.status).toBe(200);
    const byId = new Map(overview.json.tenants.map((tenant) => [tenant.tenantId, tenant]));
    expect([...byId.keys()]).toEqual([HOME, BETA, DELTA]);
    expect(byId.get(BETA)).toMatchObject({
      consent: 'granted',
      runs: { total: 1, byStatus: { awaitingApproval: 1 } },
      waiting: { forApproval: 1, forLicenses: 0, runs: [{ id: `${BETA}~beta-wave` }] },
    });
    expect(byId.get(HOME)).toMatchObject({ runs: { total: 0 }, waiting: { forApproval: 0, forLicenses: 0 } });
    // Free seats per SKU, as each tenant's own Graph has them.
    for (const tenantId of [HOME, BETA]) {
      const seats = byId.get(tenantId)?.seats ?? [];
      expect(seats.map((sku) => sku.skuPartNumber).sort()).toEqual(simParts(tenantId));
      for (const sku of seats) {
        const simSku = graph.tenant(tenantId).tenant.skus.get(sku.skuId);
        expect(sku.free).toBe(Math.max(0, (simSku?.prepaidUnits.enabled ?? 0) - (simSku?.holders.size ?? 0)));
      }
    }
    expect(byId.get(DELTA)).toMatchObject({
      // The preview above asked Delta itself, and recorded its refusal.
      consent: 'notConsented',
      runs: { total: 0 },
      seatsError: expect.stringContaining('consent'),
    });
    expect(byId.get(DELTA)?.seats).toBeUndefined();

    expect((await stack.api('POST', `/api/migrations/beta-wave/reject?tenantId=${BETA}`, { by: 'test' })).status).toBe(
      202,
    );
  });
});
