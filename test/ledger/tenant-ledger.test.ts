/**
 * The tenant ledger (src/ledger): budget shares of batch activities across instances, and seats reserved per run,
 * in one blob changed only by read-modify-write with its ETag. Time is a clock the test moves, from the fixed instant.
 */
import type { Clock } from '../../src/clock';
import { CONSUMPTION_SETTLE_MS, LEASE_TTL_MS, RESERVATION_TTL_MS } from '../../src/ledger/document';
import { TenantLedger } from '../../src/ledger/tenant-ledger';
import { describeHolders } from '../../src/domain/purchase';
import { TEST_START_MS } from '../support/clock';
import { MemoryDocumentStore } from '../support/memory-store';

const SPB = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';
const TENANT = 'https://graph.microsoft.com/v1.0|0785ef7c-2d7a-4542-b048-95bcab406e0b';

/** A clock that stands still until the test moves it. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = TEST_START_MS;
  return { now: () => now, sleep: () => Promise.resolve(), advance: (ms) => (now += ms) };
}

/** Two instances of the app: separate processes, one storage account. */
function twoInstances() {
  const store = new MemoryDocumentStore();
  const clock = manualClock();
  return { store, clock, a: new TenantLedger(store, TENANT, clock), b: new TenantLedger(store, TENANT, clock) };
}

/** A purchase check: ready when free seats minus other runs' holds cover the need. */
const check = (ledger: TenantLedger, runId: string, needed: number, free: number) =>
  ledger.reserveIf(runId, { [SPB]: needed }, (held) => {
    const holders = held[SPB] ?? [];
    const reserved = holders.reduce((sum, h) => sum + h.seats, 0);
    return { ready: free - reserved >= needed, why: holders.length > 0 ? describeHolders(holders) : '' };
  });

describe('budget shares', () => {
  it("an activity's share is its weight over every live lease's, across instances, and grows when others end", async () => {
    const { a, b } = twoInstances();
    const first = a.hold('big-run', 0.5);
    const second = a.hold('big-run', 0.5);
    const small = b.hold('small-run', 1);
    // Until the ledger has a lease, it is held to what the orchestrator gave it.
    expect(small.share()).toBe(1);
    await a.settle();
    await b.settle();
    await a.refresh(); // instance a's next write, which sees b's lease

    expect(first.share()).toBeCloseTo(0.25);
    expect(second.share()).toBeCloseTo(0.25);
    expect(small.share()).toBeCloseTo(0.5);
    // In the instance itself a release counts at once; the other instance learns of it at its next write.
    first.release();
    expect(second.share()).toBeCloseTo(1 / 3);
    await a.settle();
    second.release();
    await a.settle();
    await b.refresh();
    expect(small.share()).toBe(1);
  });

  it('a lease its instance stopped renewing no longer counts after 30 s', async () => {
    const { a, b, clock } = twoInstances();
    a.hold('crashed-run', 1); // never renewed or released: its instance died
    await a.settle();
    const alive = b.hold('run', 1);
    await b.settle();
    expect(alive.share()).toBeCloseTo(0.5);
    clock.advance(LEASE_TTL_MS + 1);
    await b.refresh();
    expect(alive.share()).toBe(1);
  });
});

describe('seat reservations', () => {
  it('of two runs needing 40 of 50 free seats, one reserves and the other is told who holds them', async () => {
    const { a, b } = twoInstances();
    const [first, second] = await Promise.all([check(a, 'run-a', 40, 50), check(b, 'run-b', 40, 50)]);
    // Both read the ledger empty; the slower write lost the race (412), read again and saw the other's seats.
    const outcomes = [first, second].sort((x, y) => Number(y.ready) - Number(x.ready));
    expect(outcomes[0]).toEqual({ ready: true, why: '' });
    expect(outcomes[1]?.ready).toBe(false);
    expect(outcomes[1]?.why).toMatch(/^40 reserved by run run-[ab]$/);
    const winner = first.ready ? 'run-a' : 'run-b';
    expect(await a.reservedSeats(winner)).toEqual([{ skuId: SPB, seats: 40 }]);
  });

  it('shrinks by the seats the run took once Graph can be trusted to show them, so nothing counts twice for long', async () => {
    const { a, clock } = twoInstances();
    await check(a, 'run-a', 40, 50);
    const hold = a.hold('run-a', 1);
    hold.consumed(SPB, 25);
    await a.settle();
    // Just taken: Graph's free seats may not show it yet, so the reservation still counts it.
    expect(await a.reservedSeats('run-a')).toEqual([{ skuId: SPB, seats: 40 }]);
    clock.advance(CONSUMPTION_SETTLE_MS);
    expect(await a.reservedSeats('run-a')).toEqual([{ skuId: SPB, seats: 15 }]);
    // Graph now shows 25 seats fewer free (25 instead of 50): another run needing 10 fits beside the 15 still held.
    expect(await check(a, 'run-b', 10, 25)).toEqual({ ready: true, why: '15 reserved by run run-a' });
    hold.release();
  });

  it("adds up every run's held seats per SKU for the license inventory", async () => {
    const { a, b } = twoInstances();
    expect(await a.seatsReservedPerSku()).toEqual({});
    await check(a, 'run-a', 20, 50);
    await check(b, 'run-b', 12, 50);
    expect(await b.seatsReservedPerSku()).toEqual({ [SPB]: 32 });
    await a.releaseReservation('run-a');
    expect(await b.seatsReservedPerSku()).toEqual({ [SPB]: 12 });
  });

  it('is released when its run ends, keeping only what Graph may not show yet', async () => {
    const { a, clock } = twoInstances();
    await check(a, 'run-a', 40, 50);
    const hold = a.hold('run-a', 1);
    hold.consumed(SPB, 30);
    hold.release();
    await a.settle();
    await a.releaseReservation('run-a');
    expect(await a.reservedSeats('run-a')).toEqual([{ skuId: SPB, seats: 30 }]);
    clock.advance(CONSUMPTION_SETTLE_MS);
    expect(await a.reservedSeats('run-a')).toEqual([]);
    expect((await a.read()).reservations).toEqual({});
  });

  it('expires when its run stops renewing it (crashed or terminated), and is renewed while the run writes', async () => {
    const { a, b, clock } = twoInstances();
    await check(a, 'stuck', 40, 50);
    await check(a, 'running', 5, 50);
    clock.advance(RESERVATION_TTL_MS - 1_000);
    const hold = b.hold('running', 1);
    await b.settle();
    clock.advance(2_000);
    expect(await a.reservedSeats('stuck')).toEqual([]);
    expect(await a.reservedSeats('running')).toEqual([{ skuId: SPB, seats: 5 }]);
    hold.release();
  });
});
