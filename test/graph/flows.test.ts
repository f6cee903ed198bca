/**
 * Runs share one tenant's budget fairly (`graph.forRun`), and a stray 429 holds back only the request it answered,
 * on the `$batch` path and on single requests alike. The layer runs against a loopback fake on the virtual clock.
 */
import { createLicensingGraph, DEFERRED_CODE, type AssignLicenseItem, type LicensingGraph } from '../../src/graph';
import { TEST_START_MS } from '../support/clock';
import { graphError, startFakeGraph, type FakeGraph, type FakeHandler } from './fake-graph';
import { VirtualClock } from './virtual-clock';

const SOURCE = 'f245ecc8-75af-4f8e-b61f-27d8114de5f3';
const TARGET = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';
const userId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const swap = (i: number): AssignLicenseItem => ({
  userId: userId(i),
  addLicenses: [{ skuId: TARGET, disabledPlans: [] }],
  removeLicenses: [SOURCE],
});
const assigned = (path: string) => ({
  status: 200,
  body: { id: path.split('/')[2], assignedLicenses: [{ skuId: TARGET, disabledPlans: [] }] },
});
const user = (id: string) => ({
  id,
  userPrincipalName: `${id}@contoso.com`,
  accountEnabled: true,
  usageLocation: 'NL',
  assignedLicenses: [{ skuId: SOURCE, disabledPlans: [] }],
  licenseAssignmentStates: [],
});
const STRAY_429 = graphError(429, 'TooManyRequests', 'Please retry again later.', { 'Retry-After': '30' });

let fake: FakeGraph | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Send times as the layer sends (the virtual clock may move on while a request is in flight). */
async function setUp(handler: FakeHandler, budget = 3000, ruBudget = 3500) {
  const clock = new VirtualClock();
  const sent: { at: number; body: unknown }[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    sent.push({
      at: clock.now() - TEST_START_MS,
      body: init?.body ? JSON.parse(init.body as string) : undefined,
    });
    return fetch(input, init);
  };
  fake = await startFakeGraph(handler, { shuffleBatch: false });
  const graph = createLicensingGraph(
    {
      baseUrl: fake.baseUrl,
      auth: 'none',
      writeBudgetPer150s: budget,
      resourceUnitBudgetPer10s: ruBudget,
      maxConcurrency: 8,
    },
    { clock, fetch: recordingFetch, random: () => 0.5 },
  );
  return { graph, clock, sent };
}

const run = (graph: LicensingGraph, id: string): LicensingGraph => graph.forRun?.(id) ?? graph;

