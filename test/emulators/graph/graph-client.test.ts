/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- Graph JSON bodies are untyped here; the assertions check their shape. */
import { Client, GraphError, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { DEMO_GROUPS, SKU_CATALOG } from '../../../emulators/graph';
import { assignBody, startTestSimulator, type GraphItem, type Simulator } from './helpers';

const BS = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;
const SPB = SKU_CATALOG.SPB.skuId;
const APP = '3f0c9a1e-5d2b-4e7a-8c6f-1b2a3c4d5e6f';

/**
 * The real SDK client with its default middleware chain (auth, retry, redirect, telemetry, HTTP). Over plain
 * http the auth handler adds no bearer token (it only does for Graph hosts), so the app is named by header.
 */
function graphClient(sim: Simulator): Client {
  return Client.init({
    authProvider: (done) => done(null, 'token'),
    baseUrl: sim.baseUrl.replace(/v1\.0$/, ''),
    defaultVersion: 'v1.0',
    fetchOptions: { headers: { 'x-simulator-app-id': APP } },
  });
}

async function expectGraphError(
  promise: Promise<unknown>,
  statusCode: number,
  code: string,
  message: string,
): Promise<GraphError> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as GraphError;
  expect(error).toBeInstanceOf(GraphError);
  expect(error.statusCode).toBe(statusCode);
  expect(error.code).toBe(code);
  expect(error.message).toBe(message);
  expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  return error;
}

