/** Products and service plans end-to-end tests check the simulator's tenant against, from its catalog. */
import { SKU_CATALOG } from '../../emulators/graph';

export const E1 = SKU_CATALOG.STANDARDPACK.skuId;
export const E3 = SKU_CATALOG.ENTERPRISEPACK.skuId;
export const BUSINESS_STANDARD = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;
export const BUSINESS_PREMIUM = SKU_CATALOG.SPB.skuId;

/** A plan's id in the catalog, by name, lower-cased. */
export function planOf(partNumber: keyof typeof SKU_CATALOG, name: string): string {
  const plan = SKU_CATALOG[partNumber].plans.find(([, planName]) => planName === name);
  if (!plan) throw new Error(`${partNumber} has no plan ${name}`);
  return plan[0].toLowerCase();
}

/** Exchange Online (Plan 1) of E1 and (Plan 2) of E3: holding either one means the user has a mailbox. */
export const EXCHANGE_PLANS = [
  planOf('STANDARDPACK', 'EXCHANGE_S_STANDARD'),
  planOf('ENTERPRISEPACK', 'EXCHANGE_S_ENTERPRISE'),
];
