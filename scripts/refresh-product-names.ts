/**
 * `npm run refresh:product-names`: replaces the vendored copy of Microsoft's "Product names and service plan
 * identifiers for licensing" table with the current download, and records the date in data/SOURCE.md.
 * The file is written byte for byte as Microsoft serves it; nothing is written unless the download looks like the table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { buildProductTable } from './build-product-table';

/** The CSV download that the Microsoft Learn page links to. */
export const PRODUCT_NAMES_CSV_URL =
  'https://download.microsoft.com/download/e/3/e/e3e9faf2-f28b-490a-9ada-c6089a1fc5b0/Product%20names%20and%20service%20plan%20identifiers%20for%20licensing.csv';

export const DATA_DIR = path.resolve(__dirname, __filename.endsWith('.ts') ? '../data' : '../../data');
export const PRODUCT_NAMES_FILE = 'product-names-and-service-plan-identifiers.csv';
export const SOURCE_FILE = 'SOURCE.md';

export const PRODUCT_NAMES_COLUMNS = [
  'Product_Display_Name',
  'String_Id',
  'GUID',
  'Service_Plan_Name',
  'Service_Plan_Id',
  'Service_Plans_Included_Friendly_Names',
] as const;

export type ProductNamesRow = Record<(typeof PRODUCT_NAMES_COLUMNS)[number], string>;

/** The line of SOURCE.md that carries the date; the refresh rewrites only this line. */
const VENDORED_LINE = /^- Vendored: \d{4}-\d{2}-\d{2}\b/m;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses the table, refusing anything that is not it (an error page, a renamed column, a row without GUIDs). */
export function parseProductNames(text: string): ProductNamesRow[] {
  const records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false });
  const [header, ...rows] = records;
  if (!header || header.join() !== PRODUCT_NAMES_COLUMNS.join()) {
    throw new Error(
      `Unexpected columns ${JSON.stringify(header?.slice(0, 8))}: expected ${PRODUCT_NAMES_COLUMNS.join(', ')}.`,
    );
  }
  if (rows.length === 0) throw new Error('The table has no rows.');
  return rows.map((cells, index) => {
    const row = Object.fromEntries(
      PRODUCT_NAMES_COLUMNS.map((name, column) => [name, cells[column] ?? '']),
    ) as ProductNamesRow;
    if (!GUID.test(row.GUID.trim()) || !GUID.test(row.Service_Plan_Id.trim())) {
      throw new Error(`Row ${index + 2} has no valid GUID and Service_Plan_Id: ${cells.join(',')}`);
    }
    return row;
  });
}

export interface RefreshOptions {
  /** Folder holding the CSV and SOURCE.md. */
  dataDir: string;
  /** The date to record, yyyy-MM-dd. */
  today: string;
  url?: string;
}

export async function refreshProductNames(options: RefreshOptions): Promise<{ rows: number; products: number }> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.today)) throw new Error(`Not a yyyy-MM-dd date: ${options.today}`);
  const url = options.url ?? PRODUCT_NAMES_CSV_URL;
  const sourceFile = path.join(options.dataDir, SOURCE_FILE);
  const source = fs.readFileSync(sourceFile, 'utf8');
  if (!VENDORED_LINE.test(source)) throw new Error(`${sourceFile} has no "- Vendored: yyyy-MM-dd" line to update.`);

  const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status} ${response.statusText}.`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const rows = parseProductNames(bytes.toString('utf8'));

  const csvFile = path.join(options.dataDir, PRODUCT_NAMES_FILE);
  // Written next to the target and renamed, so an interrupted refresh never leaves half a table.
  fs.writeFileSync(`${csvFile}.tmp`, bytes);
  fs.renameSync(`${csvFile}.tmp`, csvFile);
  fs.writeFileSync(sourceFile, source.replace(VENDORED_LINE, `- Vendored: ${options.today}`));
  return { rows: rows.length, products: new Set(rows.map((row) => row.String_Id)).size };
}

if (require.main === module) {
  const today = new Date().toISOString().slice(0, 10);
  refreshProductNames({ dataDir: DATA_DIR, today }).then(
    ({ rows, products }) => {
      // The product reads the compiled module, not the CSV: rebuild it from the new table.
      buildProductTable(DATA_DIR);
      process.stdout.write(
        `Wrote ${path.join(DATA_DIR, PRODUCT_NAMES_FILE)}: ${products} products, ${rows} rows; ${SOURCE_FILE} says ${today}.\n` +
          'Rebuilt src/domain/product-table.json from it.\n' +
          'Check the change with `git diff --stat data/ src/domain/product-table.json` and `npx jest test/domain`.\n',
      );
    },
    (error: unknown) => {
      process.stderr.write(
        `refresh:product-names failed, nothing was changed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
