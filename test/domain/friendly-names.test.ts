import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, parseProductNames, PRODUCT_NAMES_FILE } from '../../scripts/refresh-product-names';
import { friendlyProductName } from '../../src/domain/friendly-names';
import { ALL_SKUS } from './fixtures';

/** String_Id → Product_Display_Name, String_Id → GUID and String_Id → plan ids, from Microsoft's table (data/SOURCE.md). */
function readTable(): { names: Map<string, string>; plans: Map<string, Set<string>>; skuIds: Map<string, string> } {
  const names = new Map<string, string>();
  const plans = new Map<string, Set<string>>();
  const skuIds = new Map<string, string>();
  for (const row of parseProductNames(readFileSync(join(DATA_DIR, PRODUCT_NAMES_FILE), 'utf8'))) {
    const part = row.String_Id.trim();
    names.set(part, row.Product_Display_Name.trim());
    skuIds.set(part, row.GUID.trim());
    if (!plans.has(part)) plans.set(part, new Set());
    plans.get(part)?.add(row.Service_Plan_Id.trim());
  }
  return { names, plans, skuIds };
}

describe('friendlyProductName', () => {
  const table = readTable();

  it('gives the display names of common SKUs, and falls back to the part number', () => {
    expect(friendlyProductName('SPB')).toBe('Microsoft 365 Business Premium');
    expect(friendlyProductName('o365_business_premium')).toBe('Microsoft 365 Business Standard');
    expect(friendlyProductName('SOME_NEW_SKU')).toBe('SOME_NEW_SKU');
  });

  it.each([
    'O365_BUSINESS_ESSENTIALS',
    'O365_BUSINESS_PREMIUM',
    'SPB',
    'STANDARDPACK',
    'ENTERPRISEPACK',
    'ENTERPRISEPREMIUM',
    'SPE_E3',
    'SPE_E5',
    'DESKLESSPACK',
    'EXCHANGESTANDARD',
    'VISIOCLIENT',
    'POWER_BI_PRO',
    'EMSPREMIUM',
  ])("%s matches Microsoft's table", (part) => {
    expect(friendlyProductName(part)).toBe(table.names.get(part));
  });

  it("uses fixtures whose SKU and plan ids match Microsoft's table", () => {
    for (const sku of ALL_SKUS) {
      expect(table.skuIds.get(sku.skuPartNumber)).toBe(sku.skuId);
      const expected = table.plans.get(sku.skuPartNumber) ?? new Set<string>();
      expect(new Set(sku.servicePlans.map((plan) => plan.servicePlanId))).toEqual(expected);
    }
  });
});
