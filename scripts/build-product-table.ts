/**
 * `npm run build:product-table`: compiles Microsoft's product and service-plan table (data/, vendored CSV) into the
 * compact JSON module the product reads at run time, src/domain/product-table.json. `npm run refresh:product-names`
 * runs it after a download; a test fails when the committed module no longer matches the CSV.
 *
 * Shape (arrays, so the module stays small and its TypeScript type trivial):
 *   products: [partNumber, displayName, ...skuIds]            one per String_Id, first display name in the file
 *   plans:    [servicePlanId, servicePlanName, friendlyName]   one per Service_Plan_Id, most common friendly name
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATA_DIR, parseProductNames, PRODUCT_NAMES_FILE, type ProductNamesRow } from './refresh-product-names';

export const PRODUCT_TABLE_MODULE = path.resolve(
  __dirname,
  __filename.endsWith('.ts') ? '../src/domain/product-table.json' : '../../src/domain/product-table.json',
);

export interface ProductTable {
  source: string;
  products: string[][];
  plans: string[][];
}

/** The friendly name most rows give a plan; on a tie, the first that is not shouting or the plan's own name. */
function bestFriendlyName(planName: string, names: Map<string, number>): string {
  let best = '';
  let bestScore = -1;
  for (const [name, count] of names) {
    const readable = name !== planName && name !== name.toUpperCase() ? 0.5 : 0;
    if (count + readable > bestScore) {
      best = name;
      bestScore = count + readable;
    }
  }
  return best || planName;
}

export function compileProductTable(rows: ProductNamesRow[], source: string): ProductTable {
  const products = new Map<string, { name: string; skuIds: string[] }>();
  const plans = new Map<string, { name: string; friendly: Map<string, number> }>();
  for (const row of rows) {
    const part = row.String_Id.trim();
    const skuId = row.GUID.trim().toLowerCase();
    const product = products.get(part) ?? { name: row.Product_Display_Name.trim(), skuIds: [] };
    if (!product.skuIds.includes(skuId)) product.skuIds.push(skuId);
    products.set(part, product);
    const planId = row.Service_Plan_Id.trim().toLowerCase();
    const plan = plans.get(planId) ?? { name: row.Service_Plan_Name.trim(), friendly: new Map<string, number>() };
    const friendly = row.Service_Plans_Included_Friendly_Names.trim();
    if (friendly) plan.friendly.set(friendly, (plan.friendly.get(friendly) ?? 0) + 1);
    plans.set(planId, plan);
  }
  const byKey = (a: string[], b: string[]) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0);
  return {
    source,
    products: [...products].map(([part, { name, skuIds }]) => [part, name, ...skuIds]).sort(byKey),
    plans: [...plans].map(([id, plan]) => [id, plan.name, bestFriendlyName(plan.name, plan.friendly)]).sort(byKey),
  };
}

/** The module's text: one entry a line, so a refresh shows up in `git diff` as the products that changed. */
export function renderProductTable(table: ProductTable): string {
  const lines = (entries: string[][]) => entries.map((entry) => `    ${JSON.stringify(entry)}`).join(',\n');
  return (
    `{\n  "source": ${JSON.stringify(table.source)},\n` +
    `  "products": [\n${lines(table.products)}\n  ],\n` +
    `  "plans": [\n${lines(table.plans)}\n  ]\n}\n`
  );
}

/** The module as compiled from the vendored CSV now. */
export function productTableFromData(dataDir: string = DATA_DIR): string {
  const text = fs.readFileSync(path.join(dataDir, PRODUCT_NAMES_FILE), 'utf8');
  return renderProductTable(compileProductTable(parseProductNames(text), `data/${PRODUCT_NAMES_FILE}`));
}

export function buildProductTable(dataDir: string = DATA_DIR, target: string = PRODUCT_TABLE_MODULE): number {
  const text = productTableFromData(dataDir);
  fs.writeFileSync(`${target}.tmp`, text);
  fs.renameSync(`${target}.tmp`, target);
  return text.length;
}

if (require.main === module) {
  const bytes = buildProductTable();
  process.stdout.write(`Wrote ${path.relative(process.cwd(), PRODUCT_TABLE_MODULE)} (${bytes} bytes).\n`);
}
