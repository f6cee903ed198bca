import type { ThrottleConfig } from './types';

/** [DOC] identity-and-access limits (throttling-limits page, 2025) and the global Graph limit. */
export const DOCUMENTED_THROTTLE_CONFIG: ThrottleConfig = {
  enabled: true,
  resourceUnitsPerAppTenant: { S: 3500, M: 5000, L: 8000 },
  ruWindowMs: 10_000,
  writesPerAppTenant: 3000,
  writeWindowMs: 150_000,
  writesPerTenant: 18_000,
  tenantWriteWindowMs: 300_000,
  resourceUnitsPerApp: 150_000,
  appRuWindowMs: 20_000,
  writesPerApp: 35_000,
  appWriteWindowMs: 300_000,
  requestsPerAppGlobal: 130_000,
  globalWindowMs: 10_000,
  chargeThrottledRequests: true,
};

/** A token bucket: `capacity` tokens refilled continuously over `windowMs`. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    private readonly windowMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.capacity) / this.windowMs);
      this.last = now;
    }
  }

  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  take(cost: number, now: number): void {
    this.refill(now);
    this.tokens -= cost;
  }

  /** Milliseconds until `cost` tokens are there. */
  waitMs(cost: number, now: number): number {
    this.refill(now);
    const deficit = cost - this.tokens;
    return deficit <= 0 ? 0 : (deficit * this.windowMs) / this.capacity;
  }

  /** Fraction of the capacity in use (1 = empty bucket). */
  usedFraction(now: number): number {
    this.refill(now);
    return (this.capacity - this.tokens) / this.capacity;
  }
}

export interface ThrottleDecision {
  allowed: boolean;
  /** Seconds (already divided by the time scale) before the request would pass. */
  retryAfterSeconds?: number;
  scope?: string;
  information?: string;
  /** `x-ms-throttle-limit-percentage` value when above 0.8. */
  limitPercentage?: number;
}

interface BucketSpec {
  key: string;
  scope: 'Tenant_Application' | 'Tenant' | 'Application';
  limit: 'ReadWrite' | 'Write';
  information: 'ResourceUnitLimitExceeded' | 'WriteLimitExceeded' | 'RequestLimitExceeded';
  capacity: number;
  windowMs: number;
  cost: number;
}

