/**
 * Pacing against Graph's per app-and-tenant budgets (Microsoft Graph throttling limits, identity and access): a smooth write gate, a resource-unit gate and
 * an adaptive concurrency limit. One `TenantPacer` per tenant and clock is shared by every LicensingGraph in the
 * process, so several activities working on one tenant on one machine never add up to more than the budget.
 * Across machines the orchestrator hands each concurrent batch a `budgetShare` (see README.md).
 */

import type { Clock } from '../clock';
import { FairQueue } from './fair-queue';

export interface PacerLimits {
  writeBudgetPer150s: number;
  resourceUnitBudgetPer10s: number;
  maxConcurrency: number;
}

const WRITE_WINDOW_MS = 150_000;
const RU_WINDOW_MS = 10_000;
/** Writes one `$batch` may carry: the write gate lets one full batch through at once, never more. */
export const WRITE_BURST = 20;
/** The write gate lets two batches through at once, so a pump that fell behind (a busy event loop) can catch up. */
const WRITE_GATE_BURST = 2 * WRITE_BURST;
/**
 * ...or two seconds of writes at the current pace, whichever is more: time the pipeline spent reading or saving can be
 * made up right after. Graph's own bucket holds 150 s of writes, so a 2 s burst stays far inside it (at the default
 * budget, 2 s is about 38 writes, the same as two batches).
 */
const WRITE_GATE_BURST_MS = 2_000;
/**
 * On congestion the write pace is cut to 3/4, at most once per Retry-After pause, down to 5 % of the configured
 * budget: enough to absorb a budget set 20 times too high, or other apps and machines spending the same writes.
 */
const MIN_WRITE_RATE_FACTOR = 0.05;
const CONGESTION_CUT = 0.75;
/** After a cut the pace regrows with time, not with successes: from 5 % back to the full budget in 20 s. */
const RECOVERY_MS = 20_000;
/**
 * Graph throttles below its limits too, for reasons that are not the caller's ("429 possible even below limits").
 * Such a 429 holds back only the request it answered. Only a 429 whose `x-ms-throttle-scope` names this app's or the
 * tenant's budget, or throttling that keeps coming at the same pace (at least this share of the answers of the last
 * window, and at least this many), means our own pace is too high.
 */
const CONGESTION_WINDOW_MS = 10_000;
const CONGESTION_SHARE = 0.1;
const CONGESTION_MIN_THROTTLED = 4;

export type RequestKind = 'write' | 'read';

/** A 429 as the pacer sees it. */
export interface ThrottleSignal {
  kind: RequestKind;
  retryAfterMs: number;
  /** Clock time the throttled request left. */
  startedAt: number;
  /** `x-ms-throttle-scope` of the answer, e.g. `Tenant_Application/Write/<app>/<tenant>`. */
  scope?: string;
  /** Writes the throttled request carried (taken from the write gate when it was sent). */
  writes?: number;
}

/** Does a throttle scope name a budget this app spends for requests of this kind? */
export function scopeIsOurs(scope: string | undefined, kind: RequestKind): boolean {
  if (!scope) return false;
  const [level, limit] = scope.split('/');
  if (!level || !limit) return false;
  const ours = ['tenant_application', 'application', 'tenant'].includes(level.toLowerCase());
  const kinds = limit.toLowerCase() === 'readwrite' ? ['write', 'read'] : [limit.toLowerCase()];
  return ours && kinds.includes(kind);
}

/** Answers of the last window, to tell steady throttling (congestion) from stray 429s (noise). */
class ThrottleWindow {
  private readonly answers: { at: number; throttled: boolean }[] = [];

  constructor(private readonly clock: Clock) {}

  record(throttled: boolean, count = 1): void {
    const at = this.clock.now();
    for (let i = 0; i < count; i += 1) this.answers.push({ at, throttled });
    const horizon = at - CONGESTION_WINDOW_MS;
    while (this.answers.length > 0 && (this.answers[0]?.at ?? at) < horizon) this.answers.shift();
  }

