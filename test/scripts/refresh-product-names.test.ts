import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DATA_DIR,
  PRODUCT_NAMES_CSV_URL,
  PRODUCT_NAMES_FILE,
  refreshProductNames,
  SOURCE_FILE,
} from '../../scripts/refresh-product-names';

const vendored = fs.readFileSync(path.join(DATA_DIR, PRODUCT_NAMES_FILE));
const source = fs.readFileSync(path.join(DATA_DIR, SOURCE_FILE), 'utf8');

/**
 * `npm run refresh:product-names` against a local server standing in for download.microsoft.com (the test machine may
 * be offline): the table is written byte for byte with the new date, and a download that is not the table changes
 * nothing.
 */
describe('npm run refresh:product-names', () => {
  let server: Server;
  let origin: string;
  let served: { status: number; body: Buffer | string };
  let dataDir: string;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(served.status, { 'content-type': 'application/octet-stream' });
      response.end(served.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-product-names-'));
    fs.writeFileSync(path.join(dataDir, PRODUCT_NAMES_FILE), 'old table\r\n');
    fs.writeFileSync(path.join(dataDir, SOURCE_FILE), source);
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const refresh = () => refreshProductNames({ dataDir, today: '2027-02-03', url: `${origin}/table.csv` });
  const files = () => ({
    csv: fs.readFileSync(path.join(dataDir, PRODUCT_NAMES_FILE)),
    source: fs.readFileSync(path.join(dataDir, SOURCE_FILE), 'utf8'),
  });

  it('downloads from the URL the Microsoft Learn page links to, and that URL is the one SOURCE.md names', () => {
    expect(PRODUCT_NAMES_CSV_URL).toMatch(/^https:\/\/download\.microsoft\.com\/download\/.*\.csv$/);
    expect(source).toContain(PRODUCT_NAMES_CSV_URL);
    expect(source).toMatch(/^- Vendored: \d{4}-\d{2}-\d{2}$/m);
  });

  it('writes the download byte for byte and records the date, leaving the rest of SOURCE.md as it was', async () => {
    served = { status: 200, body: vendored };
    await expect(refresh()).resolves.toEqual({ rows: expect.any(Number), products: expect.any(Number) });
    const after = files();
    expect(after.csv.equals(vendored)).toBe(true);
    expect(after.source).toBe(source.replace(/^- Vendored: .*$/m, '- Vendored: 2027-02-03'));
  });

  it.each([
    ['an error status', { status: 404, body: 'Not found' }, /answered 404/],
    ['an HTML page', { status: 200, body: '<!DOCTYPE html><html><body>Moved</body></html>' }, /Unexpected columns/],
    [
      'a table with a renamed column',
      { status: 200, body: vendored.toString('utf8').replace('Service_Plan_Id', 'Plan_Id') },
      /Unexpected columns/,
    ],
    [
      'a row without GUIDs',
      { status: 200, body: `${vendored.toString('utf8').split('\r\n')[0]!}\r\nName,PART,not-a-guid,PLAN,x,Plan\r\n` },
      /Row 2 has no valid GUID/,
    ],
  ])('changes nothing when the download is %s', async (_what, response, message) => {
    served = response;
    const before = files();
    await expect(refresh()).rejects.toThrow(message);
    expect(files()).toEqual(before);
  });
});
