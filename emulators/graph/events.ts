import type { AssignedLicense, LicenseChangeEvent, NoiseKind, RequestEvent, SimulatorEvent, Violation } from './types';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Append-only event log. Entries are small plain objects that reference (never copy) the immutable license
 * arrays of the tenant, so hundreds of thousands of entries stay cheap. Counters are kept separately so
 * they stay O(1) to read.
 */
export class EventLog {
  private entries: SimulatorEvent[] = [];
  private seq = 0;
  readonly counters = {
    requests: 0,
    writes: 0,
    /** 429s from the app's own use of the documented limits (background 429s count under `noise`). */
    throttled: 0,
    faults: 0,
    licenseChanges: 0,
    byStatus: {} as Record<string, number>,
    /** Background trouble (realistic profile), by kind. */
    noise: { throttle: 0, unavailable: 0, reset: 0 } as Record<NoiseKind, number>,
  };

  appendRequest(event: Omit<RequestEvent, 'kind' | 'seq'>, record: boolean): void {
    this.counters.requests++;
    this.counters.writes += event.writeCost;
    if (event.status === 429 && !event.noise) this.counters.throttled++;
    if (event.fault) this.counters.faults++;
    if (event.noise) this.counters.noise[event.noise]++;
    const key = String(event.status);
    this.counters.byStatus[key] = (this.counters.byStatus[key] ?? 0) + 1;
    if (record) this.entries.push({ kind: 'request', seq: ++this.seq, ...event });
  }

  appendLicenseChange(event: Omit<LicenseChangeEvent, 'kind' | 'seq'>): void {
    this.counters.licenseChanges++;
    this.entries.push({ kind: 'license', seq: ++this.seq, ...event });
  }

  /** Group and membership events, and license-state changes that left the licenses as they were. */
  append(event: DistributiveOmit<Exclude<SimulatorEvent, LicenseChangeEvent | RequestEvent>, 'seq'>): void {
    this.entries.push({ ...event, seq: ++this.seq });
  }

  /** A copy of the log (or the part after `sinceSeq`). */
  list(sinceSeq = 0): SimulatorEvent[] {
    if (sinceSeq <= 0) return this.entries.slice();
    // Sequence numbers grow with the index, so a binary search finds the start.
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid]?.seq ?? 0) <= sinceSeq) lo = mid + 1;
      else hi = mid;
    }
    return this.entries.slice(lo);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Writes recorded at or after `sinceAt`, per app and in total (walks back from the newest entry). */
  recentWrites(sinceAt: number): { total: number; perApp: Record<string, number> } {
    const perApp: Record<string, number> = {};
    let total = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as SimulatorEvent;
      if (e.at < sinceAt) break;
      if (e.kind !== 'request' || e.writeCost === 0) continue;
      total += e.writeCost;
      perApp[e.appId] = (perApp[e.appId] ?? 0) + e.writeCost;
    }
    return { total, perApp };
  }

  clear(): void {
    this.entries = [];
    this.seq = 0;
    this.counters.requests = 0;
    this.counters.writes = 0;
    this.counters.throttled = 0;
    this.counters.faults = 0;
    this.counters.licenseChanges = 0;
    this.counters.byStatus = {};
    this.counters.noise = { throttle: 0, unavailable: 0, reset: 0 };
  }
}

/**
 * Finds users who lost a license while a swap was in progress: an event removed SKUs without adding any
 * (the user was left with less than before) and a later event for the same user added a SKU. That is the
 * signature of remove-then-add done as two calls; a single atomic assignLicense or add-then-remove never
 * produces it.
 */
