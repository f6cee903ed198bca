/** Acceptance tests of the Graph layer against the Graph simulator (issue #4). */
import {
  DEMO_GROUPS,
  findUnlicensedGaps,
  generateScenario,
  SKU_CATALOG,
  startGraphSimulator,
  type GraphSimulator,
  type LicenseChangeEvent,
  type Scenario,
  type ThrottleConfig,
} from '../../emulators/graph';
import {
  createLicensingGraph,
  GraphConfigurationError,
  GraphRequestError,
  type AssignLicenseItem,
  type LicensingGraphDeps,
} from '../../src/graph';

const STANDARD = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;
const PREMIUM = SKU_CATALOG.SPB.skuId;
const BASIC = SKU_CATALOG.O365_BUSINESS_ESSENTIALS.skuId;

type Sim = GraphSimulator & { tenant: GraphSimulator['tenant'] };
let sim: Sim | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(
  scenario: Scenario | 'demo',
  throttling: boolean | Partial<ThrottleConfig> = true,
  timeScale = 1,
): Promise<Sim> {
  sim = await startGraphSimulator({
    scenario,
    port: 0,
    latency: 'none',
    throttling,
    timeScale,
    seed: 7,
    profile: 'deterministic',
  });
  return sim;
}

function graphFor(s: Sim, deps: LicensingGraphDeps = {}, writeBudgetPer150s = 2850) {
  return createLicensingGraph(
    { baseUrl: s.baseUrl, auth: 'none', writeBudgetPer150s, resourceUnitBudgetPer10s: 3300, maxConcurrency: 8 },
    { requestTimeoutMs: 2_000, retry: { baseDelayMs: 20, maxDelayMs: 200 }, ...deps },
  );
}

/** Business Standard → Business Premium, one atomic call per user, for users that can move. */
function swapItems(s: Sim, limit = Number.POSITIVE_INFINITY): AssignLicenseItem[] {
  const items: AssignLicenseItem[] = [];
  for (const user of s.tenant.users.values()) {
    const direct = user.licenseStates.some((l) => l.skuId === STANDARD && l.assignedByGroup === null);
    const inherited = user.licenseStates.some((l) => l.assignedByGroup !== null);
    if (!direct || inherited || user.usageLocation === null || items.length >= limit) continue;
    items.push({ userId: user.id, addLicenses: [{ skuId: PREMIUM, disabledPlans: [] }], removeLicenses: [STANDARD] });
  }
  return items;
}

const licenseEvents = (s: Sim) =>
  s.events().filter((e): e is LicenseChangeEvent => e.kind === 'license' && e.cause === 'assignLicense');

/** Every user changed exactly once, nobody else, nobody left without a license in between. */
function expectExactlyOnce(s: Sim, items: AssignLicenseItem[]): void {
  const changes = new Map<string, number>();
  for (const event of licenseEvents(s)) changes.set(event.userId, (changes.get(event.userId) ?? 0) + 1);
  expect(changes.size).toBe(items.length);
  for (const item of items) expect(changes.get(item.userId)).toBe(1);
  for (const item of items) {
    expect(s.tenant.users.get(item.userId)!.assignedLicenses.map((l) => l.skuId)).toEqual([PREMIUM]);
  }
  expect(findUnlicensedGaps(s.events())).toEqual([]);
}

