/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON bodies are untyped here; the assertions check their shape. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_APP_ID, SKU_CATALOG, catalogSku } from '../../../emulators/graph';
import { assignBody, call, control, startTestSimulator, type GraphItem, type Simulator } from './helpers';

const BS = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;
const SPB = SKU_CATALOG.SPB.skuId;

describe('control API (/_simulator)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ throttling: false });
  });
  afterAll(() => sim.stop());
  beforeEach(() => sim.reset());

  it('reads the whole state', async () => {
    const res = await control(sim, 'GET', '/state');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ userCount: 52, tenantSize: 'M', organization: 'Contoso Ltd' });
    expect(res.body.users).toHaveLength(52);
    expect(res.body.skus.find((s: GraphItem) => s.skuPartNumber === 'SPB')).toMatchObject({
      consumedUnits: 0,
      freeSeats: 5,
    });
    expect((await control(sim, 'GET', '/state?users=false')).body.users).toBeUndefined();
  });

  it('lands a purchase and changes a SKU status at run time', async () => {
    const seats = await control(sim, 'PATCH', '/skus/SPB', { prepaidUnits: { enabled: 60 } });
    expect(seats.status).toBe(200);
    expect(seats.body).toMatchObject({ skuId: SPB, freeSeats: 60 });
    const skus = await call(sim, 'GET', '/subscribedSkus');
    expect(skus.body.value.find((s: GraphItem) => s.skuId === SPB).prepaidUnits.enabled).toBe(60);
    const subs = await call(sim, 'GET', '/directory/subscriptions');
    expect(subs.body.value.find((s: GraphItem) => s.skuId === SPB).totalLicenses).toBe(60);
    const status = await control(sim, 'PATCH', `/skus/${SPB}`, { capabilityStatus: 'Suspended' });
    expect(status.body).toMatchObject({ capabilityStatus: 'Suspended', prepaidUnits: { enabled: 0, suspended: 60 } });
    expect((await control(sim, 'PATCH', '/skus/SPB', { capabilityStatus: 'Sleeping' })).status).toBe(400);
    const list = await control(sim, 'GET', '/skus');
    expect(list.body.find((s: GraphItem) => s.skuPartNumber === 'SPB')).toMatchObject({
      capabilityStatus: 'Suspended',
      freeSeats: 0,
    });
    expect((await control(sim, 'PATCH', '/skus/NOPE', { prepaidUnits: 3 })).status).toBe(404);
  });

  it('adds and removes users', async () => {
    const added = await control(sim, 'POST', '/users', {
      userPrincipalName: 'new.hire@contoso.com',
      usageLocation: 'US',
      licenses: [{ sku: 'O365_BUSINESS_PREMIUM' }],
    });
    expect(added.status).toBe(201);
    const found = await call(
      sim,
      'GET',
      `/users?$filter=${encodeURIComponent("userPrincipalName eq 'new.hire@contoso.com'")}&$select=id,assignedLicenses`,
    );
    expect(found.body.value).toEqual([{ id: added.body.id, assignedLicenses: [{ skuId: BS, disabledPlans: [] }] }]);
    expect(sim.tenant.consumedUnits(sim.tenant.findSku(BS)!)).toBe(36);
    expect((await control(sim, 'DELETE', `/users/${added.body.id}`)).status).toBe(204);
    expect((await call(sim, 'GET', `/users/${added.body.id}`)).status).toBe(404);
    expect(sim.tenant.consumedUnits(sim.tenant.findSku(BS)!)).toBe(35);
    expect((await control(sim, 'POST', '/users', { displayName: 'no upn' })).status).toBe(400);
  });

  it('sets faults, latency, settings and throttling', async () => {
    const faults = await control(sim, 'PUT', '/faults', [{ kind: 'error', status: 503, path: '/domains', times: 1 }]);
    expect(faults.body).toEqual([{ kind: 'error', status: 503, path: '/domains', times: 1 }]);
    expect((await call(sim, 'GET', '/domains')).status).toBe(503);
    expect((await control(sim, 'GET', '/faults')).body).toEqual([]);
    await control(sim, 'PUT', '/faults', { faults: [{ kind: 'drop', path: '/domains' }] });
    expect((await control(sim, 'GET', '/faults')).body).toEqual([{ kind: 'drop', path: '/domains' }]);
    expect((await control(sim, 'DELETE', '/faults')).status).toBe(204);
    expect((await control(sim, 'GET', '/faults')).body).toEqual([]);
    expect((await control(sim, 'PUT', '/faults', [{ kind: 'explode' }])).status).toBe(400);
    const latency = await control(sim, 'PUT', '/latency', 'realistic');
    expect(latency.body.write.medianMs).toBeGreaterThan(100);
    expect((await control(sim, 'GET', '/latency')).body).toEqual(latency.body);
    await control(sim, 'PUT', '/latency', 'none');
    expect((await control(sim, 'GET', '/settings')).body).toMatchObject({
      atomicAssignLicense: true,
      freeSeatFormula: 'enabled',
    });
    expect((await control(sim, 'GET', '/throttling')).body).toMatchObject({
      writesPerAppTenant: 3000,
      resourceUnitsPerAppTenant: { S: 3500, M: 5000, L: 8000 },
    });
    expect(
      (await control(sim, 'PATCH', '/settings', { replicationLagMs: 500, shuffleBatchResponses: false })).body,
    ).toMatchObject({
      replicationLagMs: 500,
      shuffleBatchResponses: false,
    });
    expect((await control(sim, 'PATCH', '/settings', { madeUp: 1 })).status).toBe(400);
    await control(sim, 'PATCH', '/settings', { replicationLagMs: 0, shuffleBatchResponses: true });
    const throttling = await control(sim, 'PATCH', '/throttling', { enabled: true, writesPerAppTenant: 1 });
    expect(throttling.body).toMatchObject({ enabled: true, writesPerAppTenant: 1, writesPerTenant: 18000 });
    const user = [...sim.tenant.users.values()][0]!;
    expect((await call(sim, 'PATCH', `/users/${user.id}`, { department: 'a' })).status).toBe(204);
    expect((await call(sim, 'PATCH', `/users/${user.id}`, { department: 'b' })).status).toBe(429);
    await control(sim, 'PATCH', '/throttling', { enabled: false });
  });

  it('reads the event log, counters and violations', async () => {
    const [a, b] = [...sim.tenant.findSku(BS)!.holders].filter(
      (u) => u.usageLocation && u.licenseStates.every((s) => s.assignedByGroup === null),
    );
    await call(sim, 'POST', `/users/${a!.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]));
    await call(sim, 'POST', `/users/${b!.id}/assignLicense`, assignBody([], [BS]));
    await call(sim, 'POST', `/users/${b!.id}/assignLicense`, assignBody([{ skuId: SPB }]));
    const events = await control(sim, 'GET', '/events?kind=license');
    expect(events.body.map((e: GraphItem) => e.userId)).toEqual([a!.id, b!.id, b!.id]);
    const all = await control(sim, 'GET', '/events');
    const since = await control(sim, 'GET', `/events?since=${all.body[1].seq}`);
    expect(since.body).toHaveLength(all.body.length - 2);
    const counters = await control(sim, 'GET', '/counters');
    expect(counters.body).toMatchObject({
      requests: 3,
      writes: 3,
      throttled: 0,
      licenseChanges: 3,
      byStatus: { '200': 3 },
      writesInWindow: {
        perApp: { windowMs: 150_000, total: 3, perApp: { [DEFAULT_APP_ID]: 3 } },
        tenant: { windowMs: 300_000, total: 3 },
      },
    });
    const violations = await control(sim, 'GET', '/violations');
    expect(violations.body.writeBudget).toEqual([]);
    expect(violations.body.unlicensedGaps).toHaveLength(1);
    expect(violations.body.unlicensedGaps[0]).toMatchObject({ kind: 'unlicensedGap', userId: b!.id, lostSkuIds: [BS] });
  });

  it('processes queued group license changes on demand', async () => {
    const group = [...sim.tenant.groups.values()][0]!;
    await call(
      sim,
      'POST',
      `/groups/${group.id}/assignLicense`,
      assignBody([{ skuId: SKU_CATALOG.ENTERPRISEPACK.skuId }]),
    );
    expect((await control(sim, 'POST', '/groups/process')).body).toEqual({ processed: 1 });
    expect((await control(sim, 'POST', '/groups/process')).body).toEqual({ processed: 0 });
  });

  it('adds and removes group members, with group licenses following', async () => {
    const user = [...sim.tenant.users.values()].find((u) => u.assignedLicenses.length === 0 && u.usageLocation)!;
    const group = [...sim.tenant.groups.values()][0]!;
    const added = await control(sim, 'POST', `/groups/${group.id}/members`, { user: user.userPrincipalName });
    expect(added.status).toBe(200);
    expect(added.body.licenseAssignmentStates).toEqual([
      expect.objectContaining({ skuId: BS, assignedByGroup: group.id, state: 'Active', error: 'None' }),
    ]);
    const members = await call(sim, 'GET', `/groups/${group.id}/members?$select=id`);
    expect(members.body.value.map((m: GraphItem) => m.id)).toContain(user.id);
    const removed = await control(sim, 'DELETE', `/groups/${group.id}/members/${user.id}`);
    expect(removed.body.licenseAssignmentStates).toEqual([]);
    expect(sim.events().filter((e) => e.kind === 'license' && e.userId === user.id)).toHaveLength(2);
    expect((await control(sim, 'POST', `/groups/${group.id}/members`, {})).status).toBe(400);
  });

  it('loads scenarios by name, object and JSON file, and resets to the loaded one', async () => {
    const generated = await control(sim, 'POST', '/scenario', { scenario: 'generated:120' });
    expect(generated.body.userCount).toBe(120);
    expect((await call(sim, 'GET', '/users/$count', undefined, { ConsistencyLevel: 'eventual' })).body).toBe('120');
    const dir = mkdtempSync(join(tmpdir(), 'graph-sim-'));
    const file = join(dir, 'tiny.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'tiny',
        domains: [{ id: 'tiny.example' }],
        skus: [catalogSku('SPE_E3', 2)],
        users: [{ userPrincipalName: 'a@tiny.example', licenses: [{ sku: 'SPE_E3' }] }],
      }),
    );
    const loaded = await control(sim, 'POST', '/scenario', { scenario: file });
    expect(loaded.body).toMatchObject({
      userCount: 1,
      skus: [{ skuPartNumber: 'SPE_E3', consumedUnits: 1, freeSeats: 1 }],
    });
    await call(sim, 'PATCH', '/users/a@tiny.example', { usageLocation: 'FR' });
    await control(sim, 'POST', '/reset');
    expect(sim.tenant.findUser('a@tiny.example')!.usageLocation).toBe('US');
    writeFileSync(file, JSON.stringify({ domains: [], skus: [{ skuId: 'x' }], users: [] }));
    const invalid = await control(sim, 'POST', '/scenario', { scenario: file });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toContain('skus');
    const broken = await control(sim, 'POST', '/scenario', {
      domains: [],
      skus: [],
      users: [{ userPrincipalName: 'x@y.z', licenses: [{ sku: 'NOPE' }] }],
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toBe('Scenario refers to unknown SKU NOPE');
    expect(sim.tenant.findUser('a@tiny.example')).toBeDefined();
    const inline = await control(sim, 'POST', '/scenario', {
      domains: [],
      skus: [],
      users: [{ userPrincipalName: 'solo@x.test' }],
    });
    expect(inline.body.userCount).toBe(1);
    await control(sim, 'POST', '/scenario', { scenario: 'demo' });
    expect(sim.tenant.users.size).toBe(52);
    expect((await control(sim, 'GET', '/nothing')).status).toBe(404);
  });
});
