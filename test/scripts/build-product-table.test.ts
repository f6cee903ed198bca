import * as fs from 'node:fs';
import { compileProductTable, PRODUCT_TABLE_MODULE, productTableFromData } from '../../scripts/build-product-table';
import type { ProductNamesRow } from '../../scripts/refresh-product-names';

const row = (part: string, name: string, guid: string, plan: string, planId: string, friendly: string) =>
  ({
    Product_Display_Name: name,
    String_Id: part,
    GUID: guid,
    Service_Plan_Name: plan,
    Service_Plan_Id: planId,
    Service_Plans_Included_Friendly_Names: friendly,
  }) satisfies ProductNamesRow;

describe('npm run build:product-table', () => {
  it('the committed src/domain/product-table.json is what the vendored CSV compiles to (run the script after a refresh)', () => {
    expect(fs.readFileSync(PRODUCT_TABLE_MODULE, 'utf8')).toBe(productTableFromData());
  });

  it('keeps one entry per product and per plan, with the readable name most rows give a plan', () => {
    const planId = '9AAF7827-D63C-4B61-89C3-182F06F82E5C';
    const table = compileProductTable(
      [
        row(
          'SPB',
          'Microsoft 365 Business Premium',
          'CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46',
          'EXCHANGE_S_STANDARD',
          planId,
          'EXCHANGE ONLINE (PLAN 1)',
        ),
        row(
          'EXCHANGESTANDARD',
          'Exchange Online (Plan 1)',
          '4b9405b0-7788-4568-add1-99614e613b69',
          'EXCHANGE_S_STANDARD',
          planId,
          'Exchange Online (Plan 1)',
        ),
      ],
      'test.csv',
    );
    expect(table.products).toEqual([
      ['EXCHANGESTANDARD', 'Exchange Online (Plan 1)', '4b9405b0-7788-4568-add1-99614e613b69'],
      ['SPB', 'Microsoft 365 Business Premium', 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46'],
    ]);
    expect(table.plans).toEqual([[planId.toLowerCase(), 'EXCHANGE_S_STANDARD', 'Exchange Online (Plan 1)']]);
  });
});