  get congested(): boolean {
    const throttled = this.answers.filter((answer) => answer.throttled).length;
    return throttled >= CONGESTION_MIN_THROTTLED && throttled / Math.max(1, this.answers.length) >= CONGESTION_SHARE;
  }
}

/** Sleeps until `until` (clock time), or returns early with `false` when the signal aborts. */
async function sleepUntil(clock: Clock, until: number, signal?: AbortSignal): Promise<boolean> {
  const wait = until - clock.now();
  if (wait <= 0) return !signal?.aborted;
  if (!signal) {
    await clock.sleep(wait);
    return true;
  }
  if (signal.aborted) return false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  await Promise.race([clock.sleep(wait), aborted]);
  if (onAbort) signal.removeEventListener('abort', onAbort);
  return !signal.aborted;
}

interface GateWaiter {
  units: number;
  ratePerMs: number | (() => number);
  burst: number;
  signal?: AbortSignal;
  resolve(granted: boolean): void;
}

/** Flows with nothing to say share this one: calls made outside any run (start-up checks, the API). */
export const DEFAULT_FLOW = '';

/**
 * A rate gate in the GCRA form of a token bucket: units flow at `rate` per ms, at most `burst` units at once. Callers
 * wait in per-flow queues served by deficit round robin (one flow per migration run), so a run with a large plan
 * never makes a small run wait behind all of its requests; within a flow, first come first served.
 */
export class RateGate {
  /** Theoretical arrival time: when the bucket would be empty of debt. */
  private tat = Number.NEGATIVE_INFINITY;
  private pausedUntil = Number.NEGATIVE_INFINITY;
  /** After a pause the bucket starts empty: Graph's own bucket has just been emptied too. */
  private refillFrom = Number.NEGATIVE_INFINITY;
  private pauses = 0;
  private readonly queue: FairQueue<GateWaiter>;
  private serving = false;

  /**
   * `startEmpty`: the bucket starts empty rather than full, so a new process never bursts at start-up (another
   * process may just have spent the tenant's writes); idle time banked after that can still be made up.
   * `quantum`: units a flow may take per turn (one full `$batch` by default).
   */
  constructor(
    private readonly clock: Clock,
    startEmpty = false,
    quantum = WRITE_BURST,
  ) {
    if (startEmpty) this.refillFrom = clock.now();
    this.queue = new FairQueue<GateWaiter>(quantum, (waiter) => waiter.units);
  }

  /** Callers waiting for their turn (not counting the one being served). */
  get waiting(): number {
    return this.queue.size;
  }

  /**
   * Waits for `units` at the rate (units per ms) with a burst of `burst` units, in the flow's turn. Returns false
   * when the signal aborted before the units were granted (nothing is taken then).
   */
  take(
    units: number,
    ratePerMs: number | (() => number),
    burst: number,
    signal?: AbortSignal,
    flow: string = DEFAULT_FLOW,
  ): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        if (this.queue.remove(flow, waiter)) resolve(false);
      };
      const waiter: GateWaiter = {
        units,
        ratePerMs,
        burst,
        signal,
        resolve: (granted) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(granted);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(flow, waiter);
      void this.serve();
    });
  }

  /** One caller at a time gets its slot, in fair order; the next one's slot is reserved when its turn comes. */
  private async serve(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) await this.grant(next.item);
    } finally {
      this.serving = false;
    }
  }

  private async grant(waiter: GateWaiter): Promise<void> {
    const { units, ratePerMs, burst, signal } = waiter;
    for (;;) {
      const interval = 1 / (typeof ratePerMs === 'number' ? ratePerMs : ratePerMs());
      const pausesSeen = this.pauses;
      const start = Math.max(this.tat, this.clock.now(), this.pausedUntil, this.refillFrom + burst * interval);
      this.tat = start + units * interval;
      const allowedAt = Math.max(this.tat - burst * interval, this.pausedUntil);
      if (!(await sleepUntil(this.clock, allowedAt, signal))) {
        this.tat -= units * interval;
        waiter.resolve(false);
        return;
      }
      if (this.pauses === pausesSeen) {
        waiter.resolve(true);
        return;
      }
      // A 429 arrived while we waited: this slot was planned for a bucket Graph has since emptied, so queue again
      // behind the pause (at the pace in force now) instead of bursting at its end.
    }
  }

  /**
   * Nobody passes before `until` (a Retry-After); the caller being served waits for it too. New reservations then
   * start from an empty bucket, so sending resumes at the paced rate instead of with a burst.
   */
  pauseUntil(until: number): void {
    this.pauses += 1;
    this.pausedUntil = Math.max(this.pausedUntil, until);
    this.refillFrom = Math.max(this.refillFrom, until);
  }

  /** Corrects an estimate once the real cost is known (positive: spent more; negative: refund). */
  adjust(units: number, ratePerMs: number): void {
    this.tat += units / ratePerMs;
  }
}

