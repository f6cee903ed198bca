/**
 * The tenant ledger (document.ts) in blob storage, changed only by read-modify-write with the blob's ETag
 * (`If-Match`): a write that lost a race (412) reads again and reapplies its change, so leases and reservations from
 * any number of instances never overwrite each other. See docs/architecture.md for why a blob and not an entity.
 *
 * One TenantLedger per process and tenant also keeps the process's batch-activity leases: it registers, renews and
 * drops them in one write per turn for all of them (at most one write in flight), and answers each lease's share of
 * the budget from what it knows now: at once for changes in this process, within a renewal for the others.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { errorMessage } from '../domain/values';
import type { DocumentStore } from '../storage/document-store';
import {
  asLedger,
  consume,
  emptyLedger,
  heldByOthers,
  heldSeats,
  LEASE_TTL_MS,
  liveWeight,
  prune,
  release,
  renewReservation,
  reserve,
  type ConsumptionEntry,
  type LedgerDocument,
} from './document';

/** How often a process renews its leases (well inside LEASE_TTL_MS), in real time like a heartbeat. */
export const LEASE_RENEW_MS = 5_000;
const MAX_ATTEMPTS = 30;

/** A batch activity's hold on the tenant's budget. */
export interface LedgerHold {
  /** This activity's share of the tenant's budget now: its weight over every live lease's. */
  share(): number;
  /** Seats of a target SKU the run's writes just took (shrinks the run's reservation). */
  consumed(skuId: string, seats: number): void;
  /** Done: the lease goes at the next write, and the others' shares grow at once in this process. */
  release(): void;
}

interface LocalLease {
  runId: string;
  weight: number;
  /** Written to the ledger at least once: its share is the ledger's from then on. */
  registered: boolean;
}