describe('fair sharing between runs', () => {
  it("a 20-user run's writes go out within a turn, not after a 400-user run queued before it", async () => {
    const { graph, clock, sent } = await setUp((r) => assigned(r.path));
    // 3,000 writes per 150 s: one batch of 20 a second.
    const large = run(graph, 'large').assignLicenses(Array.from({ length: 400 }, (_, i) => swap(i)));
    await clock.sleep(3_000);
    const small = run(graph, 'small').assignLicenses(Array.from({ length: 20 }, (_, i) => swap(1000 + i)));
    await Promise.all([small, large]);
    const smallSentAt = sent.find((s) => JSON.stringify(s.body).includes(userId(1000)))?.at;
    // The batch being paced when it asked goes first, then it is the small run's turn. First come first served it
    // would wait for the large run's other 17 batches, until about 21 s.
    expect(smallSentAt).toBeLessThanOrEqual(5_000);
  });

  it("a 20-user plan's reads are not queued behind a 3,000-user plan's filter chunks", async () => {
    const { graph, clock } = await setUp(
      (r) => ({
        status: 200,
        body: { value: [user(r.query.get('$filter')?.match(/'([^']+)'/)?.[1] ?? userId(0))] },
      }),
      3000,
      100,
    );
    // 10 RU/s: the large plan's 200 chunks of 15 take 20 s at the read budget.
    const large = run(graph, 'large').getUsersByIds(Array.from({ length: 3000 }, (_, i) => userId(i)));
    await clock.sleep(1_000);
    const small = run(graph, 'small')
      .getUsersByIds(Array.from({ length: 20 }, (_, i) => userId(5000 + i)))
      .then(() => clock.now() - TEST_START_MS);
    const [smallDoneAt] = await Promise.all([small, large]);
    expect(smallDoneAt).toBeLessThanOrEqual(2_000);
  });
});

describe('a stray 429 holds back only its own request', () => {
  it('on the $batch path: the other items and the following batches go out on time', async () => {
    let strayed = false;
    const { graph, sent } = await setUp((r) => {
      if (!strayed && r.path.includes(userId(0))) {
        strayed = true;
        return STRAY_429;
      }
      return assigned(r.path);
    });
    const results = await graph.assignLicenses(Array.from({ length: 60 }, (_, i) => swap(i)));
    expect(results.every((r) => r.ok)).toBe(true);
    const batchTimes = sent.map((s) => s.at);
    // Three batches a second apart, then user 0 alone after its own 30 s.
    expect(batchTimes.slice(0, 3)).toEqual([1_000, 2_000, 3_000]);
    // (The virtual clock may move on while an answer is in flight, so "after 30 s" is measured from then.)
    expect(batchTimes[3]).toBeGreaterThanOrEqual(31_000);
    expect(batchTimes[3]).toBeLessThanOrEqual(33_000);
    expect(batchTimes).toHaveLength(4);
  });

  it('on single requests: a throttled read waits, another run reading at the same time does not', async () => {
    let throttled!: () => void;
    const strayed = new Promise<void>((resolve) => (throttled = resolve));
    let answered = 0;
    const { graph, sent } = await setUp(() => {
      answered += 1;
      if (answered === 1) {
        throttled();
        return STRAY_429;
      }
      return { status: 200, body: { value: [{ id: 'org', verifiedDomains: [{ name: 'contoso.com' }] }] } };
    });
    const first = run(graph, 'a').listVerifiedDomains();
    await strayed;
    const second = run(graph, 'b').listVerifiedDomains();
    await Promise.all([first, second]);
    // Run b's read goes out at once; run a's is sent again after its own 30 s.
    expect(sent.map((s) => s.at)).toEqual([0, 0, 30_000]);
  });

  it('direct reads go twenty to a $batch, and a throttled item is read again alone after its Retry-After', async () => {
    let strayed = false;
    const { graph, sent } = await setUp((r) => {
      if (!strayed && r.path.includes(userId(3))) {
        strayed = true;
        return STRAY_429;
      }
      return { status: 200, body: user(r.path.split('/')[2]!) };
    });
    const { found, missing } = await graph.getUsersDirect(Array.from({ length: 25 }, (_, i) => userId(i)));
    expect(found).toHaveLength(25);
    expect(missing).toEqual([]);
    const sizes = sent.map((s) => (s.body as { requests: unknown[] }).requests.length);
    expect(sizes.sort((a, b) => a - b)).toEqual([1, 5, 20]);
    expect(sent.find((s) => (s.body as { requests: unknown[] }).requests.length === 1)!.at).toBeGreaterThanOrEqual(
      30_000,
    );
  });
});

describe('handing throttled users back (deferThrottled)', () => {
  it('a throttled write comes back at once as Deferred, nothing resent and nothing waited for', async () => {
    const { graph, sent } = await setUp((r) => (r.path.includes(userId(7)) ? STRAY_429 : assigned(r.path)));
    const results = await graph.assignLicenses(
      Array.from({ length: 20 }, (_, i) => swap(i)),
      { deferThrottled: true },
    );
    expect(results[7]).toMatchObject({
      ok: false,
      attempts: 1,
      throttled: 1,
      error: { code: DEFERRED_CODE, status: 429 },
    });
    expect(results.filter((r) => r.ok)).toHaveLength(19);
    expect(sent).toHaveLength(1);
  });

  it('a throttled direct read is listed as deferred, the others are read', async () => {
    const { graph, sent } = await setUp((r) =>
      r.path.includes(userId(2)) ? STRAY_429 : { status: 200, body: user(r.path.split('/')[2]!) },
    );
    const ids = Array.from({ length: 5 }, (_, i) => userId(i));
    const read = await graph.getUsersDirect(ids, { deferThrottled: true });
    expect(read.found.map((u) => u.id)).toEqual([userId(0), userId(1), userId(3), userId(4)]);
    expect(read.deferred).toEqual([userId(2)]);
    expect(read.missing).toEqual([]);
    expect(sent).toHaveLength(1);
  });
});
