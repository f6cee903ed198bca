/**
 * The same migration done three ways against Graph's buckets at their real depth, each sustained over at least three
 * 150 s windows (of Graph time) and each starting with the app's write bucket already spent, as after an earlier wave
 * or another tool in the tenant:
 *   - license-shift: the product, through its API;
 *   - a sequential loop: one `assignLicense` at a time through `@microsoft/microsoft-graph-client` with its default
 *     middleware (RetryHandler: 3 retries, Retry-After honoured);
 *   - CIPP-style: `$batch` requests of 20 sent one after another; throttled or failed items are not retried.
 * Users moved are counted on the simulator (seats of the target consumed), not taken from what each one reports.
 */
import { Client } from '@microsoft/microsoft-graph-client';
import { followMigration, reassignSpan, type Product } from './product';
import type { ScenarioContext } from './scenarios';
import type { SimulatorProcess } from './simulator-process';
import { boundPerSecond, withStack } from './stack';

export interface CompetitorRow {
  strategy: string;
  moved: number;
  /** Users the strategy itself reported as failed. */
  failed: number;
  /** Users it sent but neither moved nor reported. */
  lost: number;
  seconds: number;
  ofBound: number;
}

interface SwapItem {
  userId: string;
  addLicenses: { skuId: string; disabledPlans: string[] }[];
  removeLicenses: string[];
}

const USERS = 12_000;

/**
 * Graph's documented limits with their windows ÷ k and their sizes ÷ k: the simulator multiplies sizes by k, so the
 * buckets hold what Graph's do (3,000 writes), refill k times faster, and three 150 s windows pass in 3 × 150/k s.
 */
function realDepth(k: number): Record<string, unknown> {
  return {
    resourceUnitsPerAppTenant: { S: 3_500 / k, M: 5_000 / k, L: 8_000 / k },
    ruWindowMs: 10_000 / k,
    writesPerAppTenant: 3_000 / k,
    writeWindowMs: 150_000 / k,
    writesPerTenant: 18_000 / k,
    tenantWriteWindowMs: 300_000 / k,
    resourceUnitsPerApp: 150_000 / k,
    appRuWindowMs: 20_000 / k,
    writesPerApp: 35_000 / k,
    appWriteWindowMs: 300_000 / k,
    requestsPerAppGlobal: 130_000 / k,
    globalWindowMs: 10_000 / k,
  };
}

async function standardSwaps(sim: SimulatorProcess): Promise<SwapItem[]> {
  const skus = await sim.skus();
  const standard = skus.find((s) => s.skuPartNumber === 'O365_BUSINESS_PREMIUM')?.skuId ?? '';
  const premium = skus.find((s) => s.skuPartNumber === 'SPB')?.skuId ?? '';
  const state = await sim.control<{ users: { id: string; assignedLicenses: { skuId: string }[] }[] }>('GET', 'state');
  return state.users
    .filter((u) => u.assignedLicenses.some((l) => l.skuId === standard))
    .map((u) => ({ userId: u.id, addLicenses: [{ skuId: premium, disabledPlans: [] }], removeLicenses: [standard] }));
}

async function premiumConsumed(sim: SimulatorProcess): Promise<number> {
  return (await sim.skus()).find((s) => s.skuPartNumber === 'SPB')?.consumedUnits ?? 0;
}