export class TenantLedger {
  readonly path: string;
  private readonly local = new Map<string, LocalLease>();
  private readonly released = new Set<string>();
  private consumption = new Map<string, ConsumptionEntry[]>();
  /** Live weight of leases held elsewhere, as of the last write. */
  private remoteWeight = 0;
  private syncing: Promise<void> | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: DocumentStore,
    readonly tenantKey: string,
    private readonly clock: Clock,
    private readonly log: (message: string, error?: unknown) => void = () => undefined,
  ) {
    const id = createHash('sha256').update(tenantKey).digest('hex').slice(0, 24);
    this.path = `tenants/${id}/ledger.json`;
  }

  /** Applies a change by read-modify-write, again on every lost race. `change` returns whether to write. */
  async update<R>(change: (doc: LedgerDocument, now: number) => { result: R; write: boolean }): Promise<R> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.store.readVersioned<unknown>(this.path);
      const doc = stored ? asLedger(stored.value) : emptyLedger();
      const now = this.clock.now();
      const pruned = prune(doc, now);
      const { result, write } = change(doc, now);
      if (!write && !pruned) return result;
      const options = stored ? { ifMatch: stored.etag } : { onlyIfAbsent: true };
      if (await this.store.write(this.path, doc, options)) return result;
      if (attempt >= MAX_ATTEMPTS)
        throw new Error(`The tenant ledger ${this.path} kept changing under ${attempt} writes.`);
      // Another instance wrote in between: read again after a short, spread-out pause.
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 20 * Math.min(attempt, 5))));
    }
  }

  /** The ledger as it stands now (expired entries left out). */
  async read(): Promise<LedgerDocument> {
    const stored = await this.store.read<unknown>(this.path);
    const doc = stored === undefined ? emptyLedger() : asLedger(stored);
    prune(doc, this.clock.now());
    return doc;
  }

  /** Seats a run still holds, per SKU (empty once it has taken them all, or ended). */
  async reservedSeats(runId: string): Promise<{ skuId: string; seats: number }[]> {
    const entry = (await this.read()).reservations[runId];
    if (!entry) return [];
    return Object.entries(heldSeats(entry)).map(([skuId, seats]) => ({ skuId, seats }));
  }

  /** Seats all runs still hold, per SKU id (lower case): what GET /api/skus shows as reserved. */
  async seatsReservedPerSku(): Promise<Record<string, number>> {
    const total: Record<string, number> = {};
    for (const entry of Object.values((await this.read()).reservations)) {
      for (const [skuId, seats] of Object.entries(heldSeats(entry))) {
        total[skuId.toLowerCase()] = (total[skuId.toLowerCase()] ?? 0) + seats;
      }
    }
    return total;
  }

  /** Drops a run's reservation when it ends (cancelled, failed or done); only unsettled consumption stays. */
  async releaseReservation(runId: string): Promise<void> {
    await this.update((doc) => {
      const had = doc.reservations[runId] !== undefined;
      release(doc, runId);
      return { result: undefined, write: had };
    });
  }

  /** Reserves a run's seats if `decide` allows it, given what other runs hold; one atomic step. */
  async reserveIf<R extends { ready: boolean }>(
    runId: string,
    needed: Record<string, number>,
    decide: (heldByOthers: Record<string, { runId: string; seats: number }[]>) => R,
  ): Promise<R> {
    return this.update((doc, now) => {
      const decision = decide(heldByOthers(doc, runId));
      if (decision.ready) reserve(doc, runId, needed, now);
      return { result: decision, write: decision.ready };
    });
  }

  /** Registers a batch activity's lease; its share is `weight` until the ledger has it, then weight ÷ all live. */
  hold(runId: string, weight: number): LedgerHold {
    const holder = randomUUID();
    const lease: LocalLease = { runId, weight, registered: false };
    this.local.set(holder, lease);
    this.startHeartbeat();
    this.requestSync();
    let done = false;
    return {
      share: () =>
        lease.registered ? lease.weight / Math.max(lease.weight, this.remoteWeight + this.localWeight()) : weight,
      consumed: (skuId, seats) => {
        if (seats <= 0) return;
        const list = this.consumption.get(runId) ?? [];
        list.push({ at: this.clock.now(), skuId, seats });
        this.consumption.set(runId, list);
        this.requestSync();
      },
      release: () => {
        if (done) return;
        done = true;
        this.local.delete(holder);
        this.released.add(holder);
        this.requestSync();
      },
    };
  }

  /** Writes this process's leases now and learns the others' (instead of at the next heartbeat). */
  async refresh(): Promise<void> {
    this.requestSync();
    await this.settle();
  }

  /** Waits until everything this process has to tell the ledger is written (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.syncing) await this.syncing;
  }

  private localWeight(): number {
    let total = 0;
    for (const lease of this.local.values()) total += lease.weight;
    return total;
  }

  private requestSync(): void {
    this.dirty = true;
    this.syncing ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await this.sync();
        } catch (error) {
          // The next turn tries again; until then shares stay as last known, and leases stay alive for 30 s.
          this.log(`Could not update the tenant ledger: ${errorMessage(error)}`, error);
        }
      }
    } finally {
      this.syncing = undefined;
    }
  }

  /** One write for every lease, release and consumption of this process since the last one. */
  private async sync(): Promise<void> {
    const leases = [...this.local.entries()];
    const released = [...this.released];
    const consumption = this.consumption;
    this.consumption = new Map();
    try {
      const remote = await this.update((doc, now) => {
        for (const holder of released) delete doc.leases[holder];
        for (const [holder, lease] of leases) {
          doc.leases[holder] = { runId: lease.runId, weight: lease.weight, expiresAt: now + LEASE_TTL_MS };
          renewReservation(doc, lease.runId, now);
        }
        for (const [runId, taken] of consumption) consume(doc, runId, taken);
        return { result: liveWeight(doc, new Set(leases.map(([holder]) => holder))), write: true };
      });
      this.remoteWeight = remote;
      for (const holder of released) this.released.delete(holder);
      for (const [, lease] of leases) lease.registered = true;
    } catch (error) {
      // Not recorded: keep it for the next turn.
      for (const [runId, taken] of consumption)
        this.consumption.set(runId, [...taken, ...(this.consumption.get(runId) ?? [])]);
      throw error;
    }
  }

  /** Renews this process's leases while it holds any; a real-time heartbeat, like a request timeout. */
  private startHeartbeat(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.local.size === 0 && this.released.size === 0 && this.consumption.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      this.requestSync();
    }, LEASE_RENEW_MS);
    this.timer.unref();
  }
}

const ledgers = new WeakMap<object, WeakMap<object, Map<string, TenantLedger>>>();

/**
 * The process's ledger for a tenant. Keyed by store and clock too, so tests with their own store or virtual clock
 * never share one.
 */
export function tenantLedger(
  store: DocumentStore,
  tenantKey: string,
  clock: Clock,
  log?: (message: string, error?: unknown) => void,
): TenantLedger {
  let byClock = ledgers.get(store);
  if (!byClock) {
    byClock = new WeakMap();
    ledgers.set(store, byClock);
  }
  let byTenant = byClock.get(clock);
  if (!byTenant) {
    byTenant = new Map();
    byClock.set(clock, byTenant);
  }
  let ledger = byTenant.get(tenantKey);
  if (!ledger) {
    ledger = new TenantLedger(store, tenantKey, clock, log);
    byTenant.set(tenantKey, ledger);
  }
  return ledger;
}
