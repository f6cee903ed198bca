/**
 * The tenant ledger's document and the rules read from it (pure: every function takes the time as an argument).
 *
 * One JSON document per tenant holds:
 * - leases: every batch activity running against the tenant, on any instance, with its run and weight. A lease's
 *   share of the tenant's write budget is its weight over the weight of all live leases; a lease not renewed within
 *   LEASE_TTL_MS belongs to an instance that died and is ignored.
 * - reservations: seats per target SKU each run reserved when its purchase check passed, so two runs never count the
 *   same free seats. As the run's writes take seats, its reservation shrinks by what they took, but only once Graph's
 *   own seat count can be trusted to show them (CONSUMPTION_SETTLE_MS): until then those seats count as taken twice,
 *   which can only make another run wait a little longer, never let two runs overbook. A run that ends keeps only
 *   that unsettled part; a run that stops renewing (it crashed, or was terminated) loses it after RESERVATION_TTL_MS.
 */

export interface LeaseEntry {
  runId: string;
  weight: number;
  /** Clock ms after which the lease is ignored. */
  expiresAt: number;
}

export interface ConsumptionEntry {
  at: number;
  skuId: string;
  seats: number;
}

export interface ReservationEntry {
  /** Seats reserved per target SKU (lower-case id) at the purchase check. */
  seats: Record<string, number>;
  /** Seats the run's writes took, long enough ago for Graph's seat counts to show them. */
  consumed: Record<string, number>;
  /** Seats taken more recently. */
  recent: ConsumptionEntry[];
  reservedAt: number;
  expiresAt: number;
  /** The run ended: nothing beyond what it took is reserved any more. */
  released?: boolean;
}

export interface LedgerDocument {
  version: 1;
  leases: Record<string, LeaseEntry>;
  reservations: Record<string, ReservationEntry>;
}

/** A lease not renewed for this long is dead (its holder renews every few seconds while it runs). */
export const LEASE_TTL_MS = 30_000;
/** A reservation its run has not renewed for this long is dropped (the run renews it while it reassigns). */
export const RESERVATION_TTL_MS = 15 * 60_000;
/**
 * How long after a write Graph's seat count (`subscribedSkus.consumedUnits`) is trusted to include it. Microsoft
 * documents that directory reads lag writes without giving a figure; the simulator lags lists up to 10 s.
 */
export const CONSUMPTION_SETTLE_MS = 60_000;

export function emptyLedger(): LedgerDocument {
  return { version: 1, leases: {}, reservations: {} };
}

const sku = (skuId: string): string => skuId.toLowerCase();

/** Drops what has expired and credits settled consumption. Returns true when anything changed. */
export function prune(doc: LedgerDocument, now: number): boolean {
  let changed = false;
  for (const [holder, lease] of Object.entries(doc.leases)) {
    if (lease.expiresAt <= now) {
      delete doc.leases[holder];
      changed = true;
    }
  }
  for (const [runId, entry] of Object.entries(doc.reservations)) {
    const settled = entry.recent.filter((c) => c.at <= now - CONSUMPTION_SETTLE_MS);
    if (settled.length > 0) {
      for (const c of settled) entry.consumed[sku(c.skuId)] = (entry.consumed[sku(c.skuId)] ?? 0) + c.seats;
      entry.recent = entry.recent.filter((c) => c.at > now - CONSUMPTION_SETTLE_MS);
      changed = true;
    }
    const nothingLeft = entry.released === true && entry.recent.length === 0;
    if (entry.expiresAt <= now || nothingLeft) {
      delete doc.reservations[runId];
      changed = true;
    }
  }
  return changed;
}

/** Seats a run still holds per SKU: reserved minus what its writes took (settled). Call after `prune`. */
export function heldSeats(entry: ReservationEntry): Record<string, number> {
  const held: Record<string, number> = {};
  for (const [skuId, seats] of Object.entries(entry.seats)) {
    const left = seats - (entry.consumed[skuId] ?? 0);
    if (left > 0) held[skuId] = left;
  }
  return held;
}

/** Seats held by runs other than `runId`, per SKU, with who holds them. Call after `prune`. */
export function heldByOthers(doc: LedgerDocument, runId: string): Record<string, { runId: string; seats: number }[]> {
  const held: Record<string, { runId: string; seats: number }[]> = {};
  for (const [other, entry] of Object.entries(doc.reservations)) {
    if (other === runId) continue;
    for (const [skuId, seats] of Object.entries(heldSeats(entry))) (held[skuId] ??= []).push({ runId: other, seats });
  }
  return held;
}

/** Reserves (or renews) a run's seats; what its writes already took is kept. */
export function reserve(doc: LedgerDocument, runId: string, needed: Record<string, number>, now: number): void {
  const existing = doc.reservations[runId];
  const seats: Record<string, number> = {};
  for (const [skuId, count] of Object.entries(needed)) if (count > 0) seats[sku(skuId)] = count;
  doc.reservations[runId] = {
    seats,
    consumed: existing?.consumed ?? {},
    recent: existing?.recent ?? [],
    reservedAt: existing?.reservedAt ?? now,
    expiresAt: now + RESERVATION_TTL_MS,
  };
}

/** The run ended: it keeps only the seats its writes took that Graph may not show yet. */
export function release(doc: LedgerDocument, runId: string): void {
  const entry = doc.reservations[runId];
  if (!entry) return;
  const taken: Record<string, number> = { ...entry.consumed };
  for (const c of entry.recent) taken[sku(c.skuId)] = (taken[sku(c.skuId)] ?? 0) + c.seats;
  entry.seats = taken;
  entry.released = true;
  if (entry.recent.length === 0) delete doc.reservations[runId];
}

/** Records seats a run's writes took (a run without a reservation has nothing to shrink). */
export function consume(doc: LedgerDocument, runId: string, taken: ConsumptionEntry[]): void {
  const entry = doc.reservations[runId];
  if (!entry || taken.length === 0) return;
  entry.recent.push(...taken.map((c) => ({ ...c, skuId: sku(c.skuId) })));
}

/** Keeps a running run's reservation alive. */
export function renewReservation(doc: LedgerDocument, runId: string, now: number): void {
  const entry = doc.reservations[runId];
  if (entry && !entry.released) entry.expiresAt = now + RESERVATION_TTL_MS;
}

/** Total weight of live leases, leaving out the given holders. Call after `prune`. */
export function liveWeight(doc: LedgerDocument, except: ReadonlySet<string> = new Set()): number {
  let total = 0;
  for (const [holder, lease] of Object.entries(doc.leases)) if (!except.has(holder)) total += lease.weight;
  return total;
}

/** Reads a stored document defensively: anything unexpected starts an empty ledger. */
export function asLedger(value: unknown): LedgerDocument {
  if (typeof value !== 'object' || value === null) return emptyLedger();
  const doc = value as Partial<LedgerDocument>;
  if (doc.version !== 1 || typeof doc.leases !== 'object' || typeof doc.reservations !== 'object') return emptyLedger();
  return { version: 1, leases: doc.leases ?? {}, reservations: doc.reservations ?? {} };
}
