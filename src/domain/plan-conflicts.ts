/**
 * Service plans that cannot be held by one user at the same time (Graph answers `MutuallyExclusiveViolation`).
 * Graph publishes no list of these rules, so the product keeps the documented ones as data; a conflict not listed
 * here is still caught when Graph refuses the change (see the reassign activity's fallback).
 */
import type { AssignedLicense, TenantSku } from './types';

export interface ExclusivePlans {
  /** Service plan ids (GUIDs) that exclude each other. */
  plans: readonly [string, string];
  /** Service plan names, for messages. */
  names: readonly [string, string];
  /** Where the rule is documented. */
  source: string;
}

export const MUTUALLY_EXCLUSIVE_PLANS: readonly ExclusivePlans[] = [
  {
    // Office 365 E1 (Exchange Online Plan 1) and Office 365 E3 (Exchange Online Plan 2).
    plans: ['9aaf7827-d63c-4b61-89c3-182f06f82e5c', 'efb87545-963c-4e0d-99df-69c6916d9eb0'],
    names: ['EXCHANGE_S_STANDARD', 'EXCHANGE_S_ENTERPRISE'],
    source:
      'Microsoft Entra documentation, "Change license assignments for a user or group" (products with conflicting ' +
      'service plans: Office 365 E1 and E3) and "Resolve group license assignment problems" (MutuallyExclusiveViolation).',
  },
];

const key = (id: string): string => id.toLowerCase();

/** The plan ids a license switches on: the SKU's plans minus its disabled plans. */
export function enabledPlanIds(license: AssignedLicense, skus: readonly TenantSku[]): string[] {
  const sku = skus.find((candidate) => key(candidate.skuId) === key(license.skuId));
  if (!sku) return [];
  const disabled = new Set(license.disabledPlans.map(key));
  return sku.servicePlans.map((plan) => plan.servicePlanId).filter((id) => !disabled.has(key(id)));
}

export interface PlanConflict {
  /** The target's plan that clashes. */
  targetPlanId: string;
  targetPlanName: string;
  /** The plan it clashes with, and the license that brings it. */
  heldPlanName: string;
  heldSkuId: string;
}

/** Plans of `target` that clash with plans the `held` licenses switch on. */
export function conflictsWith(
  target: AssignedLicense,
  held: readonly AssignedLicense[],
  skus: readonly TenantSku[],
  rules: readonly ExclusivePlans[] = MUTUALLY_EXCLUSIVE_PLANS,
): PlanConflict[] {
  const targetPlans = new Set(enabledPlanIds(target, skus).map(key));
  const conflicts: PlanConflict[] = [];
  for (const license of held) {
    const heldPlans = new Set(enabledPlanIds(license, skus).map(key));
    for (const rule of rules) {
      for (const [mine, theirs] of [
        [0, 1],
        [1, 0],
      ] as const) {
        if (targetPlans.has(key(rule.plans[mine])) && heldPlans.has(key(rule.plans[theirs]))) {
          conflicts.push({
            targetPlanId: rule.plans[mine],
            targetPlanName: rule.names[mine],
            heldPlanName: rule.names[theirs],
            heldSkuId: license.skuId,
          });
        }
      }
    }
  }
  return conflicts;
}

/** The name of a service plan the rules above know (`EXCHANGE_S_STANDARD`), for messages. */
export function knownPlanName(planId: string): string | undefined {
  for (const rule of MUTUALLY_EXCLUSIVE_PLANS) {
    const index = rule.plans.findIndex((id) => key(id) === key(planId));
    if (index >= 0) return rule.names[index];
  }
  return undefined;
}
