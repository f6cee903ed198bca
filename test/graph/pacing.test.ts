import { AdaptiveConcurrency, RateGate, TenantPacer } from '../../src/graph/pacing';
import { TEST_START_MS } from '../support/clock';
import { VirtualClock } from './virtual-clock';

const limits = { writeBudgetPer150s: 3000, resourceUnitBudgetPer10s: 3500, maxConcurrency: 8 };

/** Takes `batches` batches of `size` writes one after another and returns when each was let through. */
async function sendTimes(pacer: TenantPacer, clock: VirtualClock, batches: number, size = 20): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < batches; i += 1) {
    await pacer.takeWrites(size);
    times.push(clock.now());
  }
  return times;
}

/** Most writes let through in any window of `windowMs` ending at a send time. */
function maxInWindow(times: number[], size: number, windowMs: number): number {
  let max = 0;
  for (const end of times) max = Math.max(max, times.filter((t) => t > end - windowMs && t <= end).length * size);
  return max;
}

describe('write pacing', () => {
  it('makes up time the pipeline spent idle, up to two seconds of writes, never more', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, { ...limits, writeBudgetPer150s: 3000 * 20 });
    // 400 writes/s: after ten idle seconds only two seconds' worth (800 writes) may go at once.
    await clock.sleep(10_000);
    const start = clock.now();
    const times = await sendTimes(pacer, clock, 60);
    const burst = times.filter((t) => t === start).length * 20;
    expect(burst).toBe(800);
    expect(times[times.length - 1]! - start).toBeCloseTo(((60 * 20 - 800) / 400) * 1000, -1);
  });

  it('paces batches smoothly at the budget instead of bursting it', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, { ...limits, writeBudgetPer150s: 2850 });
    const start = clock.now();
    const times = await sendTimes(pacer, clock, 300);
    // 2850 per 150 s is 19 writes/s. The bucket starts empty (a new process never bursts), so one batch of 20
    // every 1.053 s from the start.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(times[0]! - start).toBeCloseTo(20_000 / 19, 0);
    for (const gap of gaps) expect(gap).toBeCloseTo(20_000 / 19, 0);
    expect(maxInWindow(times, 20, 150_000)).toBeLessThanOrEqual(2850 + 40);
    expect(maxInWindow(times, 20, 10_000)).toBeLessThanOrEqual(220);
  });

  it('serves concurrent callers first come first served at the shared rate', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    const order: string[] = [];
    await Promise.all(
      ['a', 'b', 'c', 'd'].map(async (name) => {
        await pacer.takeWrites(20);
        order.push(`${name}@${clock.now() - TEST_START_MS}`);
      }),
    );
    expect(order).toEqual(['a@1000', 'b@2000', 'c@3000', 'd@4000']);
  });

  it('adds up the budget shares of callers active at once, capped at the whole budget', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    const half = pacer.lease(0.5);
    expect(pacer.writeRate * 150_000).toBeCloseTo(1500);
    const times = await sendTimes(pacer, clock, 5);
    expect(times[4]! - times[0]!).toBeCloseTo(8_000, -1);
    const otherHalf = pacer.lease(0.5);
    const third = pacer.lease(0.5);
    expect(pacer.writeRate * 150_000).toBeCloseTo(3000);
    [half, otherHalf, third].forEach((lease) => lease.release());
    expect(pacer.shareInUse).toBe(1);
  });

  const OURS = 'Tenant_Application/Write/9a3d526c-b3c1-4479-ba74-197b5c5751ae/0785ef7c-2d7a-4542-b048-95bcab406e0b';

  it('a stray 429 (no throttle scope naming our budget) holds back nobody else and does not cut the pace', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    await pacer.takeWrites(20);
    const sentAt = clock.now();
    expect(pacer.onThrottled({ kind: 'write', retryAfterMs: 30_000, startedAt: sentAt })).toBe('noise');
    expect(pacer.currentWriteRateFactor).toBe(1);
    const next = await sendTimes(pacer, clock, 2);
    // Paced as before: 20 writes at 20/s every second, no 30 s pause.
    expect(next.map((t) => t - sentAt)).toEqual([1_000, 2_000]);
  });

  it('a stray 429 gives its writes back: Graph ran none of them, so the resend does not wait for them twice', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    const start = clock.now();
    await sendTimes(pacer, clock, 3);
    // The third batch (sent at 3 s) comes back a stray 429: its 20 writes go back to the gate.
    pacer.onThrottled({ kind: 'write', retryAfterMs: 0, startedAt: clock.now(), writes: 20 });
    const resend = await sendTimes(pacer, clock, 2);
    expect(resend.map((t) => t - start)).toEqual([3_000, 4_000]);
  });

  it('a 429 scoped to our budget gives nothing back: our pace is what Graph refused', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    await sendTimes(pacer, clock, 3);
    const sentAt = clock.now();
    pacer.onThrottled({ kind: 'write', retryAfterMs: 1_000, startedAt: sentAt, scope: OURS, writes: 20 });
    const [resent] = await sendTimes(pacer, clock, 1);
    // Not before the pause ends, and then only after earning 20 writes at the cut pace (15/s).
    expect(resent! - sentAt).toBeGreaterThanOrEqual(1_000 + 20_000 / 15 - 1);
  });

  it('a 429 scoped to our app and tenant pauses writes until Retry-After, then resumes paced, not in a burst', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    await pacer.takeWrites(20);
    const sentAt = clock.now();
    expect(pacer.onThrottled({ kind: 'write', retryAfterMs: 7_500, startedAt: sentAt, scope: OURS })).toBe(
      'congestion',
    );
    expect(pacer.currentWriteRateFactor).toBeCloseTo(0.75);
    const resumed = await sendTimes(pacer, clock, 2);
    // The bucket restarts empty at the end of the pause, at the cut pace (15/s: 20 writes take 1.33 s to earn).
    expect(resumed[0]! - sentAt).toBeGreaterThan(8_500);
    expect(resumed[1]! - resumed[0]!).toBeGreaterThan(1_000);
  });

  it('steady throttling at the same pace is congestion even without a scope header', () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    pacer.onAnswered('write', 20);
    const verdicts = [1, 2, 3, 4].map(() =>
      pacer.onThrottled({ kind: 'write', retryAfterMs: 1_000, startedAt: clock.now() }),
    );
    expect(verdicts).toEqual(['noise', 'noise', 'noise', 'congestion']);
  });

  it('2 % stray 429s never count as congestion', () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    const verdicts: string[] = [];
    for (let i = 0; i < 1_000; i += 1) {
      if (i % 50 === 0)
        verdicts.push(pacer.onThrottled({ kind: 'write', retryAfterMs: 5_000, startedAt: clock.now() }));
      else pacer.onAnswered('write');
    }
    expect(verdicts.every((verdict) => verdict === 'noise')).toBe(true);
  });

  it('cuts once per pause, and regrows with time: back to 0.9 of the budget within 30 s of the last cut', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    const throttle = () =>
      pacer.onThrottled({ kind: 'write', retryAfterMs: 1_000, startedAt: clock.now(), scope: OURS });
    throttle();
    expect(pacer.currentWriteRateFactor).toBeCloseTo(0.75);
    // Another 429 for a request sent before this pause ended does not cut again.
    pacer.onThrottled({ kind: 'write', retryAfterMs: 500, startedAt: clock.now() - 1, scope: OURS });
    expect(pacer.currentWriteRateFactor).toBeCloseTo(0.75);
    // A storm, a cut after every 1 s pause: the pace settles where a cut takes back what a second regrew (0.15).
    for (let i = 0; i < 30; i += 1) {
      await clock.sleep(1_000);
      throttle();
    }
    expect(pacer.currentWriteRateFactor).toBeLessThan(0.2);
    await clock.sleep(16_000);
    expect(pacer.currentWriteRateFactor).toBeGreaterThanOrEqual(0.9);
    await clock.sleep(3_000);
    expect(pacer.currentWriteRateFactor).toBe(1);
  });

  it('a reservation made before a 429 still waits for Retry-After', async () => {
    const clock = new VirtualClock();
    const gate = new RateGate(clock);
    await gate.take(20, 0.02, 20);
    const later = gate.take(20, 0.02, 20).then(() => clock.now());
    gate.pauseUntil(clock.now() + 30_000);
    expect(await later).toBeGreaterThanOrEqual(TEST_START_MS + 30_000);
  });

  it('gives the reservation back when the caller aborts while waiting', async () => {
    const clock = new VirtualClock();
    const gate = new RateGate(clock);
    await gate.take(20, 0.02, 20);
    const controller = new AbortController();
    const waiting = gate.take(20, 0.02, 20, controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
    await gate.take(20, 0.02, 20);
    expect(clock.now()).toBe(TEST_START_MS + 1_000);
  });

  it('charges the resource-unit gate with the real cost reported by Graph', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, { ...limits, resourceUnitBudgetPer10s: 100 });
    await pacer.takeResourceUnits(10); // a second's worth may go at once
    pacer.correctResourceUnits(40); // Graph said 50, not 10
    await pacer.takeResourceUnits(10);
    expect(clock.now() - TEST_START_MS).toBeCloseTo(5_000, -1);
  });
});

