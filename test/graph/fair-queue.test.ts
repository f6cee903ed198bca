/** Deficit round robin over flows (src/graph/fair-queue.ts), and the gates that use it, on the virtual clock. */
import { FairQueue } from '../../src/graph/fair-queue';
import { RateGate, TenantPacer } from '../../src/graph/pacing';
import { TEST_START_MS } from '../support/clock';
import { VirtualClock } from './virtual-clock';

const drain = <T>(queue: FairQueue<T>): string[] => {
  const served: string[] = [];
  for (let next = queue.shift(); next; next = queue.shift()) served.push(`${next.flow}:${String(next.item)}`);
  return served;
};

describe('FairQueue', () => {
  it('serves flows in turn, each first come first served, however much one flow queued first', () => {
    const queue = new FairQueue<number>(1, () => 1);
    for (let i = 0; i < 5; i += 1) queue.push('big', i);
    queue.push('small', 0);
    queue.push('small', 1);
    expect(drain(queue)).toEqual(['big:0', 'small:0', 'big:1', 'small:1', 'big:2', 'big:3', 'big:4']);
    expect(queue.size).toBe(0);
  });

  it('weighs turns by units: a flow of one-unit requests gets as many units as a flow of twenty-unit batches', () => {
    const queue = new FairQueue<{ id: string; units: number }>(20, (item) => item.units);
    for (let i = 0; i < 3; i += 1) queue.push('batches', { id: `b${i}`, units: 20 });
    for (let i = 0; i < 45; i += 1) queue.push('reads', { id: `r${i}`, units: 1 });
    const order: string[] = [];
    for (let next = queue.shift(); next; next = queue.shift()) order.push(next.item.id);
    // One batch, then twenty single reads, then the next batch.
    expect(order.slice(0, 22)).toEqual(['b0', ...Array.from({ length: 20 }, (_, i) => `r${i}`), 'b1']);
  });

  it('forgets a flow that emptied: it gets no credit for the time it was idle', () => {
    const queue = new FairQueue<number>(1, () => 1);
    queue.push('a', 1);
    expect(queue.shift()).toEqual({ flow: 'a', item: 1 });
    queue.push('b', 1);
    queue.push('b', 2);
    queue.push('a', 2);
    queue.push('a', 3);
    expect(drain(queue)).toEqual(['b:1', 'a:2', 'b:2', 'a:3']);
  });

  it('takes out a caller that gave up', () => {
    const queue = new FairQueue<number>(1, () => 1);
    queue.push('a', 1);
    queue.push('a', 2);
    expect(queue.remove('a', 1)).toBe(true);
    expect(queue.remove('a', 1)).toBe(false);
    expect(drain(queue)).toEqual(['a:2']);
  });
});

describe('fair gates', () => {
  it("the write gate serves runs in turn: a small run's batch never waits behind a large run's queue", async () => {
    const clock = new VirtualClock();
    const gate = new RateGate(clock, true);
    const rate = 20 / 1000; // one batch of 20 a second
    const done: Record<'large' | 'small', number[]> = { large: [], small: [] };
    const take = async (flow: 'large' | 'small') => {
      await gate.take(20, rate, 20, undefined, flow);
      done[flow].push(clock.now() - TEST_START_MS);
    };
    const large = Array.from({ length: 30 }, () => take('large'));
    await clock.sleep(2_500);
    const small = [take('small'), take('small')];
    await Promise.all([...large, ...small]);
    // Queued 2.5 s after the large run's 30 batches, the small run's two go out in the next two turns.
    expect(done.small).toEqual([4_000, 6_000]);
    expect(done.large.at(-1)).toBe(32_000);
  });

  it("the resource-unit gate does the same for reads: a 100,000-user plan's chunks do not starve a 20-user plan", async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, {
      writeBudgetPer150s: 3000,
      resourceUnitBudgetPer10s: 100,
      maxConcurrency: 8,
    });
    let smallDone = 0;
    let largeDone = 0;
    const large = Array.from({ length: 200 }, () =>
      pacer.takeResourceUnits(1, undefined, 'large').then(() => (largeDone += 1)),
    );
    const small = Promise.all([
      pacer.takeResourceUnits(1, undefined, 'small'),
      pacer.takeResourceUnits(1, undefined, 'small'),
    ]).then(() => (smallDone = clock.now() - TEST_START_MS));
    await Promise.all([...large, small]);
    // 10 RU/s with a second's burst: first come first served would let the small plan through after 20 s.
    expect(smallDone).toBeLessThanOrEqual(300);
    expect(largeDone).toBe(200);
  });

  it('concurrency slots go round robin by run', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, {
      writeBudgetPer150s: 3000,
      resourceUnitBudgetPer10s: 3500,
      maxConcurrency: 1,
    });
    const order: string[] = [];
    const hold = await pacer.concurrency.acquire('large');
    const waiting = [
      ...[1, 2, 3].map((n) =>
        pacer.concurrency.acquire('large').then((release) => (order.push(`large${n}`), release())),
      ),
      pacer.concurrency.acquire('small').then((release) => (order.push('small'), release())),
    ];
    hold();
    await Promise.all(waiting);
    expect(order).toEqual(['large1', 'small', 'large2', 'large3']);
  });
});