/**
 * A concurrency limit unused for this long is restored to its maximum: a cut describes the tenant's state at that
 * time, and an idle tenant goes back to its configured limits.
 */
const CONCURRENCY_IDLE_RESET_MS = 30_000;

/**
 * Concurrency that adapts like TCP congestion control: halves on a 429, trims on a throttle percentage of 100 % or
 * more, holds above 90 %, and otherwise grows by about one slot per round of successful requests. Waiters are served
 * round robin by flow.
 */
export class AdaptiveConcurrency {
  private limitValue: number;
  private inFlight = 0;
  private readonly waiters = new FairQueue<() => void>(1, () => 1);
  /** Signals from requests started before the last cut describe the old level and do not cut again. */
  private lastCutAt = Number.NEGATIVE_INFINITY;
  private lastUsedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private max: number,
    private readonly clock: Clock,
    private readonly log?: (msg: string) => void,
  ) {
    this.limitValue = max;
  }

  get limit(): number {
    return Math.max(1, Math.floor(this.limitValue));
  }

  get active(): number {
    return this.inFlight;
  }

  setMax(max: number): void {
    this.max = max;
    this.limitValue = Math.min(this.limitValue, max);
  }

  async acquire(flow: string = DEFAULT_FLOW): Promise<() => void> {
    const now = this.clock.now();
    if (this.inFlight === 0 && now - this.lastUsedAt >= CONCURRENCY_IDLE_RESET_MS) this.limitValue = this.max;
    this.lastUsedAt = now;
    while (this.inFlight >= this.limit) {
      await new Promise<void>((resolve) => this.waiters.push(flow, resolve));
    }
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      this.lastUsedAt = this.clock.now();
      this.waiters.shift()?.item();
    };
  }

  onThrottled(startedAt: number): void {
    this.cut(0.5, startedAt, 'throttled (429)');
  }

  /** `x-ms-throttle-limit-percentage`: 0.8–1.8, sent only above 80 % of a limit. */
  onResponse(startedAt: number, limitPercentage: number | undefined): void {
    // Exactly 100 % is a budget in full use (our pace sits just under Graph's refill); only above it is anyone throttled.
    if (limitPercentage !== undefined && limitPercentage > 1) {
      this.cut(0.75, startedAt, `throttle limit at ${Math.round(limitPercentage * 100)} %`);
      return;
    }
    if (limitPercentage !== undefined && limitPercentage >= 0.9) return;
    const before = this.limit;
    this.limitValue = Math.min(this.max, this.limitValue + 1 / Math.max(1, this.limitValue));
    if (this.limit > before) this.wakeUpTo(this.limit - before);
  }

  private cut(factor: number, startedAt: number, why: string): void {
    if (startedAt <= this.lastCutAt) return;
    this.lastCutAt = this.clock.now();
    const before = this.limit;
    this.limitValue = Math.max(1, this.limitValue * factor);
    if (this.limit !== before) this.log?.(`graph: concurrency ${before} -> ${this.limit} (${why})`);
  }

  private wakeUpTo(count: number): void {
    for (let i = 0; i < count; i += 1) this.waiters.shift()?.item();
  }
}