describe('adaptive concurrency', () => {
  it('halves on a 429 once per round, trims at 100 % of a limit, holds above 90 %, and regrows gradually', async () => {
    const clock = new VirtualClock();
    const concurrency = new AdaptiveConcurrency(8, clock);
    expect(concurrency.limit).toBe(8);
    const before = clock.now();
    await clock.sleep(10);
    concurrency.onThrottled(clock.now());
    expect(concurrency.limit).toBe(4);
    concurrency.onThrottled(before); // sent before the cut: describes the old level
    expect(concurrency.limit).toBe(4);
    await clock.sleep(10);
    concurrency.onResponse(clock.now(), 1.2);
    expect(concurrency.limit).toBe(3);
    concurrency.onResponse(clock.now(), 0.95);
    concurrency.onResponse(clock.now(), 1);
    expect(concurrency.limit).toBe(3);
    let responses = 0;
    while (concurrency.limit < 8) {
      concurrency.onResponse(clock.now(), undefined);
      responses += 1;
    }
    // About one more slot per round of `limit` successful responses: 3+4+5+6+7 = 25.
    expect(responses).toBeGreaterThanOrEqual(20);
    expect(responses).toBeLessThanOrEqual(30);
  });

  it('never lets more requests in flight than the current limit', async () => {
    const clock = new VirtualClock();
    const concurrency = new AdaptiveConcurrency(3, clock);
    let inFlight = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const release = await concurrency.acquire();
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await clock.sleep(100 + i);
        inFlight -= 1;
        release();
      }),
    );
    expect(peak).toBe(3);
    expect(concurrency.active).toBe(0);
  });
});

