/**
 * Migration benchmark (`npm run bench`): the real app on the local Functions runtime in this process, Azurite in a
 * child process, and the Graph simulator in a process of its own (its CLI), so this process's peak memory is the
 * product's alone (runtime and app). The simulator runs at Microsoft's documented limits on a scaled clock: limits ×
 * k, latencies and Retry-After ÷ k; the app's budgets are × k too. "bound" = Graph's write limit for one app in one
 * tenant, 3,000 writes per 150 s, × k. Every figure is printed beside the committed baseline
 * (bench/baselines/migration.json) with its target. `npm run bench` runs it with `--max-old-space-size=1024`, the heap
 * limit the deployed worker gets on the default 2,048 MB instance (NODE_OPTIONS in infra/app/api.bicep), so the
 * memory measured is the product's as deployed.
 *
 *   npm run bench                                  # every scenario (about 15–20 minutes on a shared 2-core machine)
 *   npm run bench -- --only fresh --users 1000     # a subset: fresh, noise, storm, fairness, seats, comparison
 *   npm run bench -- --update-baseline             # record this run as the new baseline
 *
 * Scenarios (k = 20 unless noted; the generated tenant has 80 % of its users on Business Standard):
 *   fresh       1,000 / 10,000 / 100,000 users, Business Standard → Business Premium, nothing else in the tenant.
 *   noise       10,000 users with 2 % of Graph's answers a background 429 (Retry-After 1–30 s ÷ k, no throttle scope).
 *   storm       12,000 users at k = 5: half of Graph's answers are 429s for 60 s while the run writes; how long after
 *               the storm until a 5 s window moves at least 0.9 of the bound.
 *   fairness    a 10,000-user run and a 20-user run (Office 365 E3 → E5) started together at k = 5, against the
 *               20-user run alone; writes of both per 150 s (and per 10 s) against the budget. (k scales Graph, not the
 *               product's CPU time per user: at k = 20 the small run's time measures the one process's event loop.)
 *   seats       two runs needing 40 Office 365 E5 seats each, 50 free: one proceeds, the other waits.
 *   comparison  12,000 users, Graph's buckets at their real depth (windows ÷ k, so 150 s of Graph time pass in
 *               150/k s) and the app's write bucket already spent when writing starts, sustained over at least three
 *               150 s windows: the product, a sequential one-call loop (SDK retries) and CIPP-style $batches of 20
 *               without per-item retry.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { concludeBenchmark, printFigureTable, readBaseline, type Baseline, type Figure } from './support/baseline';
import { scenarios } from './support/scenarios';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    users: { type: 'string', multiple: true },
    scale: { type: 'string', default: '20' },
    'update-baseline': { type: 'boolean', default: false },
  },
});

const baselinePath = join(__dirname, 'baselines/migration.json');

/** The first baseline's shape: fresh runs only, measured with the simulator in the benchmark's process. */
interface LegacyResult {
  users: number;
  ofBound: number;
  replayEventsPerUser: number;
  peakRssMiB: number;
}

/** A legacy baseline's fresh runs as figures, so a run still prints beside what was committed before it. */
function fromLegacy(results: LegacyResult[]): Figure[] {
  const figures: Figure[] = results.map((r) => ({
    id: `fresh-${r.users}-ofBound`,
    scenario: '',
    figure: '',
    target: '',
    shown: r.ofBound.toFixed(2),
  }));
  const largest = results.reduce<LegacyResult | undefined>((a, r) => (!a || r.users > a.users ? r : a), undefined);
  const smallest = results.reduce<LegacyResult | undefined>((a, r) => (!a || r.users < a.users ? r : a), undefined);
  if (largest) {
    const shown = `${largest.peakRssMiB.toFixed(0)} MiB at ${largest.users.toLocaleString('en-US')}, simulator included`;
    figures.push({ id: 'fresh-largest-rss', scenario: '', figure: '', target: '', shown });
  }
  if (largest && smallest && largest !== smallest) {
    const ratio = largest.replayEventsPerUser / smallest.replayEventsPerUser;
    const shown = `${smallest.replayEventsPerUser.toFixed(3)} → ${largest.replayEventsPerUser.toFixed(3)} (${ratio.toFixed(2)}×, ${smallest.users.toLocaleString('en-US')} → ${largest.users.toLocaleString('en-US')})`;
    figures.push({ id: 'fresh-replay-flat', scenario: '', figure: '', target: '', shown });
  }
  return figures;
}

/** The first baseline's fresh runs, as figures. */
function fromLegacyBaseline(parsed: Record<string, unknown>): Baseline | undefined {
  const { results, recordedAt, scale } = parsed as { results?: LegacyResult[]; recordedAt?: string; scale?: number };
  if (!Array.isArray(results) || !recordedAt || !scale) return undefined;
  return { recordedAt, scale, figures: fromLegacy(results) };
}

function print(figures: Figure[], baseline: Baseline | undefined, k: number): void {
  console.log(`\nMigration benchmark, k = ${k}; bound = 3,000 writes per 150 s × k = ${(3_000 * k) / 150} users/s`);
  printFigureTable(figures, baseline);
}

async function main(): Promise<void> {
  const k = Number(values.scale);
  const only = new Set(values.only ?? Object.keys(scenarios));
  const sizes = (values.users ?? ['1000', '10000', '100000']).map(Number);
  const figures: Figure[] = [];
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (!only.has(name)) continue;
    const started = Date.now();
    process.stderr.write(`bench: ${name}…\n`);
    figures.push(...(await scenario({ k, sizes, log: (m) => process.stderr.write(`bench: ${name}: ${m}\n`) })));
    process.stderr.write(`bench: ${name} took ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
  const baseline = readBaseline(baselinePath, fromLegacyBaseline);
  print(figures, baseline, k);
  concludeBenchmark(baselinePath, k, figures, values['update-baseline']);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
