/**
 * Many tenants from one deployment (issue 16), `npm run bench:tenants`: three simulated tenants of 2,000 users each
 * migrate at the same time through one app. Each tenant's users/s over its reassign stage is set against its own
 * bound (Graph's write limit for one app in one tenant, 3,000 writes per 150 s, × k), and the aggregate against 3 ×
 * that bound. With `storm`, every Graph answer of the second tenant is a 429 (Retry-After 20 s, ÷ k) until the other
 * two have finished: they must not slow down (≥ 0.9 of their bound each). Every figure is printed beside the
 * committed baseline (bench/baselines/tenants.json).
 *
 *   npm run bench:tenants                              # single, together, storm: 2,000 users a tenant, k = 5
 *   npm run bench:tenants -- --only together --users 500 --scale 20
 *   npm run bench:tenants -- --update-baseline         # record this run as the new baseline
 *
 * The three tenants live in one simulator process of their own (the simulator's CLI with `--tenants`), so this
 * process holds only the product (the local Functions runtime and the app) and its peak RSS is the product's. The
 * app's write budget is 2,850 per 150 s × k (bench/support/product.ts), so a tenant paced at it reaches 0.95 of the
 * bound at most. Each tenant's note splits its reassign span, as this process saw it, by the simulator's license
 * changes: the time before the tenant's first write, the writes themselves, and the time after its last one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { isFinished } from '../src/domain/status';
import { requiredAppRoles } from '../src/graph/permissions';
import type { MigrationView } from '../src/migrations/view';
import { concludeBenchmark, printFigureTable, readBaseline, type Figure } from './support/baseline';
import { startProduct, type Product } from './support/product';
import {
  startMultiTenantSimulatorProcess,
  type MultiTenantSimulatorProcess,
  type SimulatorLicenseEvent,
} from './support/simulator-process';
import { boundPerSecond, PLAIN_MIX } from './support/stack';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    users: { type: 'string', default: '2000' },
    scale: { type: 'string', default: '5' },
    profile: { type: 'string', default: 'realistic' },
    'update-baseline': { type: 'boolean', default: false },
  },
});

const TENANTS = [
  'a1a1a1a1-1111-4111-8111-00000000b001',
  'b2b2b2b2-2222-4222-8222-00000000b002',
  'c3c3c3c3-3333-4333-8333-00000000b003',
] as const;
const HOME = TENANTS[0];
const STORMED = TENANTS[1];
const MOVE = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }] };
const users = Number(values.users);
const k = Number(values.scale);
const profile = values.profile === 'deterministic' ? 'deterministic' : 'realistic';
const baselinePath = join(__dirname, 'baselines/tenants.json');
const TARGET = 0.9;

interface TenantRun {
  tenantId: string;
  key: string;
  moved: number;
  status: string;
  /** Wall-clock ms the run was first seen reassigning, and first seen past it. */
  start: number;
  end: number;
  /** Wall-clock ms of the tenant's license changes through Graph (the simulator's event log), in order. */
  writes: number[];
}