describe('against the Graph simulator', () => {
  it('a burst far above the write budget recovers with zero lost and zero duplicated writes', async () => {
    // The tenant allows 60 writes per second (bucket of 60); the layer is told it may do 1,000 per second.
    const s = await start(generateScenario({ users: 240, seed: 3 }), { writesPerAppTenant: 60, writeWindowMs: 1_000 });
    const items = swapItems(s, 180);
    const logs: string[] = [];
    const results = await graphFor(s, { log: (m) => logs.push(m) }, 150_000).assignLicenses(items);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.userId)).toEqual(items.map((i) => i.userId));
    const throttled = s.events().filter((e) => e.kind === 'request' && e.status === 429).length;
    expect(throttled).toBeGreaterThan(0);
    expect(results.reduce((n, r) => n + r.throttled, 0)).toBe(throttled);
    expect(logs.some((m) => /write pace cut/.test(m))).toBe(true);
    expectExactlyOnce(s, items);
  });

  it('a 503 storm on assignLicense converges, retrying only the failed items', async () => {
    // Time scale 10: the simulator allows ten times the documented budget, and the layer is told so.
    const s = await start(generateScenario({ users: 200, seed: 4 }), true, 10);
    s.setFaults([{ kind: 'error', status: 503, path: '/assignLicense', probability: 0.4 }]);
    const items = swapItems(s, 120);
    const results = await graphFor(
      s,
      { retry: { baseDelayMs: 5, maxDelayMs: 50, maxTransientFailures: 20 } },
      28_500,
    ).assignLicenses(items);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.some((r) => r.attempts > 1)).toBe(true);
    expectExactlyOnce(s, items);
  });

  it('connection resets and timeouts on $batch converge without doubling a write', async () => {
    const s = await start(generateScenario({ users: 120, seed: 5 }), true, 10);
    s.setFaults([
      { kind: 'drop', path: '/$batch', times: 2 },
      { kind: 'timeout', path: '/$batch', times: 1, delayMs: 10_000 },
    ]);
    const items = swapItems(s, 80);
    const results = await graphFor(s, { requestTimeoutMs: 300 }, 28_500).assignLicenses(items);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(s.events().filter((e) => e.kind === 'request' && e.fault !== undefined).length).toBe(3);
    expectExactlyOnce(s, items);
  });

  it('a 503 storm on reads converges too', async () => {
    const s = await start('demo');
    s.setFaults([{ kind: 'error', status: 503, path: '/subscribedSkus', times: 3 }]);
    const skus = await graphFor(s).listSubscribedSkus();
    expect(skus.find((sku) => sku.skuId === PREMIUM)).toMatchObject({ skuPartNumber: 'SPB', appliesTo: 'User' });
  });

  it('permission denied surfaces with the missing permission named, without retrying', async () => {
    const s = await start('demo');
    s.setFaults([
      { kind: 'error', status: 403, path: '/assignLicense' },
      { kind: 'error', status: 403, method: 'GET', path: '/users' },
    ]);
    const graph = graphFor(s);
    const [result] = await graph.assignLicenses(swapItems(s, 1));
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: { status: 403, errorClass: 'permanent', missingPermission: 'LicenseAssignment.ReadWrite.All' },
    });
    if (!result!.ok) expect(result!.error.requestId).toMatch(/\S/);
    const error: unknown = await graph.listUsersHoldingSku(STANDARD).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphRequestError);
    expect((error as GraphRequestError).info.missingPermission).toBe('User.Read.All');
    expect((error as GraphRequestError).message).toMatch(/User\.Read\.All/);
  });

  it('pages through 10,000 users', async () => {
    const s = await start(generateScenario({ users: 10_000, seed: 6 }));
    const holders = [...s.tenant.users.values()].filter((u) => u.assignedLicenses.some((l) => l.skuId === STANDARD));
    const users = await graphFor(s).listUsersHoldingSku(STANDARD);
    expect(users).toHaveLength(holders.length);
    expect(new Set(users.map((u) => u.id))).toEqual(new Set(holders.map((u) => u.id)));
    const pages = s.events().filter((e) => e.kind === 'request' && e.path === '/users').length;
    expect(pages).toBe(Math.ceil(holders.length / 999));
    const sample = users.find((u) => u.id === holders[0]!.id)!;
    expect(sample.assignedLicenses.map((l) => l.skuId)).toContain(STANDARD);
    expect(sample.licenseAssignmentStates[0]).toMatchObject({ skuId: expect.any(String), error: null });
  });

  it('finds and moves users with apostrophes, plus signs and non-ASCII letters in their UPN', async () => {
    const odd = [
      "o'brien@contoso.com",
      'first+tag@contoso.com',
      'zoë.núñez@contoso.com',
      "d'arcy+ops@contoso.com",
      'łukasz.żółć@contoso.com',
    ];
    const scenario = generateScenario({ users: 20, seed: 8 });
    scenario.users.push(
      ...odd.map((userPrincipalName) => ({
        userPrincipalName,
        usageLocation: 'NL',
        licenses: [{ sku: 'O365_BUSINESS_PREMIUM' }],
      })),
    );
    const s = await start(scenario);
    const graph = graphFor(s);
    const lookup = [
      ...odd.map((u, i) => (i === 2 ? u.toUpperCase() : u)),
      "nobody' or userPrincipalName ne 'x@contoso.com",
    ];
    const { found, missing } = await graph.getUsersByUpns(lookup);
    expect(found.map((u) => u.userPrincipalName).sort()).toEqual([...odd].sort());
    expect(missing).toEqual(["nobody' or userPrincipalName ne 'x@contoso.com"]);
    const results = await graph.assignLicenses(
      found.map((u) => ({
        userId: u.id,
        addLicenses: [{ skuId: PREMIUM, disabledPlans: [] }],
        removeLicenses: [STANDARD],
      })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const byId = await graph.getUsersByIds(found.map((u) => u.id));
    expect(byId.missing).toEqual([]);
    expect(byId.found.every((u) => u.assignedLicenses.some((l) => l.skuId === PREMIUM))).toBe(true);
  });

  it('reads the demo tenant and reports Graph refusals in plain words', async () => {
    const s = await start('demo');
    const graph = graphFor(s);
    expect(await graph.listVerifiedDomains()).toEqual(['contoso.com', 'contoso.onmicrosoft.com']);
    const subscriptions = await graph.listSubscriptions();
    expect(subscriptions.some((sub) => sub.skuId === PREMIUM && sub.totalLicenses === 5)).toBe(true);
    const members = await graph.listGroupUserMembers(DEMO_GROUPS.allStaff);
    expect(members.length).toBeGreaterThan(10); // transitive: the nested licensing group's members too
    expect(members.every((m) => m.userPrincipalName.includes('@'))).toBe(true);

    const users = [...s.tenant.users.values()];
    const noLocation = users.find(
      (u) => u.usageLocation === null && u.assignedLicenses.some((l) => l.skuId === STANDARD),
    )!;
    const inherited = users.find(
      (u) =>
        u.licenseStates.some((l) => l.skuId === STANDARD && l.assignedByGroup !== null) &&
        !u.licenseStates.some((l) => l.skuId === STANDARD && l.assignedByGroup === null),
    )!;
    const movable = swapItems(s, 7);
    const results = await graph.assignLicenses([
      ...movable,
      { userId: noLocation.id, addLicenses: [{ skuId: PREMIUM, disabledPlans: [] }], removeLicenses: [STANDARD] },
      { userId: inherited.id, addLicenses: [{ skuId: BASIC, disabledPlans: [] }], removeLicenses: [STANDARD] },
      {
        userId: '00000000-0000-4000-8000-000000000000',
        addLicenses: [{ skuId: BASIC, disabledPlans: [] }],
        removeLicenses: [],
      },
    ]);
    const failures = results.filter((r) => !r.ok).map((r) => (r.ok ? undefined : r.error));
    // Premium has 5 seats: two of the seven movable users find none.
    expect(results.slice(0, 7).filter((r) => r.ok)).toHaveLength(5);
    expect(failures.filter((e) => /no free seats/i.test(e!.reason))).toHaveLength(2);
    expect(failures.find((e) => /no free seats/i.test(e!.reason))).toMatchObject({
      errorClass: 'userFixable',
      code: 'Request_BadRequest',
      requestId: expect.any(String),
      date: expect.any(String),
    });
    expect(results[7]).toMatchObject({
      ok: false,
      error: { errorClass: 'userFixable', reason: expect.stringMatching(/usage location/) },
    });
    expect(results[8]).toMatchObject({
      ok: false,
      error: { errorClass: 'userFixable', reason: expect.stringMatching(/comes from a group/) },
    });
    expect(results[9]).toMatchObject({
      ok: false,
      error: { errorClass: 'permanent', status: 404, reason: expect.stringMatching(/does not exist/) },
    });
    expect(results.every((r) => r.attempts <= 1)).toBe(true);
  });

  it('a bad credential configuration fails at start-up, and a rejected token is a clear permanent error', async () => {
    const base = { writeBudgetPer150s: 2850, resourceUnitBudgetPer10s: 3300, maxConcurrency: 8 };
    expect(() => createLicensingGraph({ ...base, baseUrl: 'https://graph.microsoft.com/v1.0', auth: 'none' })).toThrow(
      GraphConfigurationError,
    );
    expect(() =>
      createLicensingGraph({
        ...base,
        baseUrl: 'https://graph.microsoft.com/v1.0',
        auth: 'clientSecret',
        clientId: '9a3d526c-b3c1-4479-ba74-197b5c5751ae',
        tenantId: 'contoso.com',
      }),
    ).toThrow(/needs AZURE_CLIENT_SECRET/);
    const s = await start('demo');
    (s as unknown as { settings: { requireAuth: boolean } }).settings.requireAuth = true;
    const error: unknown = await graphFor(s)
      .listSubscribedSkus()
      .catch((e: unknown) => e);
    expect((error as GraphRequestError).info).toMatchObject({
      status: 401,
      errorClass: 'permanent',
      code: 'InvalidAuthenticationToken',
    });
    expect((error as GraphRequestError).info.action).toMatch(/GRAPH_AUTH/);
  });
});