export function findUnlicensedGaps(events: readonly SimulatorEvent[], opts: { withinMs?: number } = {}): Violation[] {
  const withinMs = opts.withinMs ?? Number.POSITIVE_INFINITY;
  const open = new Map<string, { at: number; lost: string[] }>();
  const violations: Violation[] = [];
  for (const event of events) {
    if (event.kind !== 'license') continue;
    const added = skuDifference(event.after, event.before);
    const removed = skuDifference(event.before, event.after);
    const pending = open.get(event.userId);
    if (added.length > 0) {
      if (pending && event.at - pending.at <= withinMs) {
        violations.push({
          kind: 'unlicensedGap',
          userId: event.userId,
          at: pending.at,
          until: event.at,
          lostSkuIds: pending.lost,
          message: `User ${event.userPrincipalName} (${event.userId}) was without ${pending.lost.join(', ')} for ${event.at - pending.at} ms before ${added.join(', ')} was added.`,
        });
      }
      open.delete(event.userId);
    } else if (removed.length > 0) {
      if (pending) pending.lost.push(...removed);
      else open.set(event.userId, { at: event.at, lost: removed });
    }
  }
  return violations;
}

/**
 * Finds users left holding no license at all: an event took their last license away (direct or inherited from a
 * group). The interval ends when a later event gives them one again; a user still unlicensed at the end of the log is
 * reported with `until` equal to `at`. Stricter than findUnlicensedGaps: it does not need the license to come back.
 */
export function findUnlicensedPeriods(events: readonly SimulatorEvent[]): Violation[] {
  const open = new Map<string, { at: number; lost: string[]; upn: string }>();
  const violations: Violation[] = [];
  for (const event of events) {
    if (event.kind !== 'license') continue;
    const pending = open.get(event.userId);
    if (event.after.length > 0 && pending) {
      violations.push(unlicensed(event.userId, pending, event.at));
      open.delete(event.userId);
    } else if (event.after.length === 0 && event.before.length > 0 && !pending) {
      open.set(event.userId, { at: event.at, lost: event.before.map((l) => l.skuId), upn: event.userPrincipalName });
    }
  }
  for (const [userId, pending] of open) violations.push(unlicensed(userId, pending, pending.at));
  return violations;
}

function unlicensed(userId: string, period: { at: number; lost: string[]; upn: string }, until: number): Violation {
  const length = until > period.at ? `for ${until - period.at} ms` : 'from then on';
  return {
    kind: 'unlicensed',
    userId,
    at: period.at,
    until,
    lostSkuIds: period.lost,
    message: `User ${period.upn} (${userId}) held no license ${length} after losing ${period.lost.join(', ')}.`,
  };
}

/** A SKU's service plans, as `subscribedSkus` lists them: what a license switches on, less its disabled plans. */
export interface SkuPlans {
  skuId: string;
  servicePlans: readonly { servicePlanId: string }[];
}

/**
 * Plan-level evidence: finds users who held one of `planIds` (a service, such as Exchange Online Plan 1 or Plan 2)
 * and then, after an event, held none of them, whether or not a later event gave one back. Licenses count with
 * their disabled plans, direct and group-inherited alike, so a swap that switched Exchange off for a moment, or a
 * group change that removed the old product before the new one reached a member, shows up here.
 */
