/**
 * The operator console in headless Chromium against the app on the local runtime (real clock) and the demo tenant:
 * the inventory shows Business Premium short of seats, the preview says "need 28, 5 free" and lists the blocked users
 * with reasons, Request approval then Approve (confirmed), progress rises once the purchase lands, the run detail
 * filters the failed users and downloads the CSV; runs and schedules work too. axe-core finds no serious or critical
 * violation on any view; the failed users are retried and the retry rolled back from the run detail. Every view is
 * photographed at desktop and phone width into artifacts/.
 */
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  generateScenario,
  startMultiTenantGraphSimulator,
  type MultiTenantGraphSimulator,
} from '../../emulators/graph';
import { requiredAppRoles } from '../../src/graph/permissions';
import { launchChromium } from '../support/browser';
import { deadlineAfter } from '../support/clock';
import { startStack, type Stack } from '../support/e2e';
import { findChromium, requireTool } from '../support/tools';
import { pollUntil } from '../emulators/local/launcher';

const describeWithChromium = requireTool(findChromium());
const KEY = 'console-test-function-key';
const ARTIFACTS = join(__dirname, '../../artifacts');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const LABEL = 'Microsoft 365 Business Standard → Microsoft 365 Business Premium';

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core, injected through the DevTools protocol (the page's CSP allows no other script), run on the whole page. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // The page's own types are not this process's: the call is written as the browser runs it.
  const violations = await page.evaluate<AxeViolation[]>('axe.run(document).then((result) => result.violations)');
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

describeWithChromium('operator console in a browser', (chromiumPath) => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let failing: string[];
  const checked = new Set<string>();

  beforeAll(async () => {
    stack = await startStack({
      clock: 'real',
      functionKey: KEY,
      // One Graph request at a time, and slow license writes, so the page sees the progress move.
      env: { GRAPH_MAX_CONCURRENCY: '1' },
      simulator: {
        timeScale: 1,
        latency: {
          read: { medianMs: 0, p95Ms: 0 },
          list: { medianMs: 0, p95Ms: 0 },
          write: { medianMs: 60, p95Ms: 60 },
        },
      },
    });
    // Two users whose license change Graph refuses, so the run ends with errors worth filtering.
    failing = [...stack.sim.tenant.users.values()]
      .filter((user) => user.accountEnabled && user.usageLocation && user.userPrincipalName.endsWith('@contoso.com'))
      .filter((user) => user.licenseStates.length === 1 && user.licenseStates[0]!.assignedByGroup === null)
      .filter((user) => user.licenseStates[0]!.skuId === 'f245ecc8-75af-4f8e-b61f-27d8114de5f3')
      .slice(0, 2)
      .map((user) => user.userPrincipalName);
    stack.sim.setFaults(failing.map((user) => ({ kind: 'error' as const, status: 400, path: '/assignLicense', user })));
    browser = await launchChromium(chromiumPath);
    context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    page = await context.newPage();
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const open = (hash: string) => page.goto(`${stack.baseUrl}/api/dashboard?code=${KEY}&refresh=300${hash}`);

  /** axe on the view as it is now, and screenshots at desktop and phone width. */
  async function inspect(view: string, ready: () => Promise<unknown>): Promise<void> {
    expect(await seriousViolations(page)).toEqual([]);
    checked.add(view);
    await page.screenshot({ path: join(ARTIFACTS, `console-${view}-desktop.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await ready();
    // Nothing wider than a phone: wide tables scroll inside their own region.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, `console-${view}-phone.png`), fullPage: true });
    await page.setViewportSize(DESKTOP);
  }

  it('serves one self-contained page without a key, under a CSP that allows only its own script and style', async () => {
    const response = await fetch(`${stack.baseUrl}/api/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(
      /script-src 'sha256-[^']+'; style-src 'sha256-[^']+'/,
    );
    expect(await response.text()).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)|@import|url\(/);
    const errors: string[] = [];
    const elsewhere: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('request', (request) => !request.url().startsWith(stack.baseUrl) && elsewhere.push(request.url()));
    await open('#/licenses');
    await page.locator('[data-testid=inventory] tr[data-sku="SPB"]').waitFor();
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
  });

  it('shows the inventory: Business Premium with 5 free seats, and a SKU’s holders, direct or from a group', async () => {
    const premium = page.locator('[data-testid=inventory] tr[data-sku="SPB"]');
    await expect(premium.locator('th').textContent()).resolves.toMatch(/Microsoft 365 Business Premium/);
    expect(await premium.locator('td[data-free]').getAttribute('data-free')).toBe('5');
    await page.locator('tr[data-sku="O365_BUSINESS_PREMIUM"] a').click();
    await page.locator('[data-testid=holders] tbody tr').first().waitFor();
    const assignments: (string | null)[] = [];
    for (const cell of await page.locator('[data-testid=holders] td[data-assignment]').all()) {
      assignments.push(await cell.getAttribute('data-assignment'));
    }
    expect(new Set(assignments)).toEqual(new Set(['direct', 'group', 'directAndGroup']));
    await inspect('licenses', () => page.locator('[data-testid=holders]').waitFor());
  });

  it('previews the move: "need 28, 5 free", and the blocked users with their reasons', async () => {
    await open('#/new');
    await page.getByLabel('From').selectOption('O365_BUSINESS_PREMIUM');
    await page.getByLabel('To', { exact: true }).selectOption('SPB');
    await page.getByLabel(/Usage location/).fill('US');
    const seats = page.locator('[data-testid=preview-seats]');
    await seats.getByText(/need 28, 5 free/).waitFor({ timeout: 30_000 });
    expect(await seats.textContent()).toMatch(/Microsoft 365 Business Premium: need 28, 5 free.*buy 23 more/);
    expect(await page.locator('[data-testid=preview-reasons]').textContent()).toMatch(/need 28, 5 free: buy 23 more/);
    const blocked = page.locator('[data-testid=blocked-users] tbody tr');
    expect(await blocked.count()).toBe(7);
    const reasons = await blocked.locator('td:nth-child(2)').allTextContents();
    expect(reasons.join('\n')).toMatch(/License comes from a group/);
    expect(reasons.join('\n')).toMatch(/Account disabled/);
    expect(reasons.join('\n')).toMatch(/Guest or unverified domain/);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(30);
    await inspect('new-migration', () => seats.waitFor());
  });

  it('requests approval, approves after confirming, and the run then waits for the seats it needs', async () => {
    await page.getByRole('button', { name: 'Request approval' }).click();
    await page.waitForURL(/#\/runs\//);
    const id = decodeURIComponent(/#\/runs\/([^/?]+)/.exec(page.url())![1]!);
    const approval = page.locator('[data-testid=approval]');
    await approval.waitFor({ timeout: 30_000 });
    expect(await approval.locator('[data-testid=plan-summary]').textContent()).toMatch(
      /28 to change, 0 to skip, 7 blocked/,
    );
    await inspect('run-awaiting-approval', () => approval.waitFor());
    await approval.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve this run?' });
    await dialog.getByLabel(/Reason/).fill('CAB-42');
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Approve' }).click();
    const waiting = page.locator('[data-testid=waiting]');
    await waiting.waitFor({ timeout: 30_000 });
    expect(await waiting.textContent()).toMatch(/need 28, 5 free: buy 23 more Microsoft 365 Business Premium licenses/);
    expect(await waiting.locator('a').getAttribute('href')).toBe('https://admin.microsoft.com/#/subscriptions');
    expect((await stack.api('GET', `/api/migrations/${id}`)).json.approval).toMatchObject({
      decision: { approved: true, reason: 'CAB-42' },
    });
    await inspect('run-waiting', () => waiting.waitFor());

    await open('#/licenses');
    const premium = page.locator('[data-testid=inventory] tr[data-sku="SPB"]');
    await premium.getByText('short by 23').waitFor({ timeout: 30_000 });
    expect(await premium.textContent()).toMatch(/28\s*short by 23/);
  });

  it('watches progress rise once the purchase lands, then filters the failed users and downloads the CSV', async () => {
    const id = (await stack.api('GET', '/api/migrations?status=waitingForLicenses')).json.migrations[0].id as string;
    await fetch(`${stack.sim.controlUrl}/skus/SPB`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prepaidUnits: 60 }),
    });
    await open(`#/runs/${encodeURIComponent(id)}`);
    await page.locator('[data-testid=waiting]').getByRole('button', { name: 'Re-check' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Re-check now' }).click();
    // Progress is published as batches land, so the bar may already have moved when the page first shows it; it
    // never goes back, and ends full.
    const seen = await watchProgress(page);
    expect(seen[0]).toBeLessThan(100);
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    await page.locator(`section[data-status="completedWithErrors"]`).waitFor({ timeout: 60_000 });
    await inspect('run-finished', () => page.locator('[data-testid=run-users]').waitFor());

    await page.getByLabel('Outcome').selectOption('failed');
    await page
      .locator('[data-testid=users-count]')
      .getByText(/^2 of 35 users$/)
      .waitFor();
    const rows = page.locator('[data-testid=run-users] tbody tr');
    expect(await rows.count()).toBe(2);
    for (const row of await rows.all()) {
      expect(await row.getAttribute('data-outcome')).toBe('failed');
      expect((await row.locator('td').nth(3).textContent())?.trim()).toMatch(/\S{8,}/);
    }
    expect((await rows.locator('td:first-child').allTextContents()).map((text) => text.split('Microsoft')[0])).toEqual(
      expect.arrayContaining(failing),
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`migration-${id}.csv`);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split('\n')[0]).toMatch(/userPrincipalName/);
    for (const user of failing) expect(csv).toContain(user);
  });

  it('lists runs by their moves in product names, with a dry-run badge, filtered by status', async () => {
    await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'ENTERPRISEPREMIUM', to: 'ENTERPRISEPACK', users: { all: true } }],
      dryRun: true,
    });
    await open('#/runs');
    const cards = page.locator('li[data-migration-id]');
    await page.locator('li[data-migration-id]').filter({ hasText: 'dry run' }).waitFor({ timeout: 30_000 });
    expect(await cards.filter({ hasText: LABEL }).count()).toBe(1);
    await inspect('runs', () => cards.first().waitFor());
    await page.getByLabel('Status').selectOption('completedWithErrors');
    await page.locator('li[data-migration-id]:not([data-status="completedWithErrors"])').waitFor({ state: 'detached' });
    expect(await cards.count()).toBe(1);
  });

  /** Approves the run the page shows, through its approval panel and the confirmation. */
  async function approveShownRun(reason: string): Promise<void> {
    const approval = page.locator('[data-testid=approval]');
    await approval.waitFor({ timeout: 30_000 });
    await approval.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve this run?' });
    await dialog.getByLabel(/Reason/).fill(reason);
    await dialog.getByRole('button', { name: 'Approve' }).click();
  }

  // Two whole runs, one after the other, on a Graph that writes one request at a time: a longer time limit.
  it('retries the failed users, then rolls the retry back: each a new run, opened from the run detail', async () => {
    const original = (await stack.api('GET', '/api/migrations?status=completedWithErrors')).json.migrations[0]
      .id as string;
    // Graph accepts the two users' changes this time.
    stack.sim.setFaults([]);
    await open(`#/runs/${encodeURIComponent(original)}`);
    await page.getByRole('button', { name: 'Retry failed' }).click();
    await page
      .getByRole('dialog', { name: 'Retry the failed users?' })
      .getByRole('button', { name: 'Retry failed' })
      .click();
    await page.waitForURL(
      (url) => url.hash.startsWith('#/runs/') && url.hash !== `#/runs/${encodeURIComponent(original)}`,
    );
    const shown = page.locator('section[data-migration-id]');
    await shown.getByText(`Retries ${original}`).waitFor();
    const retryId = (await shown.getAttribute('data-migration-id'))!;
    // The retry takes the original's options, its approval among them.
    await approveShownRun('CAB-43');
    const finished = 'section[data-status="completed"], section[data-status="completedWithErrors"]';
    await page.locator(finished).waitFor({ timeout: 60_000 });
    const retried = (await stack.api('GET', `/api/migrations/${encodeURIComponent(retryId)}`)).json;
    expect(retried).toMatchObject({ retryOf: original, counts: { moved: 2, failed: 0 } });

    await page.getByRole('button', { name: 'Roll back' }).click();
    const rollbackDialog = page.getByRole('dialog', { name: 'Roll this run back?' });
    // Business Standard lacks a Business Premium service that holds data (the archive): the rollback says so.
    await rollbackDialog.getByLabel(/Go ahead where the licenses restored lack services that hold data/).check();
    expect(await seriousViolations(page)).toEqual([]);
    await rollbackDialog.getByRole('button', { name: 'Roll back' }).click();
    await page.waitForURL(
      (url) => url.hash.startsWith('#/runs/') && url.hash !== `#/runs/${encodeURIComponent(retryId)}`,
    );
    await shown.getByText(`Rolls back ${retryId}`).waitFor();
    expect(await page.locator('h1').textContent()).toBe(`Rollback of ${retryId}`);
    const rollbackId = (await shown.getAttribute('data-migration-id'))!;
    await approveShownRun('CAB-44');
    await page.locator(finished).waitFor({ timeout: 60_000 });
    expect((await stack.api('GET', `/api/migrations/${encodeURIComponent(rollbackId)}`)).json).toMatchObject({
      status: 'completed',
      rollbackOf: retryId,
      counts: { moved: 2 },
    });
    for (const user of failing) {
      const holder = [...stack.sim.tenant.users.values()].find((candidate) => candidate.userPrincipalName === user);
      expect(holder?.licenseStates.map((state) => state.skuId)).toEqual(['f245ecc8-75af-4f8e-b61f-27d8114de5f3']);
    }
    await inspect('run-rollback', () => page.locator(finished).waitFor());
  }, 180_000);

  it('creates a schedule, shows its next occurrences, pauses and resumes it', async () => {
    await open('#/schedules/new');
    await page.getByLabel(/^Name/).fill('nightly-premium');
    await page.getByLabel('From (everyone holding it)').selectOption('O365_BUSINESS_PREMIUM');
    await page.getByLabel('To', { exact: true }).selectOption('SPB');
    await page.getByLabel(/Time zone/).fill('UTC');
    await inspect('schedule-form', () => page.getByLabel(/Time zone/).waitFor());
    await page.getByRole('button', { name: 'Save schedule' }).click();
    const row = page.locator('tr[data-schedule="nightly-premium"]');
    await row.waitFor();
    expect(await row.locator('li').count()).toBe(5);
    await row.getByRole('button', { name: 'Pause nightly-premium' }).click();
    await row.locator('[data-status="paused"]').waitFor();
    await inspect('schedules', () => row.waitFor());
    await row.getByRole('button', { name: 'Resume nightly-premium' }).click();
    await row.locator('[data-status="active"]').waitFor();
  });

  it('is keyboard-operable: the skip link and the navigation reach every view', async () => {
    await open('#/runs');
    // A fresh load, as a bookmark opens it: focus starts at the top of the page.
    await page.reload();
    await page.locator('h1').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.textContent')).toBe('Skip to content');
    const names: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      await page.keyboard.press('Tab');
      names.push((await page.evaluate<string | undefined>('document.activeElement?.textContent')) ?? '');
    }
    expect(names).toEqual(expect.arrayContaining(['Licenses', 'New migration', 'Runs', 'Schedules']));
    await page.getByRole('link', { name: 'Licenses' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/licenses$/);
    // Polled from outside: waitForFunction evaluates its predicate with eval, which the page's CSP refuses.
    await pollUntil(
      'focus on the licenses title',
      async () =>
        (await page.evaluate<string | undefined>('document.activeElement?.id')) === 'licenses-title' || undefined,
      10_000,
    );
    expect([...checked].sort()).toEqual(
      [
        'licenses',
        'new-migration',
        'run-awaiting-approval',
        'run-finished',
        'run-rollback',
        'run-waiting',
        'runs',
        'schedule-form',
        'schedules',
      ].sort(),
    );
  });
});