/** Requests in flight (queued for the gates or sent) per flow, so one run's thousands of reads stay a short queue. */
class FlowSlots {
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly max: number) {}

  get idle(): boolean {
    return this.inFlight === 0 && this.waiters.length === 0;
  }

  async acquire(): Promise<() => void> {
    while (this.inFlight >= this.max) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      this.waiters.shift()?.();
    };
  }
}

export interface PacerLease {
  /** The share now (a lease from the tenant ledger changes as other holders come and go). */
  readonly share: number;
  release(): void;
}

/** Reads in flight (queued or sent) per flow; the concurrency gate still bounds what is sent at once. */
export const FLOW_READS_IN_FLIGHT = 16;

/** Budgets, gates and concurrency for one tenant as seen by this process. */
export class TenantPacer {
  readonly writes: RateGate;
  readonly resourceUnits: RateGate;
  readonly concurrency: AdaptiveConcurrency;
  private limits: PacerLimits;
  private readonly leases = new Set<PacerLease>();
  private readonly flowSlots = new Map<string, FlowSlots>();
  /** The write pace's factor right after the last cut, and when that was; it regrows with time from there. */
  private cutFactor = 1;
  private cutAt = Number.NEGATIVE_INFINITY;
  /** End of the last congestion pause: one cut per pause, however many answers report it. */
  private lastWritePauseEnd = Number.NEGATIVE_INFINITY;
  private readonly windows: Record<RequestKind, ThrottleWindow>;

  constructor(
    private readonly clock: Clock,
    limits: PacerLimits,
    private readonly log?: (msg: string) => void,
  ) {
    this.limits = { ...limits };
    this.writes = new RateGate(clock, true);
    // Reads cost 1 to 20 units each: turns of one unit keep a small run's single read from waiting behind twenty.
    this.resourceUnits = new RateGate(clock, false, 1);
    this.concurrency = new AdaptiveConcurrency(limits.maxConcurrency, clock, log);
    this.windows = { write: new ThrottleWindow(clock), read: new ThrottleWindow(clock) };
  }

  configure(limits: PacerLimits): void {
    this.limits = { ...limits };
    this.concurrency.setMax(limits.maxConcurrency);
  }

  /**
   * Registers a caller's budget share while it works. Shares of callers active at once add up (to at most 1), so
   * two activities on this machine with 1/2 each use the whole budget together, and one alone uses half.
   */
  lease(share: number | (() => number) = 1): PacerLease {
    const bounded = (value: number): number => (Number.isFinite(value) && value > 0 ? Math.min(1, value) : 1);
    const read = typeof share === 'number' ? () => share : share;
    const lease: PacerLease = {
      get share() {
        return bounded(read());
      },
      release: () => this.leases.delete(lease),
    };
    this.leases.add(lease);
    return lease;
  }

  /** Waits for one of the flow's read slots (FLOW_READS_IN_FLIGHT); returns its release. */
  flowReadSlot(flow: string): Promise<() => void> {
    let slots = this.flowSlots.get(flow);
    if (!slots) {
      slots = new FlowSlots(FLOW_READS_IN_FLIGHT);
      this.flowSlots.set(flow, slots);
    }
    const owner = slots;
    return owner.acquire().then((release) => () => {
      release();
      // A finished run's flow leaves no state behind.
      if (owner.idle && this.flowSlots.get(flow) === owner) this.flowSlots.delete(flow);
    });
  }

  /** Fraction of the tenant budget the callers in this process may use now. */
  get shareInUse(): number {
    if (this.leases.size === 0) return 1;
    let sum = 0;
    for (const lease of this.leases) sum += lease.share;
    return Math.min(1, sum);
  }

  /** The write pace as a share of the budget: 1 unless congestion cut it; it regrows with time after a cut. */
  get currentWriteRateFactor(): number {
    if (this.cutFactor >= 1) return 1;
    const regrown = this.cutFactor + (this.clock.now() - this.cutAt) / RECOVERY_MS;
    return Math.min(1, regrown);
  }

  /** Writes per ms allowed now. */
  get writeRate(): number {
    return (this.limits.writeBudgetPer150s / WRITE_WINDOW_MS) * this.shareInUse * this.currentWriteRateFactor;
  }

