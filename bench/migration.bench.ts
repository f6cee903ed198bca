/**
 * End-to-end migration benchmark: N users moved through the real app on the local runtime, against the Graph
 * simulator at Microsoft's documented limits on a scaled clock (limits × k, latencies ÷ k), with Azurite storage.
 *
 * Prints, for 1,000 and 10,000 users: users per second ÷ the write-budget bound (3,000 writes per 150 s × k),
 * requests throttled, orchestration replay events per user (must not grow with N), peak memory — and compares with
 * the committed baseline in bench/baselines/migration.json.
 *
 *   npm run bench                 # 1,000 and 10,000 users, k = 20
 *   npm run bench -- --users 2000 --scale 10
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFunctionsHost } from '../emulators/functions';
import { generateScenario, startGraphSimulator } from '../emulators/graph';
import { startLocalAzurite } from '../emulators/local/azurite';
import type { MigrationView } from '../src/migrations/view';
import { isFinished } from '../src/domain/status';

const { values } = parseArgs({
  options: {
    users: { type: 'string', multiple: true },
    scale: { type: 'string', default: '20' },
    'update-baseline': { type: 'boolean', default: false },
  },
});
const sizes = (values.users ?? ['1000', '10000']).map(Number);
const k = Number(values.scale);
const WRITES_PER_150S = 3_000;
const boundPerSecond = (WRITES_PER_150S * k) / 150;

interface Result {
  users: number;
  moved: number;
  seconds: number;
  usersPerSecond: number;
  ofBound: number;
  requests: number;
  throttled: number;
  throttledShare: number;
  replayEventsPerUser: number;
  peakRssMiB: number;
}

/** Events replayed over an instance's life: every episode replays the history up to its own end. */
function replayedEvents(history: { EventType: number }[]): number {
  const ORCHESTRATOR_STARTED = 12;
  let total = 0;
  let episodeEnd = history.length;
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i]!.EventType === ORCHESTRATOR_STARTED) {
      total += episodeEnd;
      episodeEnd = i;
    }
  }
  return total;
}

async function runOnce(users: number): Promise<Result> {
  const azurite = await startLocalAzurite();
  const sim = await startGraphSimulator({
    profile: 'deterministic',
    scenario: generateScenario({ users, seed: 42, mix: { noUsageLocation: 0, disabledAccounts: 0, groupLicensed: 0 } }),
    timeScale: k,
    latency: 'realistic',
    seed: 42,
  });
  const host = await startFunctionsHost({
    appEntry: join(__dirname, '../src/index.ts'),
    port: 0,
    clock: 'real',
    log: process.env.BENCH_LOG ? (line) => process.stderr.write(`${Date.now() % 100000} ${line}\n`) : () => undefined,
    env: {
      GRAPH_BASE_URL: sim.baseUrl,
      GRAPH_AUTH: 'none',
      AzureWebJobsStorage: azurite.connectionString,
      LICENSE_SHIFT_CONTAINER: 'bench',
      GRAPH_WRITE_BUDGET: String(2_850 * k),
      GRAPH_RESOURCE_UNIT_BUDGET: String(3_300 * k),
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
    },
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const response = await fetch(`${host.baseUrl}${path}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      return response.json();
    };
    const started = (await api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
    })) as { id: string };
    let view: MigrationView;
    let reassignStart: number | undefined;
    let reassignEnd: number | undefined;
    for (;;) {
      view = (await api('GET', `/api/migrations/${started.id}`)) as MigrationView;
      const now = Date.now();
      if (view.status === 'reassigning') reassignStart ??= now;
      if (reassignStart !== undefined && view.status !== 'reassigning') reassignEnd ??= now;
      if (isFinished(view.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (view.status !== 'completed') throw new Error(`Migration ended ${view.status}: ${view.message ?? ''}`);
    const seconds = ((reassignEnd ?? Date.now()) - (reassignStart ?? Date.now())) / 1000;
    const instances = (await (
      await fetch(
        `${host.baseUrl}/runtime/webhooks/durabletask/instances?instanceIdPrefix=${started.id}&showInput=false&top=100000`,
      )
    ).json()) as { instanceId: string }[];
    let replayed = 0;
    for (const instance of instances) replayed += replayedEvents(await host.getHistory(instance.instanceId));
    const requests = sim.events().filter((event) => event.kind === 'request');
    const throttled = requests.filter((event) => event.status === 429).length;
    const usersPerSecond = view.counts.moved / seconds;
    return {
      users,
      moved: view.counts.moved,
      seconds,
      usersPerSecond,
      ofBound: usersPerSecond / boundPerSecond,
      requests: requests.length,
      throttled,
      throttledShare: throttled / Math.max(1, requests.length),
      replayEventsPerUser: replayed / Math.max(1, view.counts.toChange),
      peakRssMiB: peakRss / 2 ** 20,
    };
  } finally {
    clearInterval(sampler);
    await host.stop();
    await sim.stop();
    await azurite.stop();
  }
}

async function main(): Promise<void> {
  const baselinePath = join(__dirname, 'baselines/migration.json');
  const baseline = JSON.parse(readFileSync(baselinePath, 'utf8')) as { results: Result[] };
  const results: Result[] = [];
  for (const users of sizes) results.push(await runOnce(users));

  const fmt = (n: number, digits = 2): string => n.toFixed(digits);
  console.log(
    `\nMigration benchmark: Business Standard → Business Premium, k = ${k}; bound = 3,000 writes/150 s × k = ${fmt(boundPerSecond, 0)} users/s\n`,
  );
  console.log(
    '| users | moved | reassign s | users/s | ÷ bound | requests | throttled | replay events/user | peak RSS MiB | baseline ÷ bound | baseline replay/user |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const base = baseline.results.find((b) => b.users === r.users);
    console.log(
      `| ${r.users} | ${r.moved} | ${fmt(r.seconds, 1)} | ${fmt(r.usersPerSecond, 1)} | ${fmt(r.ofBound)} | ${r.requests} | ${r.throttled} (${fmt(100 * r.throttledShare, 2)} %) | ${fmt(r.replayEventsPerUser, 1)} | ${fmt(r.peakRssMiB, 0)} | ${base ? fmt(base.ofBound) : '—'} | ${base ? fmt(base.replayEventsPerUser, 1) : '—'} |`,
    );
  }
  const small = results.find((r) => r.users === Math.min(...sizes));
  const large = results.find((r) => r.users === Math.max(...sizes));
  const checks: [string, boolean][] = results.map((r) => [
    `${r.users} users: ≥ 0.9 of the write-budget bound`,
    r.ofBound >= 0.9,
  ]);
  if (small && large && small !== large) {
    checks.push([
      `replay events per user do not grow (${fmt(small.replayEventsPerUser, 3)} → ${fmt(large.replayEventsPerUser, 3)})`,
      large.replayEventsPerUser <= small.replayEventsPerUser * 1.1,
    ]);
  }
  console.log('');
  for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}`);
  if (values['update-baseline']) {
    writeFileSync(
      baselinePath,
      JSON.stringify({ recordedAt: new Date().toISOString(), scale: k, results }, null, 2) + '\n',
    );
    console.log(`\nBaseline updated: ${baselinePath}`);
  }
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
}

void main();
