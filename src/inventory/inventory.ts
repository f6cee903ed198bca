/**
 * The tenant's license inventory as `GET /api/skus` answers it: each SKU with its product name from Microsoft's table,
 * seats (free, and reserved where the app has a seat ledger), what unfinished migrations still need, and its service
 * plans marked where they hold user data.
 */
import { holdsData } from '../domain/downgrade';
import { servicePlanFriendlyName } from '../domain/product-catalog';
import { freeSeats, skuName } from '../domain/skus';
import type { TenantSku, UserLicenseSnapshot } from '../domain/types';
import type { SeatDemand } from './demand';

export interface InventoryServicePlan {
  servicePlanId: string;
  servicePlanName: string;
  friendlyName: string;
  appliesTo?: string;
  provisioningStatus?: string;
  /** Removing this plan makes the user's content in it inaccessible (src/domain/downgrade.ts). */
  holdsData: boolean;
}

export interface InventorySeats {
  enabled: number;
  warning: number;
  suspended: number;
  lockedOut: number;
  consumed: number;
  /** enabled − consumed, never negative. */
  free: number;
  /** Held by runs that have not assigned them yet; present only where the app has a seat ledger. */
  reserved?: number;
  /** free − reserved; present with `reserved`. */
  available?: number;
}

export interface InventorySku {
  skuId: string;
  skuPartNumber: string;
  productName: string;
  appliesTo: string;
  capabilityStatus: string;
  seats: InventorySeats;
  /** Seats unfinished migrations still need, and which ones. */
  demand: { seats: number; migrations: { id: string; status: string; seats: number }[] };
  /** How many seats to buy for the unfinished migrations (present when short). */
  short?: number;
  servicePlans: InventoryServicePlan[];
  subscriptionIds?: string[];
  links: { users: string };
}

export function servicePlansOf(sku: TenantSku): InventoryServicePlan[] {
  return sku.servicePlans.map((plan) => ({
    servicePlanId: plan.servicePlanId,
    servicePlanName: plan.servicePlanName,
    friendlyName: servicePlanFriendlyName(plan),
    ...(plan.appliesTo !== undefined ? { appliesTo: plan.appliesTo } : {}),
    ...(plan.provisioningStatus !== undefined ? { provisioningStatus: plan.provisioningStatus } : {}),
    holdsData: holdsData(plan.servicePlanName),
  }));
}

export function inventorySku(
  sku: TenantSku,
  context: { baseUrl: string; demand: SeatDemand; reserved?: Record<string, number> },
): InventorySku {
  const free = freeSeats(sku);
  const seats: InventorySeats = {
    enabled: sku.prepaidUnits.enabled,
    warning: sku.prepaidUnits.warning,
    suspended: sku.prepaidUnits.suspended,
    lockedOut: sku.prepaidUnits.lockedOut,
    consumed: sku.consumedUnits,
    free,
  };
  if (context.reserved) {
    seats.reserved = context.reserved[sku.skuId.toLowerCase()] ?? 0;
    seats.available = Math.max(0, free - seats.reserved);
  }
  const demand = context.demand.bySku.get(sku.skuId.toLowerCase()) ?? { seats: 0, migrations: [] };
  const item: InventorySku = {
    skuId: sku.skuId,
    skuPartNumber: sku.skuPartNumber,
    productName: skuName(sku),
    appliesTo: sku.appliesTo,
    capabilityStatus: sku.capabilityStatus,
    seats,
    demand,
    servicePlans: servicePlansOf(sku),
    links: { users: `${context.baseUrl}/api/skus/${encodeURIComponent(sku.skuId)}/users` },
  };
  // Reserved seats are already spoken for by the runs in `demand`, so only free seats count against it.
  const short = demand.seats - free;
  if (short > 0) item.short = short;
  if (sku.subscriptionIds) item.subscriptionIds = sku.subscriptionIds;
  return item;
}

export interface SkuHolder {
  id: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  usageLocation: string | null;
  /** How the user holds the SKU: assigned directly, inherited from groups, or both. */
  assignment: 'direct' | 'group' | 'directAndGroup';
  /** Groups the SKU is inherited from. */
  groups: string[];
  /** Service plans switched off for this user (names). */
  disabledPlans: string[];
  /** An assignment of this SKU in error (CountViolation, MutuallyExclusiveViolation, …). */
  error?: string;
}

/** One holder of `sku`, direct or group-assigned as `licenseAssignmentStates` says (no state entry: direct). */
export function skuHolder(user: UserLicenseSnapshot, sku: TenantSku): SkuHolder {
  const id = sku.skuId.toLowerCase();
  const states = user.licenseAssignmentStates.filter((state) => state.skuId.toLowerCase() === id);
  const groups = [...new Set(states.flatMap((state) => (state.assignedByGroup ? [state.assignedByGroup] : [])))];
  const direct = states.length === 0 || states.some((state) => state.assignedByGroup == null);
  const license = user.assignedLicenses.find((candidate) => candidate.skuId.toLowerCase() === id);
  const planName = (planId: string) =>
    sku.servicePlans.find((plan) => plan.servicePlanId.toLowerCase() === planId.toLowerCase())?.servicePlanName ??
    planId;
  const holder: SkuHolder = {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    accountEnabled: user.accountEnabled,
    usageLocation: user.usageLocation,
    assignment: direct && groups.length > 0 ? 'directAndGroup' : direct ? 'direct' : 'group',
    groups,
    disabledPlans: (license?.disabledPlans ?? []).map(planName),
  };
  const failed = states.find((state) => state.error != null || state.state === 'Error');
  if (failed) holder.error = failed.error ?? failed.state;
  return holder;
}
