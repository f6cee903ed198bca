/**
 * Stage 3 (purchase check): are the subscriptions there, active, and with enough free licenses? Microsoft's
 * plan-change guide says to check that both subscriptions are listed and active and, if the new one is not there
 * yet, to try again later; this says in plain words what is missing so the admin knows what to buy or fix.
 */
import { freeSeats, skuName, type FreeSeatsFormula } from './skus';
import type { TenantSku } from './types';

export interface LicenseAssessment {
  ready: boolean;
  /** One sentence per blocking problem, e.g. "need 40, 12 free: buy 28 more Microsoft 365 Business Premium licenses". */
  reasons: string[];
  /** Things worth knowing that do not block (a subscription in its grace period). */
  notes: string[];
  targets: {
    skuId: string;
    name: string;
    status: string;
    needed: number;
    free: number;
    /** Free seats other runs have reserved (they count as taken). */
    reservedByOthers?: number;
  }[];
}

/** Seats of one SKU other runs reserved at their purchase check and have not taken yet. */
export type SeatHolders = { runId: string; seats: number }[];

/** "40 reserved by run e3-e5-wave-1", "45 reserved by runs a (40) and b (5)". */
export function describeHolders(holders: SeatHolders): string {
  const total = holders.reduce((sum, h) => sum + h.seats, 0);
  if (holders.length === 1) return `${total} reserved by run ${holders[0]?.runId ?? ''}`;
  const names = holders.map((h) => `${h.runId} (${h.seats})`);
  return `${total} reserved by runs ${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

const ADMIN_CENTER = 'https://admin.microsoft.com/#/subscriptions';

function findSku(skus: TenantSku[], skuId: string): TenantSku | undefined {
  return skus.find((sku) => sku.skuId.toLowerCase() === skuId.toLowerCase());
}

/** Why a subscription in this state cannot be used, or undefined when it can. */
function unusableBecause(sku: TenantSku, name: string): string | undefined {
  switch (sku.capabilityStatus) {
    case 'Enabled':
    case 'Warning':
      return undefined;
    case 'Suspended':
      return `the ${name} subscription is Suspended: reactivate it (or fix its billing) in the Microsoft 365 admin center (${ADMIN_CENTER})`;
    case 'LockedOut':
      return `the ${name} subscription was cancelled (LockedOut): buy it again for this organisation (${ADMIN_CENTER})`;
    case 'Deleted':
      return `the ${name} subscription was deleted: buy it again for this organisation (${ADMIN_CENTER})`;
    default:
      return `the ${name} subscription is in state ${sku.capabilityStatus}, which does not allow assigning licenses`;
  }
}

/**
 * Whether the tenant's SKUs (`subscribedSkus`) allow the plan to run now: every target listed, assignable to users,
 * Enabled (Warning allowed, noted) and with at least the seats needed free; every source still listed.
 */
export function assessLicenses(input: {
  skus: TenantSku[];
  /** Seats needed per target SKU id (from the plan summary). */
  seatsNeeded: Record<string, number>;
  sourceSkuIds: string[];
  formula?: FreeSeatsFormula;
  /** Names of SKUs the tenant no longer lists, from the plan (so a missing SKU is still named). */
  partNumbers?: Record<string, string>;
  /** Seats other runs reserved per SKU id (lower case): free seats they hold are not free for this run. */
  reservedByOthers?: Record<string, SeatHolders>;
}): LicenseAssessment {
  const { skus, seatsNeeded, sourceSkuIds, formula = 'enabledMinusConsumed', partNumbers = {} } = input;
  const reservedByOthers = input.reservedByOthers ?? {};
  const reasons: string[] = [];
  const notes: string[] = [];
  const targets: LicenseAssessment['targets'] = [];
  const knownName = (skuId: string) => {
    const partNumber = partNumbers[skuId];
    return partNumber ? skuName({ skuPartNumber: partNumber }) : skuId;
  };

  for (const [skuId, needed] of Object.entries(seatsNeeded)) {
    const sku = findSku(skus, skuId);
    if (!sku) {
      const name = knownName(skuId);
      reasons.push(`${name} is not in this tenant: buy it for this organisation (${ADMIN_CENTER})`);
      targets.push({ skuId, name, status: 'missing', needed, free: 0 });
      continue;
    }
    const name = skuName(sku);
    const free = freeSeats(sku, formula);
    const holders = reservedByOthers[skuId.toLowerCase()] ?? [];
    const reserved = holders.reduce((sum, h) => sum + h.seats, 0);
    targets.push({
      skuId,
      name,
      status: sku.capabilityStatus,
      needed,
      free,
      ...(reserved > 0 ? { reservedByOthers: reserved } : {}),
    });
    if (sku.appliesTo !== 'User') {
      reasons.push(`${name} applies to the whole company and cannot be assigned to users`);
      continue;
    }
    const unusable = unusableBecause(sku, name);
    if (unusable) {
      reasons.push(unusable);
      continue;
    }
    if (sku.capabilityStatus === 'Warning') {
      notes.push(
        `the ${name} subscription is in its grace period (Warning): renew it so the licenses are not suspended`,
      );
    }
    if (free - reserved < needed) {
      const missing = needed - Math.max(0, free - reserved);
      const held = reserved > 0 ? ` but ${describeHolders(holders)}` : '';
      reasons.push(
        `need ${needed}, ${free} free${held}: buy ${missing} more ${name} license${missing === 1 ? '' : 's'} (${ADMIN_CENTER})`,
      );
    }
  }

  for (const skuId of sourceSkuIds) {
    const sku = findSku(skus, skuId);
    if (!sku) {
      reasons.push(`${knownName(skuId)}, the license being replaced, is no longer listed in this tenant`);
    } else if (sku.capabilityStatus !== 'Enabled') {
      notes.push(`the ${skuName(sku)} subscription being replaced is ${sku.capabilityStatus}`);
    }
  }

  return { ready: reasons.length === 0, reasons, notes, targets };
}