describe('recovery and idle tenants (virtual clock)', () => {
  const OURS = 'Tenant_Application/Write/9a3d526c-b3c1-4479-ba74-197b5c5751ae/0785ef7c-2d7a-4542-b048-95bcab406e0b';

  it('after a 60 s storm of throttling, writes are back at 0.9 of the budget or more within 30 s', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits); // 3,000 per 150 s: 20 writes/s
    const grants: number[] = [];
    let stormOver = false;
    let stop = false;
    const pump = (async () => {
      while (!stop) {
        await pacer.takeWrites(20);
        grants.push(clock.now());
        // During the storm Graph refuses every write, naming our budget, with a 1 s Retry-After.
        if (!stormOver) pacer.onThrottled({ kind: 'write', retryAfterMs: 1_000, startedAt: clock.now(), scope: OURS });
      }
    })();
    let end: number;
    let cutTo: number;
    try {
      await clock.sleep(60_000);
      stormOver = true;
      end = clock.now();
      cutTo = pacer.currentWriteRateFactor;
      await clock.sleep(60_000);
    } finally {
      stop = true;
      await pump;
    }
    // A cut per pause, the regrowth in between: the pace settles near half the budget during the storm.
    expect(cutTo!).toBeLessThan(0.6);
    const window = 10_000;
    const recoveredAt = grants.find(
      (t) => t >= end && grants.filter((g) => g >= t && g < t + window).length * 20 >= 0.9 * 20 * (window / 1000),
    );
    expect(recoveredAt).toBeDefined();
    expect(recoveredAt! - end!).toBeLessThanOrEqual(30_000);
  });

  it('an idle tenant goes back to its configured limits: full write pace and full concurrency', async () => {
    const clock = new VirtualClock();
    const pacer = new TenantPacer(clock, limits);
    const release = await pacer.concurrency.acquire();
    pacer.onThrottled({ kind: 'write', retryAfterMs: 1_000, startedAt: clock.now() - 1, scope: OURS });
    release();
    expect(pacer.concurrency.limit).toBe(4);
    expect(pacer.currentWriteRateFactor).toBeCloseTo(0.75);
    await clock.sleep(30_000);
    (await pacer.concurrency.acquire())();
    expect(pacer.concurrency.limit).toBe(8);
    expect(pacer.currentWriteRateFactor).toBe(1);
  });
});
