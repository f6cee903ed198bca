/**
 * The fakes the activity tests stand on keep the promises of the interfaces they replace (DocumentStore,
 * LicensingGraph), so a passing activity test says something about production.
 */
import { GraphRequestError } from '../../src/graph';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD, GROUP_A, inherited, makeUser } from '../domain/fixtures';
import { FakeLicensingGraph, graphError } from './fake-licensing-graph';
import { MemoryDocumentStore } from './memory-store';

const STANDARD = { skuId: BUSINESS_STANDARD.skuId, disabledPlans: [] };
const PREMIUM = { skuId: BUSINESS_PREMIUM.skuId, disabledPlans: [] };

describe('MemoryDocumentStore', () => {
  it('round-trips copies of documents, lists by prefix in order, and deletes', async () => {
    const store = new MemoryDocumentStore();
    const document = { moved: 2 };
    await store.write('migrations/m1/results/0002.json', document);
    await store.write('migrations/m1/results/0001.json', { moved: 1 });
    await store.write('migrations/m2/request.json', { x: true });
    document.moved = 99;
    expect(await store.read('migrations/m1/results/0002.json')).toEqual({ moved: 2 });
    expect(await store.list('migrations/m1/')).toEqual([
      'migrations/m1/results/0001.json',
      'migrations/m1/results/0002.json',
    ]);
    await store.delete('migrations/m2/request.json');
    expect(await store.read('migrations/m2/request.json')).toBeUndefined();
  });

  it('writes once with onlyIfAbsent', async () => {
    const store = new MemoryDocumentStore();
    expect(await store.write('requests/a.json', { first: true }, { onlyIfAbsent: true })).toBe(true);
    expect(await store.write('requests/a.json', { first: false }, { onlyIfAbsent: true })).toBe(false);
    expect(await store.read('requests/a.json')).toEqual({ first: true });
    expect(store.writes).toEqual(['requests/a.json']);
  });
});

describe('FakeLicensingGraph', () => {
  it('applies assignLicense atomically per user, counting seats and leaving group licenses alone', async () => {
    const standard = { ...BUSINESS_STANDARD, consumedUnits: 1 };
    const premium = { ...BUSINESS_PREMIUM, consumedUnits: 0 };
    const user = makeUser([STANDARD, PREMIUM], {
      licenseAssignmentStates: [
        { skuId: STANDARD.skuId, assignedByGroup: null, disabledPlans: [], state: 'Active', error: 'None' },
        inherited(PREMIUM, GROUP_A),
      ],
    });
    const graph = new FakeLicensingGraph({ skus: [standard, premium], users: [user] });
    const [result] = await graph.assignLicenses([
      { userId: user.id.toUpperCase(), addLicenses: [PREMIUM], removeLicenses: [STANDARD.skuId] },
    ]);
    expect(result).toMatchObject({ ok: true, after: [PREMIUM], attempts: 1, throttled: 0 });
    expect(graph.user(user.id)?.licenseAssignmentStates.map((state) => state.assignedByGroup)).toEqual([null, GROUP_A]);
    expect([graph.sku(standard.skuId)?.consumedUnits, graph.sku(premium.skuId)?.consumedUnits]).toEqual([0, 0]);
  });

  it('fails the items and reads it was told to, with classified Graph errors', async () => {
    const user = makeUser([STANDARD]);
    const graph = new FakeLicensingGraph({ users: [user] });
    const refusal = graphError('assignLicense', {
      status: 400,
      code: 'Request_BadRequest',
      message: `License assignment failed because subscription ${BUSINESS_PREMIUM.skuId} does not have any available licenses.`,
    });
    graph.failAssign(user.id, refusal);
    const [result] = await graph.assignLicenses([{ userId: user.id, addLicenses: [PREMIUM], removeLicenses: [] }]);
    expect(result).toMatchObject({ ok: false, error: { errorClass: 'userFixable', code: 'Request_BadRequest' } });
    expect(graph.user(user.id)?.assignedLicenses).toEqual([STANDARD]);
    await expect(graph.listGroupUserMembers(GROUP_A)).rejects.toBeInstanceOf(GraphRequestError);

    graph.serveStale(user.id, makeUser([]));
    expect((await graph.getUsersByIds([user.id])).found[0]?.assignedLicenses).toEqual([]);
    expect((await graph.getUsersByIds([user.id, 'nobody'])).found[0]?.assignedLicenses).toEqual([STANDARD]);
    expect((await graph.getUsersByIds(['nobody'])).missing).toEqual(['nobody']);
  });
});