  get resourceUnitRate(): number {
    return (this.limits.resourceUnitBudgetPer10s / RU_WINDOW_MS) * this.shareInUse;
  }

  /** Waits until `count` writes may be sent (one batch at most), in the flow's turn. False when aborted first. */
  takeWrites(count: number, signal?: AbortSignal, flow: string = DEFAULT_FLOW): Promise<boolean> {
    const burst = Math.max(count, WRITE_GATE_BURST, this.writeRate * WRITE_GATE_BURST_MS);
    return this.writes.take(count, () => this.writeRate, burst, signal, flow);
  }

  /** Waits until `units` resource units may be spent (a second's worth may go at once), in the flow's turn. */
  takeResourceUnits(units: number, signal?: AbortSignal, flow: string = DEFAULT_FLOW): Promise<boolean> {
    const burst = Math.max(units, this.resourceUnitRate * 1000);
    return this.resourceUnits.take(units, () => this.resourceUnitRate, burst, signal, flow);
  }

  /** The real cost reported by `x-ms-resource-unit` differs from the estimate. */
  correctResourceUnits(extraUnits: number): void {
    if (extraUnits !== 0) this.resourceUnits.adjust(extraUnits, this.resourceUnitRate);
  }

  /**
   * A 429. Noise (no throttle scope naming our budget, and no steady throttling) holds back only the request it
   * answered, which waits for its own Retry-After, and gives its writes back to the gate: Graph refused it before
   * running it, so it spent nothing of the app's budget, and the resend takes them again. Congestion pauses every
   * request of that kind until Retry-After and cuts the write pace, at most once per pause. Returns which it was.
   */
  onThrottled(signal: ThrottleSignal): 'noise' | 'congestion' {
    const window = this.windows[signal.kind];
    window.record(true);
    if (!scopeIsOurs(signal.scope, signal.kind) && !window.congested) {
      if (signal.kind === 'write' && signal.writes) this.writes.adjust(-signal.writes, this.writeRate);
      return 'noise';
    }
    const until = this.clock.now() + signal.retryAfterMs;
    if (signal.kind === 'write') {
      if (signal.startedAt >= this.lastWritePauseEnd) {
        this.cutFactor = Math.max(MIN_WRITE_RATE_FACTOR, this.currentWriteRateFactor * CONGESTION_CUT);
        this.cutAt = this.clock.now();
        this.log?.(`graph: write pace cut to ${Math.round(this.cutFactor * 100)} % of budget (congestion)`);
      }
      if (until > this.lastWritePauseEnd) {
        this.log?.(`graph: writes paused ${Math.round(signal.retryAfterMs)} ms (Retry-After)`);
        this.lastWritePauseEnd = until;
      }
      this.writes.pauseUntil(until);
    } else {
      this.resourceUnits.pauseUntil(until);
    }
    this.concurrency.onThrottled(signal.startedAt);
    return 'congestion';
  }

  /** Answers that were not throttled, so stray 429s are weighed against everything that went through. */
  onAnswered(kind: RequestKind, count = 1): void {
    if (count > 0) this.windows[kind].record(false, count);
  }

  onResponse(startedAt: number, limitPercentage: number | undefined): void {
    this.concurrency.onResponse(startedAt, limitPercentage);
  }
}

const registry = new WeakMap<object, Map<string, TenantPacer>>();

/**
 * The process-wide pacer for a tenant. Keyed by clock too, so a test's virtual clock never shares state with the
 * real one.
 */
export function pacerFor(key: string, clock: Clock, limits: PacerLimits, log?: (msg: string) => void): TenantPacer {
  let byTenant = registry.get(clock);
  if (!byTenant) {
    byTenant = new Map();
    registry.set(clock, byTenant);
  }
  let pacer = byTenant.get(key);
  if (!pacer) {
    pacer = new TenantPacer(clock, limits, log);
    byTenant.set(key, pacer);
  } else {
    pacer.configure(limits);
  }
  return pacer;
}
