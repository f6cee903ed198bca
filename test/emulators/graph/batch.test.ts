/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- Graph JSON bodies are untyped here; the assertions check their shape. */
import { SKU_CATALOG } from '../../../emulators/graph';
import { assignBody, call, startTestSimulator, type GraphItem, type Simulator } from './helpers';

const BS = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;
const SPB = SKU_CATALOG.SPB.skuId;
const JSON_HEADERS = { 'Content-Type': 'application/json' };

describe('$batch', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ throttling: false, seed: 3 });
  });
  afterAll(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    sim.settings.shuffleBatchResponses = true;
  });

  const holders = () =>
    [...sim.tenant.findSku(BS)!.holders].filter(
      (u) => u.usageLocation && u.licenseStates.every((s) => s.assignedByGroup === null),
    );
  const batch = (requests: unknown[]) => call(sim, 'POST', '/$batch', { requests });

  it('runs up to 20 items, each with its own status, headers and body, correlated by id', async () => {
    const users = holders().slice(0, 5);
    const res = await batch([
      ...users.map((u, i) => ({
        id: `swap-${i}`,
        method: 'POST',
        url: `/users/${u.id}/assignLicense`,
        headers: JSON_HEADERS,
        body: assignBody([{ skuId: SPB }], [BS]),
      })),
      { id: 'skus', method: 'GET', url: 'subscribedSkus?$select=skuId,consumedUnits' },
      { id: 'missing', method: 'GET', url: '/users/nobody@contoso.com' },
      {
        id: 'full',
        method: 'POST',
        url: `/users/${holders()[5]!.id}/assignLicense`,
        headers: JSON_HEADERS,
        body: assignBody([{ skuId: SPB }], [BS]),
      },
    ]);
    expect(res.status).toBe(200);
    // The envelope reports the items' resource units in total: 5 + 1 + 1 + 1 + 1 (subscribedSkus 3 − $select).
    expect(res.headers.get('x-ms-resource-unit')).toBe('9');
    const byId = new Map<string, GraphItem>(res.body.responses.map((r: GraphItem) => [r.id as string, r]));
    expect(byId.size).toBe(8);
    for (let i = 0; i < 5; i++) {
      const item = byId.get(`swap-${i}`)!;
      expect(item.status).toBe(200);
      expect(item.headers['x-ms-resource-unit']).toBe('1');
      expect(item.headers['Content-Type']).toContain('application/json');
      expect(item.body.assignedLicenses).toEqual([{ skuId: SPB, disabledPlans: [] }]);
    }
    expect(byId.get('skus')!.status).toBe(200);
    expect(byId.get('missing')!.status).toBe(404);
    expect(byId.get('full')!.status).toBe(400);
    expect(byId.get('full')!.body.error.message).toBe(
      `Subscription with SKU ${SPB} does not have any available licenses.`,
    );
    // Items are individual requests in the event log, tied to the batch.
    const items = sim.events().filter((e) => e.kind === 'request' && e.batchRequestId);
    expect(items).toHaveLength(8);
  });

  it('returns responses in a shuffled order when the switch is on and in request order when off', async () => {
    const requests = Array.from({ length: 20 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: '/organization' }));
    const shuffled = (await batch(requests)).body.responses.map((r: { id: string }) => r.id);
    expect(shuffled).not.toEqual(requests.map((r) => r.id));
    expect([...shuffled].sort()).toEqual(requests.map((r) => r.id).sort());
    sim.settings.shuffleBatchResponses = false;
    expect((await batch(requests)).body.responses.map((r: { id: string }) => r.id)).toEqual(requests.map((r) => r.id));
  });

  it('fails dependants of a failed request with 424 and runs dependants of a successful one', async () => {
    const user = holders()[0]!;
    const res = await batch([
      { id: '1', method: 'GET', url: '/users/nobody@contoso.com' },
      {
        id: '2',
        method: 'POST',
        url: `/users/${user.id}/assignLicense`,
        headers: JSON_HEADERS,
        body: assignBody([{ skuId: SPB }], [BS]),
        dependsOn: ['1'],
      },
      { id: '3', method: 'GET', url: `/users/${user.id}`, dependsOn: ['2'] },
      { id: '4', method: 'PATCH', url: `/users/${user.id}`, headers: JSON_HEADERS, body: { usageLocation: 'FR' } },
      { id: '5', method: 'GET', url: `/users/${user.id}?$select=usageLocation`, dependsOn: ['4'] },
    ]);
    const status = Object.fromEntries(res.body.responses.map((r: { id: string; status: number }) => [r.id, r.status]));
    expect(status).toEqual({ '1': 404, '2': 424, '3': 424, '4': 204, '5': 200 });
    expect(res.body.responses.find((r: { id: string }) => r.id === '5').body.usageLocation).toBe('FR');
    expect(user.assignedLicenses.map((l) => l.skuId)).toEqual([BS]);
  });

  it('accepts a base64 body', async () => {
    const user = holders()[0]!;
    const body = Buffer.from(JSON.stringify(assignBody([{ skuId: SPB }], [BS]))).toString('base64');
    const res = await batch([
      { id: 'a', method: 'POST', url: `/users/${user.id}/assignLicense`, headers: JSON_HEADERS, body },
    ]);
    expect(res.body.responses[0].status).toBe(200);
  });

  it.each([
    [
      'more than 20 requests',
      { requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/organization' })) },
    ],
    [
      'duplicate ids (case-insensitive)',
      {
        requests: [
          { id: 'a', method: 'GET', url: '/organization' },
          { id: 'A', method: 'GET', url: '/domains' },
        ],
      },
    ],
    [
      'an absolute url',
      { requests: [{ id: 'a', method: 'GET', url: 'https://graph.microsoft.com/v1.0/organization' }] },
    ],
    [
      'a body without headers',
      { requests: [{ id: 'a', method: 'PATCH', url: '/users/x', body: { usageLocation: 'US' } }] },
    ],
    ['a missing id', { requests: [{ method: 'GET', url: '/organization' }] }],
    ['an unknown dependency', { requests: [{ id: 'a', method: 'GET', url: '/organization', dependsOn: ['b'] }] }],
    ['no requests array', { value: [] }],
    [
      'circular dependencies',
      {
        requests: [
          { id: 'a', method: 'GET', url: '/organization', dependsOn: ['b'] },
          { id: 'b', method: 'GET', url: '/domains', dependsOn: ['a'] },
        ],
      },
    ],
  ])('rejects a malformed batch (%s) with 400', async (_name, payload) => {
    const res = await call(sim, 'POST', '/$batch', payload);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BadRequest');
    expect(res.headers.get('request-id')).toBeTruthy();
  });
});
