/**
 * Resolving what the caller wrote (SKU ids or part numbers, plan ids or names) against the tenant's
 * `subscribedSkus`, and the service-plan arithmetic of a move.
 */
import { friendlyProductName } from './friendly-names';
import type { Problem } from './request';
import type { MigrationRequest, ResolvedMove, TenantSku } from './types';

export type SkuResolution = { ok: true; sku: TenantSku } | { ok: false; reason: string };

const sameText = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** "O365_BUSINESS_PREMIUM (f245ecc8-75af-4f8e-b61f-27d8114de5f3), SPB (cbdc14ab-…)" for the user-assignable SKUs. */
export function describeTenantSkus(skus: TenantSku[]): string {
  const assignable = skus.filter((sku) => sku.appliesTo === 'User');
  if (assignable.length === 0) return 'none';
  return assignable.map((sku) => `${sku.skuPartNumber} (${sku.skuId})`).join(', ');
}

/** The SKU a reference names (skuId or skuPartNumber, case-insensitive); it must be assignable to users. */
export function resolveSku(ref: string, skus: TenantSku[]): SkuResolution {
  const sku = skus.find((candidate) => sameText(candidate.skuId, ref) || sameText(candidate.skuPartNumber, ref));
  if (!sku) {
    return {
      ok: false,
      reason: `this tenant has no SKU "${ref}"; it has: ${describeTenantSkus(skus)}. Buy it for this organisation or check the spelling`,
    };
  }
  if (sku.appliesTo !== 'User') {
    return {
      ok: false,
      reason: `${sku.skuPartNumber} (${sku.skuId}) applies to the whole company, not to users, so it cannot be assigned; assignable SKUs: ${describeTenantSkus(skus)}`,
    };
  }
  return { ok: true, sku };
}

export type PlanResolution =
  { ok: true; planIds: string[] } | { ok: false; problems: { index: number; message: string }[] };

