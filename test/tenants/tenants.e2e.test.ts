import {
  generateScenario,
  startMultiTenantGraphSimulator,
  type GraphSimulator,
  type MultiTenantGraphSimulator,
} from '../../emulators/graph';
import { FINISHED_STATUSES } from '../../src/domain/status';
import { requiredAppRoles } from '../../src/graph/permissions';
import type { MigrationView } from '../../src/migrations/view';
import { TelemetryEvents } from '../../src/telemetry';
import { nextUtcTime, realPacedClock } from '../support/clock';
import { licenseWritesPerUser, SKU } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';
import { inMemoryTelemetry, type InMemoryTelemetry } from '../telemetry/in-memory-telemetry';

/** The deployment's own tenant (reached without a tenant header), two customers, one without consent. */
const HOME = 'a0a0a0a0-1111-4111-8111-000000000001';
const BETA = 'b0b0b0b0-2222-4222-8222-000000000002';
const GAMMA = 'c0c0c0c0-3333-4333-8333-000000000003';
const DELTA = 'd0d0d0d0-4444-4444-8444-000000000004';
const UNKNOWN = 'e0e0e0e0-5555-4555-8555-000000000005';
const EPSILON = 'f0f0f0f0-7777-4777-8777-000000000007';
const APP_ID = '9a9a9a9a-6666-4666-8666-000000000006';
const USERS = 50;
const HOUR = 3600_000;
const TIME_SCALE = 10;

/** O365_BUSINESS_PREMIUM, sold as Microsoft 365 Business Standard: what every user holds before the move. */
const STANDARD = SKU.businessStandard;
const move = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }] };