describe('through @microsoft/microsoft-graph-client', () => {
  let sim: Simulator;
  let client: Client;
  beforeAll(async () => {
    // k = 100 and a 5-writes-per-1.5-s budget: a throttled write waits about 0.6 s, fast enough for a test.
    sim = await startTestSimulator({ timeScale: 100, throttling: { writesPerAppTenant: 0.05, writeWindowMs: 1500 } });
    client = graphClient(sim);
  });
  afterAll(() => sim.stop());
  beforeEach(() => sim.reset());

  it('reads SKUs, users by SKU with paging to the end, and single users', async () => {
    const skus = await client.api('/subscribedSkus').get();
    expect(skus.value.map((s: GraphItem) => s.skuPartNumber)).toContain('SPB');
    const ids: string[] = [];
    let page = await client
      .api('/users')
      .filter(`assignedLicenses/any(x:x/skuId eq ${BS})`)
      .select(['id', 'userPrincipalName', 'assignedLicenses'])
      .top(10)
      .get();
    for (;;) {
      ids.push(...page.value.map((u: GraphItem) => u.id as string));
      const next = page['@odata.nextLink'] as string | undefined;
      if (!next) break;
      // The SDK's PageIterator only strips https hosts; the link is relative to the base URL by construction.
      expect(next.startsWith(sim.baseUrl)).toBe(true);
      page = await client.api(next.slice(sim.baseUrl.length)).get();
    }
    expect(new Set(ids).size).toBe(35);
    const one = await client.api(`/users/${ids[0]}`).select(['id', 'assignedLicenses']).get();
    expect(one.assignedLicenses).toEqual([{ skuId: BS, disabledPlans: [] }]);
  });

  it('reaches every endpoint', async () => {
    const user = [...sim.tenant.users.values()][0]!;
    const sku = [...sim.tenant.skus.values()][0]!;
    const subscription = sim.tenant.subscriptions[0]!;
    const group = DEMO_GROUPS.businessStandard;
    const paths = [
      '/subscribedSkus',
      `/subscribedSkus/${sku.id}`,
      '/directory/subscriptions',
      `/directory/subscriptions/${subscription.id}`,
      `/directory/subscriptions(commerceSubscriptionId='${subscription.commerceSubscriptionId}')`,
      '/organization',
      `/organization/${sim.tenant.organization.id}`,
      '/domains',
      '/domains/contoso.com',
      '/users',
      `/users/${user.id}`,
      `/users/${encodeURIComponent(user.userPrincipalName)}`,
      `/users/${user.id}/licenseDetails`,
      '/groups',
      `/groups/${group}`,
      `/groups/${group}/members`,
      `/groups/${group}/transitiveMembers`,
    ];
    for (const path of paths) {
      const body = await client.api(path).get();
      expect([path, typeof body['@odata.context']]).toEqual([path, 'string']);
    }
    const count = (await client.api('/users/$count').header('ConsistencyLevel', 'eventual').get()) as unknown;
    expect(Number(count)).toBe(52);
    await client.api(`/users/${user.id}`).patch({ usageLocation: 'CA' });
    expect(user.usageLocation).toBe('CA');
    const reprocessed = await client.api(`/users/${user.id}/reprocessLicenseAssignment`).post({});
    expect(reprocessed.id).toBe(user.id);
    const accepted = await client.api(`/groups/${group}/assignLicense`).post(assignBody([], [BS]));
    expect(accepted.licenseProcessingState.state).toBe('QueuedForProcessing');
  });

  it('swaps a license and surfaces documented errors as GraphError with code and message', async () => {
    const user = [...sim.tenant.findSku(BS)!.holders].find(
      (u) => u.usageLocation && u.licenseStates.every((s) => s.assignedByGroup === null),
    )!;
    const updated = await client.api(`/users/${user.id}/assignLicense`).post(assignBody([{ skuId: SPB }], [BS]));
    expect(updated.assignedLicenses).toEqual([{ skuId: SPB, disabledPlans: [] }]);
    await expectGraphError(
      client.api(`/users/${user.id}/assignLicense`).post(assignBody([], [BS])),
      400,
      'Request_BadRequest',
      'User does not have a corresponding license.',
    );
    await expectGraphError(
      client.api(`/users/${user.id}/assignLicense`).post({ addLicenses: [] }),
      400,
      'Request_BadRequest',
      "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: removeLicenses.",
    );
    await expectGraphError(
      client.api('/users/ghost@contoso.com').get(),
      404,
      'Request_ResourceNotFound',
      "Resource 'ghost@contoso.com' does not exist or one of its queried reference-property objects are not present.",
    );
  });

  it('lets the retry middleware honour a (scaled, fractional) Retry-After and succeed', async () => {
    const user = [...sim.tenant.users.values()][0]!;
    // Budget 0.05 × k(100) = 5 writes per 1.5 s: the sixth PATCH is throttled and retried by the SDK.
    for (let i = 0; i < 6; i++) await client.api(`/users/${user.id}`).patch({ department: `D${i}` });
    const requests = sim.events().filter((e) => e.kind === 'request' && e.method === 'PATCH');
    expect(requests.map((e) => e.kind === 'request' && e.status)).toEqual([204, 204, 204, 204, 204, 429, 204]);
    expect(user.department).toBe('D5');
  });

  it('gives up after the configured retries on a persistent 503 fault', async () => {
    sim.setFaults([{ kind: 'error', status: 503, path: '/organization', retryAfterSeconds: 1 }]);
    const noRetry = Client.init({
      authProvider: (done) => done(null, 'token'),
      baseUrl: sim.baseUrl.replace(/v1\.0$/, ''),
      defaultVersion: 'v1.0',
    });
    const error = await expectGraphError(
      noRetry
        .api('/organization')
        .middlewareOptions([new RetryHandlerOptions(0, 1)])
        .get(),
      503,
      'serviceNotAvailable',
      'The service is temporarily unavailable. Please retry later.',
    );
    expect(error.headers?.get('retry-after')).toBe('0.01');
  });

  it('sends a $batch through the client and reads per-item results', async () => {
    const users = [...sim.tenant.findSku(BS)!.holders]
      .filter((u) => u.usageLocation && u.licenseStates.every((s) => s.assignedByGroup === null))
      .slice(0, 3);
    const body = await client.api('/$batch').post({
      requests: users.map((u, i) => ({
        id: String(i),
        method: 'POST',
        url: `/users/${u.id}/assignLicense`,
        headers: { 'Content-Type': 'application/json' },
        body: assignBody([{ skuId: SPB }], [BS]),
      })),
    });
    expect(body.responses.map((r: GraphItem) => r.status)).toEqual([200, 200, 200]);
    expect(users.every((u) => u.assignedLicenses.some((l) => l.skuId === SPB))).toBe(true);
  });
});
