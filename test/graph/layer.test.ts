/** The layer against a small loopback fake: batching, correlation, per-item retries, verification, paging, auth. */
import type { AccessToken, TokenCredential } from '@azure/identity';
import {
  createLicensingGraph,
  GraphRequestError,
  type AssignLicenseItem,
  type LicensingGraphDeps,
} from '../../src/graph';
import {
  graphError,
  startFakeGraph,
  type FakeGraph,
  type FakeHandler,
  type FakeRequest,
  type FakeResponse,
} from './fake-graph';
import { TEST_START_MS } from '../support/clock';
import { VirtualClock } from './virtual-clock';

const SOURCE = 'f245ecc8-75af-4f8e-b61f-27d8114de5f3';
const TARGET = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';
const userId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const planFor = (i: number) => `11111111-0000-4000-8000-${String(i).padStart(12, '0')}`;
/** Each user gets its own disabled plan, so a response paired with the wrong user would show. */
const item = (i: number): AssignLicenseItem => ({
  userId: userId(i),
  addLicenses: [{ skuId: TARGET, disabledPlans: [planFor(i)] }],
  removeLicenses: [SOURCE],
});

/** A tenant where assignLicense really changes state, so verification reads see what was written. */
class FakeTenant {
  readonly licenses = new Map<string, { skuId: string; disabledPlans: string[] }[]>();
  readonly writes = new Map<string, number>();
  constructor(users: number) {
    for (let i = 0; i < users; i += 1) this.licenses.set(userId(i), [{ skuId: SOURCE, disabledPlans: [] }]);
  }
  apply(request: FakeRequest): { status: number; body: unknown } {
    const id = request.path.split('/')[2]!;
    this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
    const body = request.body as {
      addLicenses: { skuId: string; disabledPlans: string[] }[];
      removeLicenses: string[];
    };
    const held = (this.licenses.get(id) ?? []).filter((l) => !body.removeLicenses.includes(l.skuId));
    this.licenses.set(id, [
      ...held.filter((l) => !body.addLicenses.some((a) => a.skuId === l.skuId)),
      ...body.addLicenses,
    ]);
    return { status: 200, body: { id, assignedLicenses: this.licenses.get(id) } };
  }
  read(request: FakeRequest): FakeResponse {
    const id = request.path.split('/')[2]!;
    const assignedLicenses = this.licenses.get(id);
    if (!assignedLicenses) return graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist.`);
    return {
      status: 200,
      body: { id, userPrincipalName: `${id}@contoso.com`, assignedLicenses, licenseAssignmentStates: [] },
    };
  }
}

let fake: FakeGraph | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setUp(handler: FakeHandler, deps: LicensingGraphDeps = {}, budget = 3000, clock = new VirtualClock()) {
  fake = await startFakeGraph(handler);
  const graph = createLicensingGraph(
    {
      baseUrl: fake.baseUrl,
      auth: 'none',
      writeBudgetPer150s: budget,
      resourceUnitBudgetPer10s: 3500,
      maxConcurrency: 4,
    },
    {
      clock,
      random: () => 0.5,
      retry: { baseDelayMs: 100, maxDelayMs: 1_000, maxTransientFailures: 4, maxThrottled: 5 },
      ...deps,
    },
  );
  return { graph, clock, fake };
}

const assignCalls = (f: FakeGraph, id?: string) =>
  f.requests.filter((r) => r.path.endsWith('/assignLicense') && (id === undefined || r.path.includes(id)));

describe('assignLicenses', () => {
  it('sends $batch requests of at most 20 and pairs shuffled responses with the right users', async () => {
    const tenant = new FakeTenant(45);
    const { graph, fake } = await setUp((r) => tenant.apply(r));
    const items = Array.from({ length: 45 }, (_, i) => item(i));
    const results = await graph.assignLicenses(items);
    expect(fake.httpRequests.map((r) => (r.body as { requests: unknown[] }).requests.length)).toEqual([20, 20, 5]);
    results.forEach((result, i) => {
      expect(result).toMatchObject({ userId: userId(i), ok: true, attempts: 1, throttled: 0 });
      if (result.ok) expect(result.after).toEqual([{ skuId: TARGET, disabledPlans: [planFor(i)] }]);
      if (result.ok) expect(result.requestId).toMatch(/^req-\d+$/);
    });
    const body = fake.requests[0]!.body;
    expect(body).toEqual({ addLicenses: [{ skuId: TARGET, disabledPlans: [planFor(0)] }], removeLicenses: [SOURCE] });
  });

  it('retries only the throttled items, each after its own Retry-After, and never resends a write that succeeded', async () => {
    const tenant = new FakeTenant(10);
    const firstSeen = new Map<string, number>();
    const clockRef = new VirtualClock();
    const sentAt = new Map<string, number[]>();
    // Send times are taken as the layer sends: the virtual clock may move on while a request is in flight.
    const recordingFetch: typeof fetch = (input, init) => {
      const batch = JSON.parse(init?.body as string) as { requests: { url: string }[] };
      for (const request of batch.requests) {
        const id = request.url.split('/')[2]!;
        sentAt.set(id, [...(sentAt.get(id) ?? []), clockRef.now()]);
      }
      return fetch(input, init);
    };
    const { graph, fake } = await setUp(
      (r) => {
        const id = r.path.split('/')[2]!;
        const index = Number(id.slice(-2));
        if (!firstSeen.has(id)) {
          firstSeen.set(id, 0);
          if (index < 3)
            return graphError(429, 'TooManyRequests', 'Please retry again later.', { 'Retry-After': `${index + 1}.5` });
        }
        return tenant.apply(r);
      },
      { fetch: recordingFetch },
      3000,
      clockRef,
    );
    const results = await graph.assignLicenses(Array.from({ length: 10 }, (_, i) => item(i)));
    expect(results.every((r) => r.ok)).toBe(true);
    for (let i = 0; i < 10; i += 1) expect(tenant.writes.get(userId(i))).toBe(1);
    for (let i = 0; i < 3; i += 1) {
      expect(results[i]).toMatchObject({ attempts: 2, throttled: 1 });
      const [first, second] = sentAt.get(userId(i))!;
      expect(second! - first!).toBeGreaterThanOrEqual((i + 1.5) * 1000);
    }
    expect(results[5]).toMatchObject({ attempts: 1, throttled: 0 });
    expect(assignCalls(fake)).toHaveLength(13);
  });

  it('never retries a refused write, and reports Graph code, message, request-id and date with plain words', async () => {
    const { graph, fake } = await setUp(() =>
      graphError(400, 'Request_BadRequest', `Subscription with SKU ${TARGET} does not have any available licenses.`),
    );
    const [result] = await graph.assignLicenses([item(1)]);
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: {
        errorClass: 'userFixable',
        status: 400,
        code: 'Request_BadRequest',
        message: `Subscription with SKU ${TARGET} does not have any available licenses.`,
        requestId: 'inner-Request_BadRequest-400',
        date: '2026-11-26T05:00:00',
      },
    });
    if (!result!.ok) expect(result!.error.reason).toMatch(/no free seats/i);
    expect(assignCalls(fake)).toHaveLength(1);
  });

  it('after a 5xx reads the user first: a write that landed is not sent again, one that did not is', async () => {
    const tenant = new FakeTenant(2);
    const failedOnce = new Set<string>();
    const { graph, fake } = await setUp((r) => {
      if (r.method === 'GET') return tenant.read(r);
      const id = r.path.split('/')[2]!;
      if (!failedOnce.has(id)) {
        failedOnce.add(id);
        if (id === userId(0)) {
          tenant.apply(r); // applied, but the answer is lost as a 500
          return graphError(500, 'InternalServerError', 'boom');
        }
        return graphError(503, 'ServiceUnavailable', 'try later');
      }
      return tenant.apply(r);
    });
    const results = await graph.assignLicenses([item(0), item(1)]);
    expect(results[0]).toMatchObject({ ok: true, attempts: 1 });
    expect(results[1]).toMatchObject({ ok: true, attempts: 2 });
    expect(tenant.writes.get(userId(0))).toBe(1);
    expect(tenant.writes.get(userId(1))).toBe(1);
    expect(assignCalls(fake, userId(0))).toHaveLength(1);
    expect(assignCalls(fake, userId(1))).toHaveLength(2);
    const reads = fake.requests.filter((r) => r.method === 'GET');
    expect(reads.map((r) => r.path).sort()).toEqual([`/users/${userId(0)}`, `/users/${userId(1)}`]);
    expect(reads[0]!.query.get('$select')).toContain('assignedLicenses');
  });

  it('a dropped connection and a timeout converge: writes that landed are found by reading, none is doubled', async () => {
    const tenant = new FakeTenant(30);
    fake = await startFakeGraph((r) => (r.method === 'GET' ? tenant.read(r) : tenant.apply(r)), {
      batchFate: (n) => (n === 1 ? 'drop' : n === 2 ? 'hang' : undefined),
    });
    const clock = new VirtualClock();
    const graph = createLicensingGraph(
      {
        baseUrl: fake.baseUrl,
        auth: 'none',
        writeBudgetPer150s: 3000,
        resourceUnitBudgetPer10s: 3500,
        maxConcurrency: 1,
      },
      { clock, random: () => 0.5, requestTimeoutMs: 300, retry: { baseDelayMs: 10 } },
    );
    const results = await graph.assignLicenses(Array.from({ length: 30 }, (_, i) => item(i)));
    expect(results.every((r) => r.ok)).toBe(true);
    for (let i = 0; i < 30; i += 1) expect(tenant.writes.get(userId(i))).toBe(1);
    expect(assignCalls(fake)).toHaveLength(30);
    expect(fake.requests.filter((r) => r.method === 'GET')).toHaveLength(30);
  });

  it('gives up on a user after the transient-failure cap with a retryable error', async () => {
    const { graph, fake } = await setUp((r) =>
      r.method === 'GET'
        ? graphError(503, 'ServiceUnavailable', 'down')
        : graphError(503, 'ServiceUnavailable', 'down'),
    );
    const [result] = await graph.assignLicenses([item(0)]);
    expect(result).toMatchObject({ ok: false, error: { errorClass: 'retryable', status: 503 } });
    expect(assignCalls(fake)).toHaveLength(1);
  });

  it('gives up after too many 429s and says so', async () => {
    const { graph, fake } = await setUp(() =>
      graphError(429, 'TooManyRequests', 'Please retry again later.', { 'Retry-After': '1' }),
    );
    const [result] = await graph.assignLicenses([item(0)]);
    expect(result).toMatchObject({
      ok: false,
      throttled: 6,
      attempts: 6,
      error: { errorClass: 'retryable', status: 429 },
    });
    expect(assignCalls(fake)).toHaveLength(6);
  });

  it('a permission error names LicenseAssignment.ReadWrite.All', async () => {
    const { graph } = await setUp(() =>
      graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
    );
    const [result] = await graph.assignLicenses([item(0)]);
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: {
        errorClass: 'permanent',
        code: 'Authorization_RequestDenied',
        missingPermission: 'LicenseAssignment.ReadWrite.All',
      },
    });
  });

  it('refuses malformed items and duplicates without sending them, and still returns one result per item', async () => {
    const tenant = new FakeTenant(2);
    const { graph, fake } = await setUp((r) => tenant.apply(r));
    const results = await graph.assignLicenses([
      item(0),
      { ...item(1), userId: "x' or 1 eq 1" },
      item(0),
      { ...item(1), addLicenses: [{ skuId: 'E5', disabledPlans: [] }] },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok',
      'InvalidArgument',
      'DuplicateUser',
      'InvalidArgument',
    ]);
    expect(assignCalls(fake)).toHaveLength(1);
  });

  it('stops sending when cancelled and marks unsent users as retryable Cancelled', async () => {
    const tenant = new FakeTenant(100);
    const controller = new AbortController();
    let batchesSent = 0;
    // Cancel as the second batch leaves: the two in flight finish, nothing else is sent.
    const cancellingFetch: typeof fetch = (input, init) => {
      batchesSent += 1;
      if (batchesSent === 2) controller.abort();
      return fetch(input, init);
    };
    const { graph, fake } = await setUp((r) => tenant.apply(r), { fetch: cancellingFetch }, 300);
    const results = await graph.assignLicenses(
      Array.from({ length: 100 }, (_, i) => item(i)),
      { signal: controller.signal },
    );
    expect(assignCalls(fake)).toHaveLength(40);
    expect(results.slice(0, 40).every((r) => r.ok)).toBe(true);
    expect(results.slice(40).every((r) => !r.ok && r.error.code === 'Cancelled' && r.attempts === 0)).toBe(true);
  });

  it('a budget share slows this caller down proportionally', async () => {
    const tenant = new FakeTenant(100);
    const sentAt: number[] = [];
    const clockRef = new VirtualClock();
    // Timestamps are taken as the layer sends: the virtual clock may move on while a request is in flight.
    const recordingFetch: typeof fetch = (input, init) => {
      sentAt.push(clockRef.now());
      return fetch(input, init);
    };
    const { graph } = await setUp((r) => tenant.apply(r), { fetch: recordingFetch }, 1500, clockRef);
    await graph.assignLicenses(
      Array.from({ length: 100 }, (_, i) => item(i)),
      { budgetShare: 0.5 },
    );
    // 1500 per 150 s at half share is 5 writes/s: the write bucket starts empty, so one batch of 20 every 4 s.
    expect(sentAt.map((t) => t - sentAt[0]!)).toEqual([0, 4_000, 8_000, 12_000, 16_000]);
  });
});

describe('reads', () => {
  const user = (id: string, upn: string) => ({
    id,
    userPrincipalName: upn,
    accountEnabled: true,
    usageLocation: 'NL',
    assignedLicenses: [{ skuId: SOURCE, disabledPlans: [] }],
    licenseAssignmentStates: [
      { skuId: SOURCE, assignedByGroup: null, disabledPlans: [], state: 'Active', error: 'None' },
    ],
  });

  it('pages through @odata.nextLink to the end with $select and $top=999', async () => {
    const { graph, fake } = await setUp((r) => {
      const page = Number(r.query.get('$skiptoken') ?? '0');
      const value = Array.from({ length: 3 }, (_, i) => user(userId(page * 3 + i), `u${page * 3 + i}@contoso.com`));
      const next = page < 3 ? { '@odata.nextLink': `${fake.baseUrl}/users?$skiptoken=${page + 1}&$top=999` } : {};
      return { status: 200, body: { value, ...next } };
    });
    const users = await graph.listUsersHoldingSku(SOURCE.toUpperCase());
    expect(users).toHaveLength(12);
    expect(users[0]).toEqual({
      id: userId(0),
      userPrincipalName: 'u0@contoso.com',
      accountEnabled: true,
      usageLocation: 'NL',
      assignedLicenses: [{ skuId: SOURCE, disabledPlans: [] }],
      licenseAssignmentStates: [
        { skuId: SOURCE, assignedByGroup: null, disabledPlans: [], state: 'Active', error: null },
      ],
    });
    const first = fake.httpRequests[0]!;
    expect(first.query.get('$filter')).toBe(`assignedLicenses/any(s:s/skuId eq ${SOURCE})`);
    expect(first.query.get('$select')).toBe(
      'id,userPrincipalName,accountEnabled,usageLocation,assignedLicenses,licenseAssignmentStates',
    );
    expect(first.query.get('$top')).toBe('999');
    expect(fake.httpRequests).toHaveLength(4);
  });

  it('refuses a next link that leaves the base URL', async () => {
    const { graph } = await setUp(() => ({
      status: 200,
      body: { value: [], '@odata.nextLink': 'https://evil.example.com/v1.0/users?x=1' },
    }));
    await expect(graph.listSubscribedSkus()).rejects.toThrow(/refuses to follow/);
  });

  it('looks up odd UPNs in chunks of at most 15 with every value intact, and reports the missing ones', async () => {
    const odd = [
      "o'brien@contoso.com",
      'first+tag@contoso.com',
      'zoë.ñúñez@contoso.com',
      "a''b@contoso.com",
      'x&y=z#w%20@contoso.com',
    ];
    const upns = [...odd, ...Array.from({ length: 25 }, (_, i) => `user${i}@contoso.com`), 'ghost@contoso.com'];
    const known = new Set(upns.filter((u) => u !== 'ghost@contoso.com').map((u) => u.toLowerCase()));
    const { graph, fake } = await setUp((r) => {
      const filter = r.query.get('$filter')!;
      const match = /^userPrincipalName in \((.*)\)$/.exec(filter);
      expect(match).not.toBeNull();
      const values = [...match![1]!.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"));
      return {
        status: 200,
        body: {
          value: values
            .filter((v) => known.has(v.toLowerCase()))
            .map((v, i) => user(userId(i + 100 * values.length), v)),
        },
      };
    });
    const result = await graph.getUsersByUpns(upns.map((u, i) => (i === 6 ? u.toUpperCase() : u)));
    expect(result.missing).toEqual(['ghost@contoso.com']);
    expect(result.found.map((u) => u.userPrincipalName)).toEqual(expect.arrayContaining(odd));
    expect(fake.httpRequests.length).toBeGreaterThanOrEqual(3);
    for (const request of fake.httpRequests) {
      const count = (request.query.get('$filter')!.match(/','/g) ?? []).length + 1;
      expect(count).toBeLessThanOrEqual(15);
    }
  });

  it('rejects ids that are not GUIDs as missing, without putting them in a filter', async () => {
    const { graph, fake } = await setUp(() => ({ status: 200, body: { value: [user(userId(1), 'a@contoso.com')] } }));
    const result = await graph.getUsersByIds([userId(1), "1') or (true", userId(2)]);
    expect(result.found.map((u) => u.id)).toEqual([userId(1)]);
    expect(result.missing).toEqual(["1') or (true", userId(2)]);
    expect(fake.httpRequests[0]!.query.get('$filter')).toBe(`id in ('${userId(1)}','${userId(2)}')`);
  });

  it('throws a classified error naming the permission when a read is denied', async () => {
    const { graph } = await setUp(() =>
      graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
    );
    const error: unknown = await graph.getUsersByIds([userId(1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphRequestError);
    expect((error as GraphRequestError).info).toMatchObject({
      missingPermission: 'User.Read.All',
      errorClass: 'permanent',
    });
  });

  it('retries a throttled read after Retry-After and a 503 with backoff', async () => {
    let calls = 0;
    const { graph, clock } = await setUp(() => {
      calls += 1;
      if (calls === 1) return graphError(429, 'TooManyRequests', 'slow down', { 'Retry-After': '2' });
      if (calls === 2) return graphError(503, 'ServiceUnavailable', 'down');
      return {
        status: 200,
        body: {
          value: [{ id: 'org', verifiedDomains: [{ name: 'Contoso.com' }, { name: 'contoso.onmicrosoft.com' }] }],
        },
      };
    });
    const started = clock.now();
    expect(await graph.listVerifiedDomains()).toEqual(['contoso.com', 'contoso.onmicrosoft.com']);
    expect(clock.now() - started).toBeGreaterThanOrEqual(2_000);
  });

  it('sets a usage location with one PATCH', async () => {
    const { graph, fake } = await setUp(() => ({ status: 204 }));
    await graph.setUsageLocation(userId(3), 'nl');
    expect(fake.httpRequests[0]).toMatchObject({
      method: 'PATCH',
      path: `/users/${userId(3)}`,
      body: { usageLocation: 'NL' },
    });
    await expect(graph.setUsageLocation(userId(3), 'Netherlands')).rejects.toThrow(/two-letter/);
  });
});

describe('credentials', () => {
  it('sends the token for the Graph host of the base URL, and reports a credential failure clearly', async () => {
    fake = await startFakeGraph((r) => ({ status: 200, body: { value: [], seenAuth: r.headers.authorization } }));
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: (scope): Promise<AccessToken> => {
        scopes.push(String(scope));
        return Promise.resolve({ token: 'token-123', expiresOnTimestamp: TEST_START_MS + 3_600_000 });
      },
    };
    const origin = fake.origin;
    const viaFake: typeof fetch = (input, init) =>
      fetch((input as string).replace('https://graph.contoso.test', origin), init);
    const settings = {
      baseUrl: 'https://graph.contoso.test/v1.0',
      auth: 'managedIdentity' as const,
      writeBudgetPer150s: 3000,
      resourceUnitBudgetPer10s: 3500,
      maxConcurrency: 2,
    };
    await createLicensingGraph(settings, { credential, fetch: viaFake }).listSubscriptions();
    expect(fake.httpRequests[0]!.headers.authorization).toBe('Bearer token-123');
    expect(scopes).toEqual(['https://graph.contoso.test/.default']);

    const broken: TokenCredential = {
      getToken: () => Promise.reject(new Error('ManagedIdentityCredential: no endpoint')),
    };
    const error: unknown = await createLicensingGraph(settings, { credential: broken, fetch: viaFake })
      .listSubscriptions()
      .catch((e: unknown) => e);
    expect((error as GraphRequestError).info).toMatchObject({ code: 'CredentialUnavailable', errorClass: 'permanent' });
    expect((error as GraphRequestError).info.reason).toMatch(
      /Could not get a token for Graph: ManagedIdentityCredential: no endpoint/,
    );
    expect(fake.httpRequests).toHaveLength(1);
  });
});