export function findServiceGaps(
  events: readonly SimulatorEvent[],
  options: { skus: readonly SkuPlans[]; planIds: readonly string[]; service?: string },
): Violation[] {
  const wanted = new Set(options.planIds.map((id) => id.toLowerCase()));
  const plansOf = new Map(
    options.skus.map((sku) => [sku.skuId.toLowerCase(), sku.servicePlans.map((p) => p.servicePlanId.toLowerCase())]),
  );
  const holds = (licenses: readonly AssignedLicense[]): boolean =>
    licenses.some((license) => {
      const off = new Set(license.disabledPlans.map((id) => id.toLowerCase()));
      return (plansOf.get(license.skuId.toLowerCase()) ?? []).some((id) => wanted.has(id) && !off.has(id));
    });
  const service = options.service ?? options.planIds.join(' or ');
  const open = new Map<string, { at: number; upn: string }>();
  const violations: Violation[] = [];
  const gap = (userId: string, from: { at: number; upn: string }, until: number): Violation => ({
    kind: 'serviceGap',
    userId,
    at: from.at,
    until,
    planIds: [...options.planIds],
    message:
      until > from.at
        ? `User ${from.upn} (${userId}) was without ${service} for ${until - from.at} ms.`
        : `User ${from.upn} (${userId}) lost ${service} and did not get it back.`,
  });
  for (const event of events) {
    if (event.kind !== 'license') continue;
    const before = holds(event.before);
    const after = holds(event.after);
    const pending = open.get(event.userId);
    if (before && !after && !pending) open.set(event.userId, { at: event.at, upn: event.userPrincipalName });
    if (after && pending) {
      violations.push(gap(event.userId, pending, event.at));
      open.delete(event.userId);
    }
  }
  for (const [userId, pending] of open) violations.push(gap(userId, pending, pending.at));
  return violations;
}

function skuDifference(a: readonly AssignedLicense[], b: readonly AssignedLicense[]): string[] {
  const other = new Set(b.map((l) => l.skuId));
  return a.filter((l) => !other.has(l.skuId)).map((l) => l.skuId);
}

/**
 * Checks the write rate against the documented budgets with a sliding window over request events:
 * per app+tenant (default 3,000 per 150 s) and, when `perTenant` is given or left default, per tenant
 * (18,000 per 5 min). Throttled requests count too: Graph keeps logging usage while it throttles.
 * With a time scale k, pass `perApp: 3000 * k` (limits scale, windows do not).
 */
export function findWriteBudgetViolations(
  events: readonly SimulatorEvent[],
  opts: { perApp?: number; windowMs?: number; perTenant?: number; tenantWindowMs?: number } = {},
): Violation[] {
  const perApp = opts.perApp ?? 3000;
  const windowMs = opts.windowMs ?? 150_000;
  const perTenant = opts.perTenant ?? 18_000;
  const tenantWindowMs = opts.tenantWindowMs ?? 300_000;
  // Background refusals never reached the directory (they carry no write cost either): they spend no budget.
  const writes = events.filter((e): e is RequestEvent => e.kind === 'request' && e.writeCost > 0 && !e.noise);
  const violations: Violation[] = [];
  const byApp = new Map<string, RequestEvent[]>();
  for (const w of writes) {
    const list = byApp.get(w.appId) ?? [];
    list.push(w);
    byApp.set(w.appId, list);
  }
  for (const [appId, list] of byApp) {
    const v = firstOverflow(list, perApp, windowMs);
    if (v) {
      violations.push({
        kind: 'writeBudget',
        appId,
        ...v,
        limit: perApp,
        message: `App ${appId} sent ${v.count} writes within ${windowMs} ms (budget ${perApp}).`,
      });
    }
  }
  const tenant = firstOverflow(writes, perTenant, tenantWindowMs);
  if (tenant) {
    violations.push({
      kind: 'writeBudget',
      ...tenant,
      limit: perTenant,
      message: `The tenant received ${tenant.count} writes within ${tenantWindowMs} ms (budget ${perTenant}).`,
    });
  }
  return violations;
}

/** The first window of `windowMs` holding more than `limit` writes (two-pointer sweep over sorted times). */
function firstOverflow(
  list: readonly RequestEvent[],
  limit: number,
  windowMs: number,
): { at: number; until: number; count: number } | null {
  let start = 0;
  let sum = 0;
  for (let end = 0; end < list.length; end++) {
    const current = list[end] as RequestEvent;
    sum += current.writeCost;
    while ((list[start] as RequestEvent).at <= current.at - windowMs) {
      sum -= (list[start] as RequestEvent).writeCost;
      start++;
    }
    if (sum > limit) return { at: (list[start] as RequestEvent).at, until: current.at, count: sum };
  }
  return null;
}
