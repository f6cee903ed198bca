/**
 * `npm run demo`: one complete migration on the embedded demo tenant, with fresh data in memory. All Business Standard
 * users move to Business Premium; the tenant has only 5 Premium seats, so the run waits (and says why) until the demo
 * makes the purchase land through the simulator's control API, then proceeds by itself. Prints live progress and the
 * report summary; exits 0 only when the migration completed.
 */
import * as path from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { findUnlicensedGaps, findWriteBudgetViolations } from '../emulators/graph';
import { generateLocalKey } from '../emulators/local/settings';
import { startLocalStack, type LocalStack } from '../emulators/local/stack';
import { APP_SETTINGS } from '../src/config/settings';
import type { ReportSummary } from '../src/domain/report';
import type { ReportRow } from '../src/domain/types';
import type { MigrationView } from '../src/migrations/view';

const REQUEST = {
  moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
  usageLocation: 'US',
  waitForLicenses: { pollInterval: 'PT2S' },
};
/** How long after the wait starts the purchase "lands": long enough to see the wait and one failed re-check. */
const PURCHASE_DELAY_MS = 3000;
const DEADLINE_MS = 50_000;
const POLL_MS = 200;
const FINISHED = new Set(['completed', 'completedWithErrors', 'needsAttention', 'cancelled', 'rejected', 'failed']);

function locations(): { rootDir: string; appEntry: string } {
  if (__filename.endsWith('.ts')) {
    const rootDir = path.resolve(__dirname, '..');
    return { rootDir, appEntry: path.join(rootDir, 'src/index.ts') };
  }
  const rootDir = path.resolve(__dirname, '../..');
  return { rootDir, appEntry: path.join(rootDir, 'dist/src/index.js') };
}

/** The sample local settings, with Graph left unset so the launcher embeds the demo tenant. */
function demoSettings(): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const setting of APP_SETTINGS) if (!setting.secret) settings[setting.name] = setting.localValue;
  settings.GRAPH_BASE_URL = '';
  settings.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
  settings.APPLICATIONINSIGHTS_CONNECTION_STRING = '';
  return settings;
}

/** Live progress: a bar on a terminal, plain lines otherwise (CI logs, pipes). */
interface ProgressDisplay {
  update(view: MigrationView): void;
  note(line: string): void;
  stop(): void;
}

function handledOf(view: MigrationView): number {
  return Math.max(0, view.counts.done - (view.counts.total - view.counts.toChange));
}

function detailOf(view: MigrationView): string {
  if (view.status === 'waitingForLicenses')
    return `waiting: ${view.waitingFor?.reason ?? view.message ?? 'checking the subscriptions'}`;
  const eta = view.etaSeconds !== undefined ? ` · about ${view.etaSeconds}s left` : '';
  return `moved ${view.counts.moved} · skipped ${view.counts.skipped} · blocked ${view.counts.blocked} · failed ${view.counts.failed}${eta}`;
}

function terminalProgress(): ProgressDisplay {
  const bars = new MultiBar(
    {
      format: '{status} |{bar}| {percentage}% | {value}/{total} users | {detail}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    Presets.shades_classic,
  );
  let bar: SingleBar | undefined;
  return {
    update(view) {
      const payload = { status: view.status.padEnd(18), detail: detailOf(view) };
      const total = Math.max(view.counts.toChange, 1);
      bar ??= bars.create(total, 0, payload);
      bar.setTotal(total);
      bar.update(Math.min(handledOf(view), total), payload);
    },
    note(line) {
      bars.log(`${line}\n`);
      bars.update();
    },
    stop() {
      bars.stop();
    },
  };
}

function plainProgress(print: (line: string) => void): ProgressDisplay {
  let last = '';
  let lastTenth = -1;
  return {
    update(view) {
      const tenth = Math.floor(view.progress / 10);
      const key = `${view.status}|${view.stage}|${view.waitingFor?.reason ?? ''}`;
      if (key === last && tenth === lastTenth) return;
      last = key;
      lastTenth = tenth;
      print(`[${view.status}] ${view.progress}% (${handledOf(view)}/${view.counts.toChange} users) ${detailOf(view)}`);
    },
    note: print,
    stop: () => undefined,
  };
}

async function api<T>(
  baseUrl: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: T }> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
}

/** The app's API, with the function key the demo's runtime requires (as `npm start` and Azure do). */
function appApi<T>(
  stack: LocalStack,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  return api<T>(stack.baseUrl, method, route, body, stack.functionKey ? { 'x-functions-key': stack.functionKey } : {});
}

interface ControlSku {
  skuPartNumber: string;
  displayName?: string;
  consumedUnits: number;
  freeSeats: number;
}

/** "The purchase lands": the admin bought enough Business Premium licenses for everyone still to move. */
async function landPurchase(stack: LocalStack, needed: number): Promise<string> {
  if (stack.graph.kind !== 'embedded') throw new Error('The demo needs the embedded simulator.');
  const control = stack.graph.controlUrl;
  const skus = await api<ControlSku[]>(control, 'GET', '/skus');
  const premium = skus.json.find((sku) => sku.skuPartNumber === 'SPB');
  const seats = (premium?.consumedUnits ?? 0) + needed + 2;
  await api(control, 'PATCH', '/skus/SPB', { prepaidUnits: seats });
  return `Purchase landed: ${premium?.displayName ?? 'Business Premium'} now has ${seats} licenses (simulator control API). The run continues at its next check, without a new request.`;
}