/** Every documented bucket a request draws from; limits are multiplied by the time scale k. */
export class Throttler {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private config: ThrottleConfig,
    private readonly timeScale: number,
  ) {}

  configure(config: ThrottleConfig): void {
    this.config = config;
    this.buckets.clear();
  }

  get settings(): ThrottleConfig {
    return this.config;
  }

  reset(): void {
    this.buckets.clear();
  }

  private specs(appId: string, tenantId: string, size: 'S' | 'M' | 'L', ru: number, writes: number): BucketSpec[] {
    const c = this.config;
    const k = this.timeScale;
    const effectiveSize = c.tenantSize ?? size;
    const specs: BucketSpec[] = [
      {
        key: `ru|${appId}|${tenantId}|${effectiveSize}`,
        scope: 'Tenant_Application',
        limit: 'ReadWrite',
        information: 'ResourceUnitLimitExceeded',
        capacity: c.resourceUnitsPerAppTenant[effectiveSize] * k,
        windowMs: c.ruWindowMs,
        cost: ru,
      },
      {
        key: `app-ru|${appId}`,
        scope: 'Application',
        limit: 'ReadWrite',
        information: 'ResourceUnitLimitExceeded',
        capacity: c.resourceUnitsPerApp * k,
        windowMs: c.appRuWindowMs,
        cost: ru,
      },
      {
        key: `global|${appId}`,
        scope: 'Application',
        limit: 'ReadWrite',
        information: 'RequestLimitExceeded',
        capacity: c.requestsPerAppGlobal * k,
        windowMs: c.globalWindowMs,
        cost: 1,
      },
    ];
    if (writes > 0) {
      specs.push(
        {
          key: `w|${appId}|${tenantId}`,
          scope: 'Tenant_Application',
          limit: 'Write',
          information: 'WriteLimitExceeded',
          capacity: c.writesPerAppTenant * k,
          windowMs: c.writeWindowMs,
          cost: writes,
        },
        {
          key: `tw|${tenantId}`,
          scope: 'Tenant',
          limit: 'Write',
          information: 'WriteLimitExceeded',
          capacity: c.writesPerTenant * k,
          windowMs: c.tenantWriteWindowMs,
          cost: writes,
        },
        {
          key: `aw|${appId}`,
          scope: 'Application',
          limit: 'Write',
          information: 'WriteLimitExceeded',
          capacity: c.writesPerApp * k,
          windowMs: c.appWriteWindowMs,
          cost: writes,
        },
      );
    }
    return specs;
  }

  private bucket(spec: BucketSpec, now: number): TokenBucket {
    let bucket = this.buckets.get(spec.key);
    if (!bucket) {
      bucket = new TokenBucket(spec.capacity, spec.windowMs, now);
      this.buckets.set(spec.key, bucket);
    }
    return bucket;
  }

  /** The largest fraction in use of any bucket the request would draw from, without charging it. */
  usage(appId: string, tenantId: string, size: 'S' | 'M' | 'L', writes: number, now: number): number {
    if (!this.config.enabled) return 0;
    return Math.max(
      0,
      ...this.specs(appId, tenantId, size, 1, writes).map((spec) => this.bucket(spec, now).usedFraction(now)),
    );
  }

  /** Charges a request and says whether it may run. */
  admit(
    appId: string,
    tenantId: string,
    size: 'S' | 'M' | 'L',
    ru: number,
    writes: number,
    now: number,
  ): ThrottleDecision {
    if (!this.config.enabled) return { allowed: true };
    const specs = this.specs(appId, tenantId, size, ru, writes);
    const pairs = specs.map((spec) => ({ spec, bucket: this.bucket(spec, now) }));
    const blocked = pairs.filter(({ spec, bucket }) => bucket.available(now) < spec.cost);
    if (blocked.length === 0) {
      for (const { spec, bucket } of pairs) bucket.take(spec.cost, now);
      const used = Math.max(...pairs.map(({ bucket }) => bucket.usedFraction(now)));
      return used > 0.8 ? { allowed: true, limitPercentage: Math.min(1.8, round(used, 2)) } : { allowed: true };
    }
    if (this.config.chargeThrottledRequests) for (const { spec, bucket } of pairs) bucket.take(spec.cost, now);
    // The longest wait decides. With charging on it is measured after this request spent its tokens, so a client
    // that waits exactly Retry-After gets through.
    let worst = blocked[0] as { spec: BucketSpec; bucket: TokenBucket };
    let worstWait = -1;
    for (const pair of blocked) {
      const wait = pair.bucket.waitMs(pair.spec.cost, now);
      if (wait > worstWait) {
        worst = pair;
        worstWait = wait;
      }
    }
    return {
      allowed: false,
      retryAfterSeconds: worstWait / 1000,
      scope: `${worst.spec.scope}/${worst.spec.limit}/${appId}/${tenantId}`,
      information: worst.spec.information,
      limitPercentage: Math.min(1.8, round(worst.bucket.usedFraction(now), 2)),
    };
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Retry-After as Graph sends it: whole seconds (rounded up, at least 1). With a time scale k > 1 the
 * real-world whole seconds are divided by k and written with up to three decimals (e.g. k = 10: "0.3").
 */
export function formatRetryAfter(seconds: number, timeScale: number): string {
  const realWorld = Math.max(1, Math.ceil(seconds * timeScale - 1e-9));
  if (timeScale === 1) return String(realWorld);
  return String(Math.round((realWorld / timeScale) * 1000) / 1000);
}

/** [DOC] base costs of the identity-and-access table and its modifiers. */
export function requestCost(
  method: string,
  segments: readonly string[],
  query: URLSearchParams,
): { ru: number; writes: number } {
  const m = method.toUpperCase();
  const isWrite = m === 'POST' || m === 'PATCH' || m === 'PUT' || m === 'DELETE';
  let ru = 1;
  const first = segments[0] ?? '';
  const last = segments[segments.length - 1] ?? '';
  if (m === 'GET') {
    if (segments.length === 1 && first === 'subscribedSkus') ru = 3;
    else if (segments.length === 1 && first === 'users') ru = 2;
    else if (first === 'groups' && (last === 'members' || last === 'membersWithLicenseErrors')) ru = 3;
    else if (first === 'groups' && last === 'transitiveMembers') ru = 5;
    else if (first === 'users' && last === 'licenseDetails') ru = 2;
    else if (first === 'users' && (last === 'memberOf' || last === 'transitiveMemberOf')) ru = 2;
  }
  if (query.has('$select')) ru -= 1;
  if (query.has('$expand')) ru += 1;
  const top = query.get('$top');
  if (top !== null && Number(top) < 20) ru -= 1;
  return { ru: Math.max(1, ru), writes: isWrite ? 1 : 0 };
}
