import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { generateScenario } from '../../emulators/graph';
import { launchChromium } from '../support/browser';
import { deadlineAfter } from '../support/clock';
import { startStack as startAppStack, type Stack as AppStack } from '../support/e2e';
import { findChromium, requireTool } from '../support/tools';

const describeWithChromium = requireTool(findChromium());
const KEY = 'test-function-key';
const ARTIFACTS = join(__dirname, '../../artifacts');

/**
 * The status page in headless Chromium against the app on the local runtime (real clock): a running migration's
 * progress goes up, a waiting one shows why, and Approve moves an awaiting one on.
 */
describeWithChromium('status page in a browser', (chromiumPath) => {
  let stack: AppStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startAppStack({
      clock: 'real',
      functionKey: KEY,
      // One Graph request at a time, so the run takes seconds and the page sees it progress.
      env: { GRAPH_MAX_CONCURRENCY: '1' },
      simulator: {
        // Business Standard holders, with Premium (SPB) seats for all of them and E5 short of seats.
        scenario: generateScenario({ users: 160, seed: 3 }),
        timeScale: 1,
        // Slow license writes so a browser polling every 250 ms sees the progress move.
        latency: {
          read: { medianMs: 0, p95Ms: 0 },
          list: { medianMs: 0, p95Ms: 0 },
          write: { medianMs: 40, p95Ms: 40 },
        },
      },
    });
    browser = await launchChromium(chromiumPath);
    page = await browser.newPage({ viewport: { width: 420, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('serves the page without a key, and the page calls the API with the key it was opened with', async () => {
    const response = await fetch(`${stack.baseUrl}/api/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/connect-src 'self'/);
    expect(await response.text()).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    expect((await stack.api('GET', '/api/migrations')).status).toBe(200);
    expect((await fetch(`${stack.baseUrl}/api/migrations`)).status).toBe(401);
  });

  it('shows progress rising, the waiting reason, and approves an awaiting migration', async () => {
    const waiting = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPREMIUM', users: { all: true } }],
    });
    const awaiting = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'ENTERPRISEPREMIUM', to: 'ENTERPRISEPACK', users: { all: true } }],
      requireApproval: true,
      acknowledgeDataLoss: true,
    });
    expect([waiting.status, awaiting.status]).toEqual([202, 202]);

    await page.goto(`${stack.baseUrl}/api/dashboard?code=${KEY}&refresh=250`);
    const waitingCard = page.locator(`[data-migration-id="${waiting.json.id}"]`);
    await waitingCard.locator('.waiting-reason').waitFor({ timeout: 30_000 });
    expect(await waitingCard.locator('.waiting-reason').textContent()).toMatch(/buy \d+ more|need \d+/i);

    const running = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      // Single-user batches: many batch activities, so the status API reports progress between them.
      batchSize: 1,
    });
    const runningCard = page.locator(`[data-migration-id="${running.json.id}"]`);
    const seen = new Set<number>();
    const expired = deadlineAfter(60_000);
    while (!expired()) {
      const value = await runningCard
        .locator('progress')
        .getAttribute('data-progress', { timeout: 1000 })
        .catch(() => null);
      if (value !== null) seen.add(Number(value));
      if (seen.has(100)) break;
      await page.waitForTimeout(100);
    }
    const inBetween = [...seen].filter((value) => value > 0 && value < 100);
    expect(inBetween.length).toBeGreaterThanOrEqual(1);
    expect(seen.has(100)).toBe(true);

    const awaitingCard = page.locator(`[data-migration-id="${awaiting.json.id}"]`);
    await page.locator(`[data-migration-id="${awaiting.json.id}"][data-status="awaitingApproval"]`).waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await awaitingCard.locator('button[data-action="approve"]').click();
    await page
      .locator(`[data-migration-id="${awaiting.json.id}"]:not([data-status="awaitingApproval"])`)
      .waitFor({ timeout: 30_000 });
    const after = await stack.api('GET', `/api/migrations/${awaiting.json.id}`);
    expect(after.json.status).not.toBe('awaitingApproval');
  });
});