interface ScenarioRun {
  runs: TenantRun[];
  peakRssMiB: number;
  /** The product's event loop from the migrations' start to their end: share busy, and delays of timers (ms). */
  eventLoop: { utilization: number; delayP99Ms: number; delayMaxMs: number };
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function follow(product: Product, tenantId: string, key: string): Promise<TenantRun> {
  const path = `/api/migrations/${encodeURIComponent(key)}${tenantId === HOME ? '' : `?tenantId=${tenantId}`}`;
  const begun = Date.now();
  let start: number | undefined;
  for (;;) {
    const view = await product.api<MigrationView>('GET', path);
    const now = Date.now();
    if (now - begun > 30 * 60_000) throw new Error(`run ${key} did not finish: ${JSON.stringify(view)}`);
    if (view.status === 'reassigning') start ??= now;
    const pastReassign = start !== undefined && view.status !== 'reassigning';
    if (pastReassign || isFinished(view.status)) {
      // The reassign stage is over: users/s over it, as the single-tenant benchmark measures it.
      let last = view;
      while (!isFinished(last.status)) {
        await sleep(100);
        last = await product.api<MigrationView>('GET', path);
      }
      const run = { tenantId, key, moved: last.counts.moved, status: last.status, start: start ?? now, end: now };
      return { ...run, writes: [] };
    }
    await sleep(50);
  }
}

/** When the tenant's licenses were changed through Graph (`assignLicense`), from the simulator's event log. */
async function writeTimes(graph: MultiTenantSimulatorProcess, tenantId: string): Promise<number[]> {
  const events = (await graph.tenant(tenantId).events('license')) as SimulatorLicenseEvent[];
  return events
    .filter((event) => event.cause === 'assignLicense')
    .map((event) => event.at)
    .sort((a, b) => a - b);
}

async function threeTenants(storm: boolean, count: number = TENANTS.length): Promise<ScenarioRun> {
  const tenants = TENANTS.slice(0, count);
  const graph = await startMultiTenantSimulatorProcess(
    tenants.map((tenantId, index) => ({
      tenantId,
      users,
      seed: 40 + index,
      mix: { ...PLAIN_MIX, skus: { O365_BUSINESS_PREMIUM: 1 }, target: { sku: 'SPB', seats: users } },
      profile,
      timeScale: k,
      latency: 'realistic',
      grantedRoles: requiredAppRoles([]),
    })),
  );
  try {
    const product = await startProduct({ graphBaseUrl: graph.baseUrl, timeScale: k, env: { HOME_TENANT_ID: HOME } });
    try {
      for (const [index, tenantId] of tenants.entries()) {
        if (tenantId === HOME) continue;
        await product.api('PUT', `/api/tenants/${tenantId}`, { displayName: `Customer ${index}` });
        await product.api('POST', `/api/tenants/${tenantId}/consent-check`);
      }
      const stormFaults = [{ kind: 'error', status: 429, retryAfterSeconds: 20 }];
      // The event loop is shared by the tenants' runs (and this benchmark's polling): how busy it gets tells whether
      // the runs wait for each other's CPU time.
      const delays = monitorEventLoopDelay({ resolution: 10 });
      delays.enable();
      const busyBefore = performance.eventLoopUtilization();
      if (storm) await graph.tenant(STORMED).control('PUT', 'faults', stormFaults);
      const started = await Promise.all(
        tenants.map((tenantId) =>
          product.api<{ id: string }>('POST', '/api/migrations', {
            ...MOVE,
            id: `wave-${tenantId.slice(0, 4)}`,
            ...(tenantId === HOME ? {} : { tenantId }),
          }),
        ),
      );
      const following = tenants.map((tenantId, index) => follow(product, tenantId, started[index]!.id));
      if (storm) {
        // The storm lasts until the two other tenants are done; then the stormed tenant may finish.
        await Promise.all(following.filter((_, index) => tenants[index] !== STORMED));
        await graph.tenant(STORMED).control('PUT', 'faults', []);
      }
      const runs = await Promise.all(following);
      delays.disable();
      const eventLoop = {
        utilization: performance.eventLoopUtilization(busyBefore).utilization,
        delayP99Ms: delays.percentile(99) / 1e6,
        delayMaxMs: delays.max / 1e6,
      };
      const peakRssMiB = product.peakRssMiB();
      for (const run of runs) run.writes = await writeTimes(graph, run.tenantId);
      // BENCH_TIMELINE=file.json keeps each tenant's span and write times, to see where time went.
      if (process.env.BENCH_TIMELINE) {
        const throttled = await Promise.all(
          tenants.map(async (tenantId) =>
            (await graph.tenant(tenantId).events('request')).filter(
              (event) => event.kind === 'request' && event.status === 429,
            ),
          ),
        );
        const timeline = runs.map((run, index) => ({ ...run, throttled: throttled[index] }));
        writeFileSync(`${process.env.BENCH_TIMELINE}.${storm ? 'storm' : count}.json`, JSON.stringify(timeline));
      }
      return { runs, peakRssMiB, eventLoop };
    } finally {
      await product.stop();
    }
  } finally {
    await graph.stop();
  }
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/**
 * Where a tenant's reassign span went: before its first write, writing (with the longest pause between two writes),
 * after its last write.
 */
function spanNote(run: TenantRun): string {
  const span = `${run.status}, ${run.moved.toLocaleString('en-US')} moved in ${seconds(run.end - run.start)} s`;
  const first = run.writes[0];
  const last = run.writes[run.writes.length - 1];
  if (first === undefined || last === undefined) return `${span}; no license change seen`;
  let pause = 0;
  let pauseAt = first;
  for (let i = 1; i < run.writes.length; i += 1) {
    const gap = run.writes[i]! - run.writes[i - 1]!;
    if (gap > pause) [pause, pauseAt] = [gap, run.writes[i - 1]!];
  }
  const writing = (last - first) / 1000;
  const pace = writing > 0 ? ` (${(run.writes.length / writing).toFixed(1)} changes/s)` : '';
  return (
    `${span}: ${seconds(first - run.start)} s to the first write, ${writing.toFixed(1)} s of writes${pace}, longest ` +
    `pause ${seconds(pause)} s at +${seconds(pauseAt - run.start)} s, ${seconds(run.end - last)} s from the last write ` +
    'to the end seen'
  );
}

function figures(name: string, title: string, result: ScenarioRun, stormed?: string): Figure[] {
  const bound = boundPerSecond(k);
  const out: Figure[] = [];
  for (const [index, run] of result.runs.entries()) {
    const rate = run.moved / ((run.end - run.start) / 1000);
    const ofBound = rate / bound;
    const isStormed = run.tenantId === stormed;
    out.push({
      id: `${name}-tenant${index + 1}-ofBound`,
      scenario: title,
      figure: `tenant ${index + 1}${run.tenantId === HOME ? ' (home)' : ''}${isStormed ? ' (stormed)' : ''}: users/s ÷ bound`,
      target: isStormed ? '—' : `≥ ${TARGET}`,
      shown: `${ofBound.toFixed(2)} (${rate.toFixed(1)} users/s)`,
      value: ofBound,
      ...(isStormed ? {} : { pass: ofBound >= TARGET }),
      note: spanNote(run),
    });
  }
  const calm = result.runs.filter((run) => run.tenantId !== stormed);
  const first = Math.min(...calm.map((run) => run.start));
  const last = Math.max(...calm.map((run) => run.end));
  const aggregate = calm.reduce((sum, run) => sum + run.moved, 0) / ((last - first) / 1000);
  const ofAll = aggregate / (calm.length * bound);
  out.push({
    id: `${name}-aggregate`,
    scenario: title,
    figure: `aggregate of ${calm.length} tenant(s): users/s ÷ ${calm.length} × bound`,
    target: '—',
    shown: `${ofAll.toFixed(2)} (${aggregate.toFixed(1)} of ${(calm.length * bound).toFixed(0)} users/s)`,
    value: ofAll,
  });
  out.push({
    id: `${name}-peak-rss`,
    scenario: title,
    figure: 'product peak RSS (runtime + app, no simulator)',
    target: '—',
    shown: `${result.peakRssMiB.toFixed(0)} MiB`,
    value: result.peakRssMiB,
    note: 'of this process since it started, so it includes the scenarios before this one',
  });
  const { utilization, delayP99Ms, delayMaxMs } = result.eventLoop;
  out.push({
    id: `${name}-event-loop`,
    scenario: title,
    figure: "product's event loop while the runs ran: busy share, timer delay p99 / max",
    target: '—',
    shown: `${Math.round(utilization * 100)} %, ${delayP99Ms.toFixed(0)} / ${delayMaxMs.toFixed(0)} ms`,
    value: utilization,
  });
  return out;
}

async function main(): Promise<void> {
  const only = values.only ?? ['single', 'together', 'storm'];
  const measured: Figure[] = [];
  if (only.includes('single')) {
    // The same harness with one tenant: what one tenant alone reaches here, beside the three.
    log('one tenant alone…');
    measured.push(...figures('single', 'one tenant alone', await threeTenants(false, 1)));
  }
  if (only.includes('together')) {
    log('three tenants at once…');
    measured.push(...figures('together', 'three tenants at once', await threeTenants(false)));
  }
  if (only.includes('storm')) {
    log('three tenants, a throttling storm in one…');
    measured.push(...figures('storm', 'storm in tenant 2', await threeTenants(true), STORMED));
  }
  const bound = boundPerSecond(k);
  console.log(
    `\nTenants benchmark: ${users.toLocaleString('en-US')} users a tenant, k = ${k}, ${profile} profile; ` +
      `bound per tenant = 3,000 writes per 150 s × k = ${bound.toFixed(0)} users/s`,
  );
  printFigureTable(measured, readBaseline(baselinePath));
  concludeBenchmark(baselinePath, k, measured, values['update-baseline']);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