/** Plan ids for references (id or name, case-insensitive) to service plans of `sku`; unknown ones listed. */
export function resolvePlans(refs: string[], sku: TenantSku): PlanResolution {
  const planIds: string[] = [];
  const problems: { index: number; message: string }[] = [];
  refs.forEach((ref, index) => {
    const plan = sku.servicePlans.find(
      (candidate) => sameText(candidate.servicePlanId, ref) || sameText(candidate.servicePlanName, ref),
    );
    if (!plan) {
      const names = sku.servicePlans.map((candidate) => candidate.servicePlanName).join(', ');
      problems.push({ index, message: `${sku.skuPartNumber} has no service plan "${ref}"; its plans are: ${names}` });
    } else if (!planIds.includes(plan.servicePlanId)) {
      planIds.push(plan.servicePlanId);
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, planIds };
}

/**
 * Target plan ids to keep switched off: each plan the user had off on the source maps to the target plan with
 * the same id, else the same name; plans the target does not have are dropped.
 */
export function mapKeptDisabledPlans(
  sourceSku: TenantSku | undefined,
  sourceDisabledIds: string[],
  targetSku: TenantSku,
): string[] {
  const mapped: string[] = [];
  for (const disabledId of sourceDisabledIds) {
    let target = targetSku.servicePlans.find((plan) => sameText(plan.servicePlanId, disabledId));
    if (!target && sourceSku) {
      const sourcePlan = sourceSku.servicePlans.find((plan) => sameText(plan.servicePlanId, disabledId));
      if (sourcePlan) {
        target = targetSku.servicePlans.find((plan) => sameText(plan.servicePlanName, sourcePlan.servicePlanName));
      }
    }
    if (target && !mapped.includes(target.servicePlanId)) mapped.push(target.servicePlanId);
  }
  return mapped;
}

export type FreeSeatsFormula = 'enabledMinusConsumed' | 'enabledMinusWarningMinusConsumed';

/**
 * Licenses that can still be assigned. Graph documents no single formula: `enabled - consumed` is the common one,
 * and the stricter variant also treats units in the warning (grace) period as unavailable. Never negative.
 */
export function freeSeats(sku: TenantSku, formula: FreeSeatsFormula = 'enabledMinusConsumed'): number {
  const warning = formula === 'enabledMinusWarningMinusConsumed' ? sku.prepaidUnits.warning : 0;
  return Math.max(0, sku.prepaidUnits.enabled - warning - sku.consumedUnits);
}

/** "Microsoft 365 Business Premium" (friendly name), falling back to the part number. */
export function skuName(sku: Pick<TenantSku, 'skuPartNumber'>): string {
  return friendlyProductName(sku.skuPartNumber);
}

/** Friendly name for a SKU id, from the tenant's SKUs when known; otherwise the id itself. */
export function skuNameById(skuId: string, skus: TenantSku[]): string {
  const sku = skus.find((candidate) => sameText(candidate.skuId, skuId));
  return sku ? skuName(sku) : skuId;
}

/** One target SKU's seats a plan needs, beside what the tenant had free (none when the tenant lacks the SKU). */
export interface SeatNeed {
  skuId: string;
  /** The tenant's SKU, when it has it. */
  sku?: TenantSku;
  skuPartNumber: string;
  productName: string;
  needed: number;
  free: number;
}

export function seatNeeds(seatsNeeded: Record<string, number>, skus: TenantSku[]): SeatNeed[] {
  return Object.entries(seatsNeeded).map(([skuId, needed]) => {
    const sku = skus.find((candidate) => sameText(candidate.skuId, skuId));
    const need: SeatNeed = {
      skuId,
      skuPartNumber: sku?.skuPartNumber ?? skuId,
      productName: sku ? skuName(sku) : skuId,
      needed,
      free: sku ? freeSeats(sku) : 0,
    };
    if (sku) need.sku = sku;
    return need;
  });
}

export type MovesResolution = { ok: true; moves: ResolvedMove[] } | { ok: false; problems: Problem[] };

/**
 * Every move's SKUs and disabled plans resolved against the tenant. Problems name the request field
 * ("moves[0].to") so the run can fail at once with the list of SKUs the tenant does have.
 */
export function resolveMoves(request: MigrationRequest, skus: TenantSku[]): MovesResolution {
  const moves: ResolvedMove[] = [];
  const problems: Problem[] = [];
  request.moves.forEach((move, index) => {
    const to = resolveSku(move.to, skus);
    if (!to.ok) problems.push({ field: `moves[${index}].to`, message: to.reason });
    let from: SkuResolution | undefined;
    if (move.from !== undefined) {
      from = resolveSku(move.from, skus);
      if (!from.ok) problems.push({ field: `moves[${index}].from`, message: from.reason });
    }
    if (!to.ok || (from && !from.ok)) return;
    // The same SKU on both sides only makes sense when direct assignments become group-based ones.
    if (from?.ok && from.sku.skuId === to.sku.skuId && !move.assignVia) {
      problems.push({ field: `moves[${index}].to`, message: `is the same SKU as from (${to.sku.skuPartNumber})` });
      return;
    }
    const plans = resolvePlans(move.disabledPlans, to.sku);
    if (!plans.ok) {
      for (const problem of plans.problems) {
        problems.push({ field: `moves[${index}].disabledPlans[${problem.index}]`, message: problem.message });
      }
      return;
    }
    const resolved: ResolvedMove = {
      move: index,
      toSkuId: to.sku.skuId,
      toSkuPartNumber: to.sku.skuPartNumber,
      disabledPlanIds: plans.planIds,
    };
    if (from?.ok) {
      resolved.fromSkuId = from.sku.skuId;
      resolved.fromSkuPartNumber = from.sku.skuPartNumber;
    }
    if (move.group) resolved.group = { kind: 'product', groupId: move.group };
    if (move.assignVia) resolved.group = { kind: 'join', groupId: move.assignVia.group };
    moves.push(resolved);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, moves };
}

/** Move label for status and reports: "Microsoft 365 Business Standard → Microsoft 365 Business Premium". */
export function moveLabel(move: ResolvedMove): string {
  const to = friendlyProductName(move.toSkuPartNumber);
  return move.fromSkuPartNumber ? `${friendlyProductName(move.fromSkuPartNumber)} → ${to}` : `replace with ${to}`;
}