/** Progress values the run detail shows, in the order seen, until the run has handled everyone. */
async function watchProgress(page: Page, texts: string[] = []): Promise<number[]> {
  const seen: number[] = [];
  const expired = deadlineAfter(90_000);
  while (!expired()) {
    const value = await page
      .locator('[data-testid=progress] progress')
      .getAttribute('data-progress', { timeout: 200 })
      .catch(() => null);
    if (value !== null && Number(value) !== seen.at(-1)) {
      seen.push(Number(value));
      texts.push(
        (await page
          .locator('[data-testid=progress] p')
          .textContent()
          .catch(() => null)) ?? '',
      );
    }
    if (seen.at(-1) === 100) break;
    await page.waitForTimeout(50);
  }
  return seen;
}

describeWithChromium('run progress in the console on a larger tenant', (chromiumPath) => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack({
      clock: 'real',
      functionKey: KEY,
      env: { GRAPH_MAX_CONCURRENCY: '1' },
      simulator: {
        scenario: generateScenario({ users: 160, seed: 3 }),
        timeScale: 1,
        latency: {
          read: { medianMs: 0, p95Ms: 0 },
          list: { medianMs: 0, p95Ms: 0 },
          write: { medianMs: 40, p95Ms: 40 },
        },
      },
    });
    browser = await launchChromium(chromiumPath);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows the progress rise through values between 0 and 100, with an ETA, while the run reassigns', async () => {
    const page = await browser.newPage({ viewport: PHONE });
    // Single-user batches: many batch activities in several rounds, so the status reports progress between them.
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      batchSize: 1,
    });
    await page.goto(`${stack.baseUrl}/api/dashboard?code=${KEY}&refresh=250#/runs/${start.json.id}`);
    const texts: string[] = [];
    const seen = await watchProgress(page, texts);
    expect(`${seen.join(' ')}`).toMatch(/^(\d+ )*100$/);
    expect(seen.filter((value) => value > 0 && value < 100).length).toBeGreaterThanOrEqual(1);
    expect(texts.join('\n')).toMatch(/users handled .* about \d+ (s|min) left/);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(100);
  });
});

