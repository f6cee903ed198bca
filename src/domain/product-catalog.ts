/**
 * Microsoft's "Product names and service plan identifiers for licensing" table, as the product reads it: display
 * names of products (by part number or SKU id) and friendly names of service plans (by id or name). The data is
 * product-table.json, compiled from the vendored CSV by `npm run build:product-table` (see data/SOURCE.md).
 */
import table from './product-table.json';

export interface CatalogProduct {
  skuPartNumber: string;
  displayName: string;
  skuIds: string[];
}

export interface CatalogServicePlan {
  servicePlanId: string;
  servicePlanName: string;
  friendlyName: string;
}

interface Indexes {
  byPartNumber: Map<string, CatalogProduct>;
  bySkuId: Map<string, CatalogProduct>;
  planById: Map<string, CatalogServicePlan>;
  planByName: Map<string, CatalogServicePlan>;
}

let indexes: Indexes | undefined;

/** Built on first use: most callers name a handful of products and never pay for the rest. */
function index(): Indexes {
  if (indexes) return indexes;
  const built: Indexes = { byPartNumber: new Map(), bySkuId: new Map(), planById: new Map(), planByName: new Map() };
  for (const [skuPartNumber = '', displayName = '', ...skuIds] of table.products) {
    const product: CatalogProduct = { skuPartNumber, displayName, skuIds };
    built.byPartNumber.set(skuPartNumber.toUpperCase(), product);
    for (const skuId of skuIds) built.bySkuId.set(skuId.toLowerCase(), product);
  }
  for (const [servicePlanId = '', servicePlanName = '', friendlyName = ''] of table.plans) {
    const plan: CatalogServicePlan = { servicePlanId, servicePlanName, friendlyName };
    built.planById.set(servicePlanId.toLowerCase(), plan);
    if (!built.planByName.has(servicePlanName.toUpperCase())) built.planByName.set(servicePlanName.toUpperCase(), plan);
  }
  indexes = built;
  return built;
}

/** The product a part number (any letter case) or SKU id names, when Microsoft's table lists it. */
export function catalogProduct(partNumberOrSkuId: string): CatalogProduct | undefined {
  const { byPartNumber, bySkuId } = index();
  return byPartNumber.get(partNumberOrSkuId.toUpperCase()) ?? bySkuId.get(partNumberOrSkuId.toLowerCase());
}

/** The service plan an id or plan name names, when Microsoft's table lists it. */
export function catalogServicePlan(idOrName: string): CatalogServicePlan | undefined {
  const { planById, planByName } = index();
  return planById.get(idOrName.toLowerCase()) ?? planByName.get(idOrName.toUpperCase());
}

/** "Exchange Online (Plan 1)" for EXCHANGE_S_STANDARD (by id, else by name); the plan name when not listed. */
export function servicePlanFriendlyName(plan: { servicePlanId?: string; servicePlanName: string }): string {
  const found =
    (plan.servicePlanId ? catalogServicePlan(plan.servicePlanId) : undefined) ??
    catalogServicePlan(plan.servicePlanName);
  return found?.friendlyName ?? plan.servicePlanName;
}