/** Acceptance of issue 16 on the local runtime: three tenants at once from one deployment, each kept to itself. */
describe('many tenants from one deployment, end to end', () => {
  let graph: MultiTenantGraphSimulator;
  let stack: Stack;
  let memory: InMemoryTelemetry;

  const tenantOptions = (seed: number) => ({
    scenario: generateScenario({
      users: USERS,
      seed,
      mix: {
        skus: { O365_BUSINESS_PREMIUM: 1 },
        disabledAccounts: 0,
        noUsageLocation: 0,
        groupLicensed: 0,
        target: { sku: 'SPB' as const, seats: USERS },
      },
    }),
    latency: 'none' as const,
    // No background 429s: the only throttling is the storm a test injects (and Graph's own limits).
    noise: false,
    seed,
    timeScale: TIME_SCALE,
    grantedRoles: requiredAppRoles([]),
    now: realPacedClock(),
  });
  const sim = (tenantId: string): GraphSimulator => graph.tenant(tenantId);
  const holding = (tenantId: string, skuId: string) =>
    [...sim(tenantId).tenant.users.values()].filter((user) => user.assignedLicenses.some((l) => l.skuId === skuId))
      .length;
  const finished = (view: MigrationView | undefined) => view !== undefined && FINISHED_STATUSES.includes(view.status);
  const view = async (key: string, tenantId?: string) => {
    const response = await stack.api<MigrationView>(
      'GET',
      `/api/migrations/${encodeURIComponent(key)}${tenantId ? `?tenantId=${tenantId}` : ''}`,
    );
    return response.status === 200 ? response.json : undefined;
  };

  beforeAll(async () => {
    memory = inMemoryTelemetry();
    graph = await startMultiTenantGraphSimulator({
      tenants: [
        { tenantId: HOME, options: tenantOptions(1) },
        { tenantId: BETA, options: tenantOptions(2) },
        { tenantId: GAMMA, options: tenantOptions(3) },
        { tenantId: DELTA, consented: false, options: tenantOptions(4) },
        { tenantId: EPSILON, consented: false, options: tenantOptions(5) },
      ],
    });
    stack = await startStack({
      sim: graph.tenant(HOME),
      graphBaseUrl: graph.baseUrl,
      clock: 'virtual',
      telemetry: memory.telemetry,
      simulator: { timeScale: TIME_SCALE },
      env: { HOME_TENANT_ID: HOME, GRAPH_MULTITENANT_APP_ID: APP_ID, MIGRATION_SCHEDULE: '0 0 * * * *' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await graph?.stop();
    await memory?.shutdown();
  });

  it('keeps a registry of tenants: the home tenant always, customers added, validated and consent-checked', async () => {
    const initial = await stack.api('GET', '/api/tenants');
    expect(initial.status).toBe(200);
    expect(initial.json.tenants).toEqual([
      expect.objectContaining({ tenantId: HOME, home: true, consent: { status: 'granted' } }),
    ]);

    const bad = await stack.api('PUT', '/api/tenants/not-a-guid', { displayName: 'Nope' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([expect.objectContaining({ field: 'tenantId' })]);
    const badBody = await stack.api('PUT', `/api/tenants/${BETA}`, { displayName: '', limits: { maxConcurrency: 0 } });
    expect(badBody.status).toBe(400);
    expect((badBody.json.errors as { field: string }[]).map((e) => e.field)).toEqual(
      expect.arrayContaining(['displayName', 'limits.maxConcurrency']),
    );

    for (const [tenantId, displayName] of [
      [BETA, 'Beta Ltd'],
      [GAMMA, 'Gamma GmbH'],
      [DELTA, 'Delta Inc'],
    ] as const) {
      const put = await stack.api('PUT', `/api/tenants/${tenantId}`, {
        displayName,
        defaultDomain: `${displayName.split(' ')[0]!.toLowerCase()}.example.com`,
      });
      expect(put.status).toBe(201);
      expect(put.json).toMatchObject({ tenantId, displayName, home: false, consent: { status: 'unknown' } });
    }
    for (const tenantId of [BETA, GAMMA]) {
      const check = await stack.api('POST', `/api/tenants/${tenantId}/consent-check`);
      expect(check.status).toBe(200);
      expect(check.json.consent).toMatchObject({ status: 'granted' });
    }
    const delta = await stack.api('POST', `/api/tenants/${DELTA}/consent-check`);
    expect(delta.json.consent).toMatchObject({ status: 'notConsented', detail: expect.stringMatching(/AADSTS65001/) });
    expect(delta.json.consentUrl).toBe(`https://login.microsoftonline.com/${DELTA}/adminconsent?client_id=${APP_ID}`);

    const listed = await stack.api('GET', '/api/tenants');
    expect((listed.json.tenants as { tenantId: string }[]).map((t) => t.tenantId)).toEqual([HOME, BETA, DELTA, GAMMA]);
    expect((await stack.api('DELETE', `/api/tenants/${HOME}`)).status).toBe(409);
  });

  it('refuses to start in a tenant without consent with the admin-consent URL, and starts nothing', async () => {
    const refused = await stack.api('POST', '/api/migrations', { id: 'delta-1', tenantId: DELTA, ...move });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      tenantId: DELTA,
      consentUrl: `https://login.microsoftonline.com/${DELTA}/adminconsent?client_id=${APP_ID}`,
    });
    expect(refused.json.detail).toMatch(/Nothing was started/);
    expect((await stack.api('GET', `/api/migrations?tenantId=${DELTA}`)).json.migrations).toEqual([]);
    expect(await view(`${DELTA}~delta-1`, DELTA)).toBeUndefined();
    expect(licenseWritesPerUser(sim(DELTA)).size).toBe(0);

    const unknown = await stack.api('POST', '/api/migrations', { id: 'x-1', tenantId: UNKNOWN, ...move });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors).toEqual([expect.objectContaining({ field: 'tenantId' })]);
    // A customer who consents after being registered: the next start asks the tenant itself, and goes ahead.
    expect((await stack.api('PUT', `/api/tenants/${EPSILON}`, { displayName: 'Epsilon SA' })).status).toBe(201);
    const early = await stack.api('POST', '/api/migrations', { id: 'e-1', tenantId: EPSILON, dryRun: true, ...move });
    expect(early.status).toBe(409);
    expect(early.json.consent).toMatchObject({ status: 'notConsented' });
    graph.setConsent(EPSILON, true);
    const later = await stack.api('POST', '/api/migrations', { id: 'e-1', tenantId: EPSILON, dryRun: true, ...move });
    expect(later.status).toBe(202);
    expect(later.json.id).toBe(`${EPSILON}~e-1`);
    expect((await stack.api('GET', `/api/tenants/${EPSILON}`)).json.consent).toMatchObject({ status: 'granted' });
    expect(await stack.waitForFinish(`${EPSILON}~e-1`)).toMatchObject({ status: 'completed' });
    expect(licenseWritesPerUser(sim(EPSILON)).size).toBe(0);

    const notGuid = await stack.api('GET', '/api/migrations?tenantId=contoso');
    expect(notGuid.status).toBe(400);
    expect(notGuid.json.errors).toEqual([expect.objectContaining({ field: 'tenantId' })]);
  });

  it('migrates three tenants at once; a throttling storm in one leaves the other two finishing', async () => {
    // Everything Beta asks of Graph is throttled until the others are done (Retry-After 20 s, 2 s at this scale).
    sim(BETA).setFaults([{ kind: 'error', status: 429, retryAfterSeconds: 20 }]);
    const started = await Promise.all([
      stack.api('POST', '/api/migrations', { id: 'wave-1', ...move }),
      stack.api('POST', '/api/migrations', { id: 'wave-1', tenantId: BETA, ...move }),
      stack.api('POST', '/api/migrations', { id: 'wave-1', tenantId: GAMMA, ...move }),
    ]);
    // The same id in three tenants: three runs, keys that never collide.
    expect(started.map((r) => r.status)).toEqual([202, 202, 202]);
    const [home, beta, gamma] = started.map((r) => r.json.id as string);
    expect([home, beta, gamma]).toEqual(['wave-1', `${BETA}~wave-1`, `${GAMMA}~wave-1`]);
    expect(started[1].json.migration).toMatchObject({ tenantId: BETA });
    expect(started[1].json.links.self).toContain(`?tenantId=${BETA}`);

    const [homeDone, gammaDone] = await Promise.all([
      stack.waitForFinish(home!, 120_000),
      stack.waitForFinish(gamma!, 120_000),
    ]);
    expect(homeDone).toMatchObject({ status: 'completed', counts: { moved: USERS, failed: 0 } });
    expect(gammaDone).toMatchObject({ status: 'completed', counts: { moved: USERS, failed: 0 } });
    // Beta is still held back by its storm: its pacing never slowed the others, theirs never touched Beta.
    expect(finished(await view(beta!, BETA))).toBe(false);
    expect(holding(HOME, STANDARD)).toBe(0);
    expect(holding(GAMMA, STANDARD)).toBe(0);
    expect(holding(BETA, STANDARD)).toBe(USERS);

    sim(BETA).setFaults([]);
    const betaDone = await stack.waitForFinish(beta!, 180_000);
    expect(betaDone).toMatchObject({ status: 'completed', counts: { moved: USERS, failed: 0 } });
    for (const tenantId of [HOME, BETA, GAMMA]) {
      const writes = licenseWritesPerUser(sim(tenantId));
      expect(writes.size).toBe(USERS);
      expect([...writes.values()].every((count) => count === 1)).toBe(true);
    }
    expect(licenseWritesPerUser(sim(DELTA)).size).toBe(0);

    // Every event names its tenant, and Beta's throttling is reported as Beta's only.
    const startedEvents = memory.events(TelemetryEvents.MigrationStarted);
    // Epsilon's dry run (previous test) and the three runs here.
    expect(startedEvents.map((e) => e.properties.tenantId).sort()).toEqual([HOME, BETA, GAMMA, EPSILON].sort());
    const batches = memory.events(TelemetryEvents.BatchCompleted);
    expect(new Set(batches.map((e) => e.properties.tenantId))).toEqual(new Set([HOME, BETA, GAMMA]));
    // The storm hit Beta only: the other tenants' Graph never answered 429.
    const throttled = (tenantId: string) =>
      sim(tenantId)
        .events()
        .filter((e) => e.kind === 'request' && e.status === 429).length;
    expect(throttled(BETA)).toBeGreaterThan(0);
    expect(throttled(HOME)).toBe(0);
    expect(throttled(GAMMA)).toBe(0);
  }, 300_000);

  it("refuses one tenant's run to another tenant's requests, with no data, both ways", async () => {
    const beta = `${BETA}~wave-1`;
    const gamma = `${GAMMA}~wave-1`;
    const refusals: [string, string][] = [
      ['GET', `/api/migrations/${beta}?tenantId=${GAMMA}`],
      ['GET', `/api/migrations/${gamma}?tenantId=${BETA}`],
      ['GET', `/api/migrations/${beta}/report?tenantId=${GAMMA}`],
      ['GET', `/api/migrations/${gamma}/report?tenantId=${BETA}&format=csv`],
      ['GET', `/api/migrations/${beta}`],
      ['GET', `/api/migrations/wave-1/report?tenantId=${DELTA}`],
      ['POST', `/api/migrations/${beta}/cancel?tenantId=${GAMMA}`],
      ['POST', `/api/migrations/${gamma}/rollback?tenantId=${BETA}`],
      ['POST', `/api/migrations/${beta}/retry?tenantId=${GAMMA}`],
      ['GET', `/api/migrations/${beta}?tenantId=${HOME}`],
    ];
    for (const [method, path] of refusals) {
      const response = await stack.api(method, path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.json.counts).toBeUndefined();
      expect(response.json.rows).toBeUndefined();
      expect(response.text).not.toContain('userPrincipalName');
    }
    // Each tenant lists only its own runs; the same short id reads each tenant's own run.
    const ids = async (tenantId?: string) =>
      (
        (await stack.api('GET', `/api/migrations${tenantId ? `?tenantId=${tenantId}` : ''}`)).json.migrations as {
          id: string;
        }[]
      ).map((m) => m.id);
    expect(await ids()).toEqual(['wave-1']);
    expect(await ids(BETA)).toEqual([beta]);
    expect(await ids(GAMMA)).toEqual([gamma]);
    expect((await view('wave-1', BETA))?.id).toBe(beta);
    const report = await stack.api('GET', `/api/migrations/wave-1/report?tenantId=${GAMMA}`);
    expect(report.status).toBe(200);
    const gammaUsers = new Set([...sim(GAMMA).tenant.users.keys()]);
    expect((report.json.rows as { userId: string }[]).every((row) => gammaUsers.has(row.userId))).toBe(true);
  });

  it('runs a scheduled wave per tenant on the virtual clock, each in its own tenant', async () => {
    const back = {
      // Back from Business Premium to Standard loses the archive add-on: the schedule acknowledges it.
      request: {
        moves: [{ from: 'SPB', to: 'O365_BUSINESS_PREMIUM', users: { all: true } }],
        acknowledgeDataLoss: true,
      },
      cron: '0 0 1 * * *',
      timeZone: 'UTC',
      window: { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], start: '01:00', end: '05:00' },
      wave: { maxUsers: 20 },
    };
    stack.host.clock.setAutoAdvance(false);
    const sizes = { [HOME]: 10, [BETA]: 20, [GAMMA]: 30 };
    for (const [tenantId, maxUsers] of Object.entries(sizes)) {
      const query = tenantId === HOME ? '' : `?tenantId=${tenantId}`;
      const put = await stack.api('PUT', `/api/schedules/back${query}`, { ...back, wave: { maxUsers } });
      expect(put.status).toBe(201);
    }
    expect((await stack.api('PUT', `/api/schedules/back?tenantId=${DELTA}`, back)).status).toBe(201);
    const night = nextUtcTime(stack.host.clock.now(), '01:00');
    await stack.host.clock.advanceTo(night);
    await stack.host.clock.advanceTo(night + 5 * HOUR);

    for (const [tenantId, maxUsers] of Object.entries(sizes)) {
      expect({ tenantId, back: holding(tenantId, STANDARD) }).toEqual({ tenantId, back: maxUsers });
      const query = tenantId === HOME ? '' : `?tenantId=${tenantId}`;
      const schedule = await stack.api('GET', `/api/schedules/back${query}`);
      expect(schedule.json).toMatchObject({ occurrencesStarted: 1 });
      const runs = (
        (await stack.api('GET', `/api/migrations${query}`)).json.migrations as { id: string; tenantId?: string }[]
      ).filter((m) => m.id.includes('sched-back-'));
      expect(runs).toHaveLength(1);
      expect(runs[0]!.id.startsWith(tenantId === HOME ? 'sched-back-' : `${tenantId}~sched-back-`)).toBe(true);
    }
    // The tenant without consent keeps its schedule and starts nothing.
    expect(holding(DELTA, STANDARD)).toBe(USERS);
    expect(licenseWritesPerUser(sim(DELTA)).size).toBe(0);
    const occurrences = memory.events(TelemetryEvents.ScheduleOccurrenceStarted);
    expect(occurrences.map((e) => e.properties.tenantId).sort()).toEqual([HOME, BETA, GAMMA].sort());
  }, 300_000);

  it('removes a customer tenant: its runs stay stored but nothing reaches them until it is added again', async () => {
    expect((await stack.api('DELETE', `/api/tenants/${DELTA}`)).status).toBe(204);
    expect((await stack.api('DELETE', `/api/tenants/${DELTA}`)).status).toBe(404);
    const refused = await stack.api('GET', `/api/schedules?tenantId=${DELTA}`);
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual([expect.objectContaining({ field: 'tenantId' })]);
    expect((await stack.api('GET', `/api/tenants/${DELTA}`)).status).toBe(404);
  });
});