interface Report {
  summary?: ReportSummary;
  finishedAt?: string;
  rows: ReportRow[];
}

/**
 * The status turns final just before the finalize activity stores the summary (seats freed, what to cancel), so
 * the report is read again until it carries its finishing time.
 */
async function finalReport(stack: LocalStack, id: string): Promise<Report> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const report = (await appApi<Report>(stack, 'GET', `/api/migrations/${encodeURIComponent(id)}/report`)).json;
    if (report.finishedAt !== undefined || Date.now() > deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function summaryLines(report: Report, view: MigrationView): string[] {
  const lines = ['', `Result: ${view.status}${view.message ? ` (${view.message})` : ''}`];
  for (const move of report.summary?.byMove ?? []) {
    lines.push(
      `  ${move.label}: ${move.moved} moved, ${move.skipped} skipped, ${move.blocked} blocked, ${move.failed} failed (of ${move.total})`,
    );
  }
  const blocked = report.rows.filter((row) => row.outcome === 'blocked' || row.outcome === 'failed');
  if (blocked.length > 0) {
    lines.push('', 'Users not moved, and why:');
    for (const row of blocked) lines.push(`  ${row.outcome.padEnd(7)} ${row.userPrincipalName}: ${row.reason}`);
  }
  const sources = report.summary?.sourceSkus ?? [];
  if (sources.length > 0) {
    lines.push('', 'Source subscriptions:');
    for (const source of sources) lines.push(`  ${source.name}: ${source.recommendation}`);
  }
  return lines;
}

async function run(
  stack: LocalStack,
  progress: ProgressDisplay,
  print: (...lines: string[]) => void,
): Promise<boolean> {
  const started = Date.now();
  const start = await appApi<{ id: string }>(stack, 'POST', '/api/migrations', REQUEST);
  const id = start.json.id;
  print(`Started migration ${id}: ${JSON.stringify(REQUEST)}`);
  let landAt: number | undefined;
  let landed = false;
  let view: MigrationView | undefined;
  while (Date.now() - started < DEADLINE_MS) {
    view = (await appApi<MigrationView>(stack, 'GET', `/api/migrations/${encodeURIComponent(id)}`)).json;
    progress.update(view);
    if (FINISHED.has(view.status)) break;
    // The reason appears with the first completed check, a moment after the status changes.
    if (view.status === 'waitingForLicenses' && view.waitingFor?.reason && landAt === undefined) {
      progress.note(`Waiting for licenses: ${view.waitingFor.reason}`);
      landAt = Date.now() + PURCHASE_DELAY_MS;
    }
    if (!landed && landAt !== undefined && Date.now() >= landAt) {
      landed = true;
      progress.note(await landPurchase(stack, view.counts.toChange));
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  progress.stop();
  if (!view || !FINISHED.has(view.status)) {
    print(`The migration did not finish within ${DEADLINE_MS / 1000} s; last status: ${JSON.stringify(view)}`);
    return false;
  }
  const report = await finalReport(stack, id);
  for (const line of summaryLines(report, view)) print(line);
  if (stack.graph.kind === 'embedded') {
    const events = stack.graph.simulator.events();
    const gaps = findUnlicensedGaps(events);
    const overBudget = findWriteBudgetViolations(events);
    print(
      '',
      `Simulator checks: ${gaps.length === 0 ? 'no user was ever left without a license' : `${gaps.length} users were left unlicensed`}; ` +
        `${overBudget.length === 0 ? 'Graph write budget held' : 'Graph write budget exceeded'}.`,
    );
    if (gaps.length > 0 || overBudget.length > 0) return false;
  }
  print(`Finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return view.status === 'completed';
}

async function main(): Promise<number> {
  const print = (...lines: string[]): void => {
    for (const line of lines) process.stdout.write(`${line}\n`);
  };
  const hostLog: string[] = [];
  const { rootDir, appEntry } = locations();
  print('license-shift demo: starting Azurite (in memory), the embedded Graph simulator and the local runtime ...');
  const stack = await startLocalStack({
    rootDir,
    appEntry,
    settings: demoSettings(),
    port: 0,
    functionKey: generateLocalKey(),
    log: (line) => {
      // Kept for a failure report; the progress display is the demo's output.
      hostLog.push(line);
      if (hostLog.length > 40) hostLog.shift();
    },
  });
  try {
    if (stack.graph.kind === 'embedded') {
      const tenant = stack.graph.simulator.tenant;
      const premium = tenant.findSku('SPB');
      print(
        `Tenant: ${tenant.organization.displayName} (${tenant.users.size} users), simulated at ${stack.graph.baseUrl}; ` +
          `Business Premium has ${premium ? tenant.freeSeats(premium) : 0} free licenses.`,
      );
    }
    const progress = process.stdout.isTTY ? terminalProgress() : plainProgress((line) => print(line));
    const ok = await run(stack, progress, print);
    if (!ok) print('', 'Last runtime log lines:', ...hostLog.map((line) => `  ${line}`));
    return ok ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
