/**
 * What the console's run list and run detail read: each run's moves in product names, who started it, dry-run flag,
 * filters; a run's plan summary, approval and stage timeline; the report's rows filtered and paged.
 */
import { startStack, type Stack } from '../support/e2e';
import { TEST_START_MS } from '../support/clock';

const BS_TO_BP = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }], usageLocation: 'US' };
interface Run {
  id: string;
  status: string;
  run?: { startedBy?: string; dryRun: boolean };
}
interface Detail extends Run {
  stages: { stage: string }[];
  plan?: unknown;
  approval?: unknown;
}
interface Rows {
  rows: { outcome: string; userPrincipalName: string }[];
  rowsTotal?: number;
  rowsMatched?: number;
}
type Problem = { errors: { field: string }[] };
const LABEL = 'Microsoft 365 Business Standard → Microsoft 365 Business Premium';

describe('runs as the console lists and shows them', () => {
  let stack: Stack;
  let approved: string;
  let dryRun: string;

  beforeAll(async () => {
    // App Service authentication on: the platform's principal headers are trusted as who started a run.
    stack = await startStack({ env: { WEBSITE_AUTH_ENABLED: 'True' } });
    const start = await stack.api(
      'POST',
      '/api/migrations',
      { ...BS_TO_BP, requireApproval: true },
      {
        'x-ms-client-principal-name': 'alice@contoso.com',
      },
    );
    approved = start.json.id;
    dryRun = (await stack.api('POST', '/api/migrations', { ...BS_TO_BP, dryRun: true })).json.id;
    await stack.waitForMigration(approved, (view) => view.status === 'awaitingApproval');
    await stack.waitForFinish(dryRun);
  });
  afterAll(() => stack?.stop());

  it('labels each run by its moves in product names, with its origin, who started it and a dry-run flag', async () => {
    const list = await stack.api<{ migrations: Run[] }>('GET', '/api/migrations');
    expect(list.status).toBe(200);
    const byId = new Map(list.json.migrations.map((run) => [run.id, run]));
    expect(byId.get(approved)).toMatchObject({
      status: 'awaitingApproval',
      run: {
        moves: [{ label: LABEL, users: { kind: 'all' } }],
        origin: 'http',
        startedBy: 'alice@contoso.com',
        dryRun: false,
      },
    });
    expect(byId.get(dryRun)).toMatchObject({ status: 'completed', run: { dryRun: true, moves: [{ label: LABEL }] } });
    expect(byId.get(dryRun)).not.toHaveProperty('run.startedBy');
  });

  it('filters by status, dry run, who started it and creation time, and names a bad filter', async () => {
    const ids = async (query: string) =>
      (await stack.api<{ migrations: Run[] }>('GET', `/api/migrations?${query}`)).json.migrations.map((run) => run.id);
    expect(await ids('dryRun=true')).toEqual([dryRun]);
    expect(await ids('startedBy=ALICE')).toEqual([approved]);
    expect(await ids('status=awaitingApproval,completed')).toHaveLength(2);
    expect(await ids(`since=${new Date(TEST_START_MS + 365 * 86_400_000).toISOString()}`)).toEqual([]);
    const bad = await stack.api<Problem>('GET', '/api/migrations?status=running&top=0');
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((error) => error.field).sort()).toEqual(['status', 'top']);
  });

  it("shows a run's plan summary and stage timeline, and who approved it", async () => {
    const waiting = await stack.api<Detail>('GET', `/api/migrations/${approved}`);
    expect(waiting.json.plan).toMatchObject({
      total: 35,
      toChange: 28,
      blocked: 7,
      seats: [{ skuPartNumber: 'SPB', productName: 'Microsoft 365 Business Premium', needed: 28, freeWhenPlanned: 5 }],
      downgrades: [],
    });
    expect(waiting.json.stages.map((stage) => stage.stage)).toEqual(['plan', 'approval']);
    await stack.api('POST', `/api/migrations/${approved}/approve`, { by: 'bob@contoso.com', reason: 'CAB-1' });
    const after = await stack.waitForMigration(approved, (view) => view.status === 'waitingForLicenses');
    const detail = await stack.api<Detail>('GET', `/api/migrations/${after.id}`);
    expect(detail.json.approval).toMatchObject({
      decision: { approved: true, by: 'bob@contoso.com', reason: 'CAB-1' },
    });
    expect(detail.json.stages.map((stage) => stage.stage)).toEqual(['plan', 'approval', 'purchaseCheck']);
    await stack.api('POST', `/api/migrations/${approved}/cancel`);
  });

  it('refuses an approval whose body has the wrong types, naming the field, and changes nothing', async () => {
    const bad = await stack.api<Problem>('POST', `/api/migrations/${dryRun}/approve`, { by: 5 });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([{ field: 'by', message: expect.stringMatching(/must be a string/) }]);
  });

  it("filters and pages the report's rows by outcome and search, and names a bad parameter", async () => {
    const blocked = await stack.api<Rows>('GET', `/api/migrations/${dryRun}/report?outcome=blocked`);
    expect(blocked.json).toMatchObject({ rowsTotal: 35, rowsMatched: 7 });
    expect(blocked.json.rows.every((row) => row.outcome === 'blocked')).toBe(true);
    const guest = await stack.api('GET', `/api/migrations/${dryRun}/report?search=fabrikam`);
    expect(guest.json.rows).toEqual([
      expect.objectContaining({ userPrincipalName: expect.stringMatching(/fabrikam/) }),
    ]);
    const page = await stack.api('GET', `/api/migrations/${dryRun}/report?top=10&skip=30`);
    expect(page.json).toMatchObject({ rowsTotal: 35, rowsMatched: 35 });
    expect(page.json.rows).toHaveLength(5);
    const all = await stack.api('GET', `/api/migrations/${dryRun}/report`);
    expect(all.json.rows).toHaveLength(35);
    expect(all.json).not.toHaveProperty('rowsTotal');
    const bad = await stack.api('GET', `/api/migrations/${dryRun}/report?outcome=lost`);
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].field).toBe('outcome');
  });
});