describeWithChromium('tenants in the console: the switcher and the all-tenants overview', (chromiumPath) => {
  const HOME = 'a0a0a0a0-1111-4111-8111-0000000000c1';
  const BETA = 'b0b0b0b0-2222-4222-8222-0000000000c2';
  let graph: MultiTenantGraphSimulator;
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  /** Home holds Business Standard (target Business Premium), Beta Office 365 E3 (target E5): no SKU in common. */
  const options = (
    seed: number,
    from: 'O365_BUSINESS_PREMIUM' | 'ENTERPRISEPACK',
    to: 'SPB' | 'ENTERPRISEPREMIUM',
  ) => ({
    scenario: generateScenario({
      users: 20,
      seed,
      mix: {
        skus: { [from]: 1 },
        disabledAccounts: 0,
        noUsageLocation: 0,
        groupLicensed: 0,
        target: { sku: to, seats: 20 },
      },
    }),
    latency: 'none' as const,
    noise: false,
    seed,
    grantedRoles: requiredAppRoles([]),
  });

  beforeAll(async () => {
    graph = await startMultiTenantGraphSimulator({
      tenants: [
        { tenantId: HOME, options: options(21, 'O365_BUSINESS_PREMIUM', 'SPB') },
        { tenantId: BETA, options: options(22, 'ENTERPRISEPACK', 'ENTERPRISEPREMIUM') },
      ],
    });
    stack = await startStack({
      sim: graph.tenant(HOME),
      graphBaseUrl: graph.baseUrl,
      clock: 'real',
      functionKey: KEY,
      env: { HOME_TENANT_ID: HOME },
    });
    expect(
      (await stack.api('PUT', `/api/tenants/${BETA}`, { displayName: 'Beta Ltd', defaultDomain: 'beta.example.com' }))
        .status,
    ).toBe(201);
    expect((await stack.api('POST', `/api/tenants/${BETA}/consent-check`)).json.consent).toMatchObject({
      status: 'granted',
    });
    const started = await stack.api('POST', `/api/migrations?tenantId=${BETA}`, {
      id: 'beta-approval',
      requireApproval: true,
      moves: [{ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPREMIUM', users: { all: true } }],
    });
    expect(started.status).toBe(202);
    await stack.waitForMigration(`${BETA}~beta-approval`, (view) => view.status === 'awaitingApproval');
    browser = await launchChromium(chromiumPath);
    page = await browser.newPage({ viewport: DESKTOP });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await graph?.stop();
  });

  it('switches tenant: every call then carries its id, the choice stays in the address and across visits', async () => {
    const calls: string[] = [];
    page.on('request', (request) => request.url().includes('/api/') && calls.push(request.url()));
    await page.goto(`${stack.baseUrl}/api/dashboard?code=${KEY}&refresh=300#/licenses`);
    await page.locator('[data-testid=inventory] tr[data-sku="SPB"]').waitFor();
    expect(await page.locator('[data-testid=inventory] tr[data-sku="ENTERPRISEPACK"]').count()).toBe(0);

    calls.length = 0;
    await page.getByLabel('Tenant').selectOption(BETA);
    await page.locator('[data-testid=inventory] tr[data-sku="ENTERPRISEPACK"]').waitFor();
    expect(await page.locator('[data-testid=inventory] tr[data-sku="SPB"]').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('tenantId')).toBe(BETA);
    const scoped = calls.filter((url) => !/\/api\/(tenants|dashboard)/.test(url));
    expect(scoped.length).toBeGreaterThan(0);
    expect(scoped.filter((url) => new URL(url).searchParams.get('tenantId') !== BETA)).toEqual([]);

    // Beta's run is listed in Beta only.
    await page.locator('nav a', { hasText: /^Runs$/ }).click();
    await page.locator('a[href*="beta-approval"]').first().waitFor();

    // A visit without ?tenantId= opens the tenant chosen last in this browser.
    await page.goto(`${stack.baseUrl}/api/dashboard?code=${KEY}&refresh=300#/licenses`);
    await page.locator('[data-testid=inventory] tr[data-sku="ENTERPRISEPACK"]').waitFor();
    expect(new URL(page.url()).searchParams.get('tenantId')).toBe(BETA);
    expect(await page.getByLabel('Tenant').inputValue()).toBe(BETA);

    // Back to the home tenant: no tenantId is sent any more.
    calls.length = 0;
    await page.getByLabel('Tenant').selectOption('');
    await page.locator('[data-testid=inventory] tr[data-sku="SPB"]').waitFor();
    expect(new URL(page.url()).searchParams.get('tenantId')).toBeNull();
    expect(calls.filter((url) => new URL(url).searchParams.has('tenantId'))).toEqual([]);
  });

  it('shows every tenant at a glance: runs, waits and free seats, and opens one', async () => {
    await page.goto(`${stack.baseUrl}/api/dashboard?code=${KEY}&refresh=300#/tenants`);
    const beta = page.locator(`[data-testid=tenants-overview] tr[data-tenant="${BETA}"]`);
    await beta.waitFor();
    expect(await beta.locator('td[data-waiting-approval]').getAttribute('data-waiting-approval')).toBe('1');
    expect(await beta.locator('li[data-sku="ENTERPRISEPREMIUM"]').getAttribute('data-free')).toBe('20');
    const home = page.locator(`[data-testid=tenants-overview] tr[data-tenant="${HOME}"]`);
    expect(await home.locator('td[data-runs]').getAttribute('data-runs')).toBe('0');
    expect(await home.locator('li[data-sku="ENTERPRISEPACK"]').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'console-tenants-desktop.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'console-tenants-phone.png'), fullPage: true });
    await page.setViewportSize(DESKTOP);

    await beta.getByRole('button', { name: /Open/ }).click();
    await page.locator('a[href*="beta-approval"]').first().waitFor();
    expect(new URL(page.url()).searchParams.get('tenantId')).toBe(BETA);
  });
});