/** Spends the app's write bucket with writes that change nothing, until Graph says the write budget is used up. */
async function spendWriteBudget(sim: SimulatorProcess, userIds: string[]): Promise<void> {
  const batch = (offset: number) => ({
    requests: Array.from({ length: 20 }, (_, i) => ({
      id: String(i),
      method: 'POST',
      url: `/users/${userIds[(offset + i) % userIds.length] ?? ''}/assignLicense`,
      headers: { 'Content-Type': 'application/json' },
      body: { addLicenses: [], removeLicenses: [] },
    })),
  });
  let spent = false;
  for (let offset = 0; !spent && offset < 100_000; offset += 80) {
    const answers = await Promise.all(
      [0, 20, 40, 60].map(async (o) => {
        const response = await fetch(`${sim.baseUrl}/$batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch(offset + o)),
        });
        return (await response.json()) as { responses?: { status: number; headers?: Record<string, string> }[] };
      }),
    );
    spent = answers.some((a) =>
      (a.responses ?? []).some((r) => r.status === 429 && /\/Write\//.test(r.headers?.['x-ms-throttle-scope'] ?? '')),
    );
  }
}

async function ours(product: Product, sim: SimulatorProcess, ids: string[], k: number): Promise<CompetitorRow> {
  const startedAt = Date.now();
  const started = await product.api<{ id: string }>('POST', '/api/migrations', {
    moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
  });
  let spending: Promise<void> | undefined;
  const timeline = await followMigration(product, started.id, startedAt, (view) => {
    if (view.status === 'reassigning') spending ??= spendWriteBudget(sim, ids);
  });
  await spending;
  const { start, end } = reassignSpan(timeline);
  const seconds = (end - start) / 1000;
  const moved = timeline.view.counts.moved;
  return {
    strategy: 'license-shift',
    moved,
    failed: timeline.view.counts.failed,
    lost: 0,
    seconds,
    ofBound: moved / seconds / boundPerSecond(k),
  };
}

async function sequential(
  sim: SimulatorProcess,
  items: SwapItem[],
  until: number,
): Promise<{ failed: number; sent: number }> {
  const url = new URL(sim.baseUrl);
  // The SDK's default chain (auth, retry, redirect, telemetry, fetch); the token is irrelevant to the simulator.
  const client = Client.init({
    authProvider: (done) => done(null, 'unused'),
    baseUrl: url.origin,
    defaultVersion: url.pathname.slice(1),
  });
  let failed = 0;
  let sent = 0;
  for (const item of items) {
    if (Date.now() >= until) break;
    sent += 1;
    try {
      await client.api(`/users/${item.userId}/assignLicense`).post(item);
    } catch {
      failed += 1;
    }
  }
  return { failed, sent };
}

async function cipp(
  sim: SimulatorProcess,
  items: SwapItem[],
  until: number,
): Promise<{ failed: number; sent: number }> {
  let failed = 0;
  let sent = 0;
  for (let i = 0; i < items.length && Date.now() < until; i += 20) {
    const chunk = items.slice(i, i + 20);
    sent += chunk.length;
    const requests = chunk.map((item, n) => ({
      id: String(n),
      method: 'POST',
      url: `/users/${item.userId}/assignLicense`,
      headers: { 'Content-Type': 'application/json' },
      body: { addLicenses: item.addLicenses, removeLicenses: item.removeLicenses },
    }));
    try {
      const response = await fetch(`${sim.baseUrl}/$batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requests }),
      });
      const body = (await response.json()) as { responses?: { status: number }[] };
      failed += (body.responses ?? []).filter((r) => r.status >= 400).length;
      failed += chunk.length - (body.responses ?? []).length;
    } catch {
      failed += chunk.length;
    }
  }
  return { failed, sent };
}

async function script(
  name: string,
  run: (sim: SimulatorProcess, items: SwapItem[], until: number) => Promise<{ failed: number; sent: number }>,
  sim: SimulatorProcess,
  seconds: number,
  k: number,
): Promise<CompetitorRow> {
  await sim.control('POST', 'reset');
  const items = await standardSwaps(sim);
  await spendWriteBudget(
    sim,
    items.map((i) => i.userId),
  );
  const before = await premiumConsumed(sim);
  const started = Date.now();
  const { failed, sent } = await run(sim, items, started + seconds * 1000);
  const elapsed = (Date.now() - started) / 1000;
  const moved = (await premiumConsumed(sim)) - before;
  return {
    strategy: name,
    moved,
    failed,
    lost: Math.max(0, sent - moved - failed),
    seconds: elapsed,
    ofBound: moved / elapsed / boundPerSecond(k),
  };
}

export async function baselineCompetitors(ctx: ScenarioContext): Promise<CompetitorRow[]> {
  const { k } = ctx;
  return withStack({ users: USERS, k }, async ({ sim, product }) => {
    await sim.control('PATCH', 'throttling', realDepth(k));
    const ids = (await standardSwaps(sim)).map((i) => i.userId);
    const mine = await ours(product, sim, ids, k);
    ctx.log(JSON.stringify(mine));
    const seconds = Math.max((3 * 150) / k, mine.seconds);
    const loop = await script('a sequential one-call loop', sequential, sim, seconds, k);
    ctx.log(JSON.stringify(loop));
    const batches = await script('CIPP-style 20-batches without per-item retry', cipp, sim, seconds, k);
    ctx.log(JSON.stringify(batches));
    return [mine, loop, batches];
  });
}
