import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { friendlyProductName } from '../../src/domain/friendly-names';
import { ALL_SKUS } from './fixtures';

// Microsoft's table, kept in shared/ beside the repository (tests only; product code never reads it).
const TABLE = join(__dirname, '../../../shared/data/product-names-and-service-plan-identifiers.csv');

/** String_Id → Product_Display_Name, and String_Id → GUID → plan ids, from the table. Simple split: no quoted commas in these columns' rows we check. */
function readTable(): { names: Map<string, string>; plans: Map<string, Set<string>>; skuIds: Map<string, string> } {
  const names = new Map<string, string>();
  const plans = new Map<string, Set<string>>();
  const skuIds = new Map<string, string>();
  for (const line of readFileSync(TABLE, 'utf8').split(/\r?\n/).slice(1)) {
    const match = /^(?:"([^"]*)"|([^,]*)),([^,]+),([0-9a-f-]{36}),([^,]*),([0-9a-f-]{36}),/i.exec(line);
    if (!match) continue;
    const [, quotedName, plainName, part = '', guid = '', , planGuid = ''] = match;
    names.set(part, quotedName ?? plainName ?? '');
    skuIds.set(part, guid);
    if (!plans.has(part)) plans.set(part, new Set());
    plans.get(part)?.add(planGuid);
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
