/**
 * The product as a benchmark runs it: the app on the local Functions runtime in this process (so this process's
 * memory is the product's: runtime and app), Azurite in a child process, and a Graph simulator running elsewhere.
 */
import { join } from 'node:path';
import { startFunctionsHost, type FunctionsHost } from '../../emulators/functions';
import { startLocalAzurite, type LocalAzurite } from '../../emulators/local/azurite';
import { isFinished } from '../../src/domain/status';
import type { MigrationView } from '../../src/migrations/view';

export interface Product {
  host: FunctionsHost;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Highest resident set size of this process seen so far (MiB): the runtime and the app. */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

export interface ProductOptions {
  graphBaseUrl: string;
  timeScale: number;
  env?: Record<string, string>;
}

export async function startProduct(options: ProductOptions): Promise<Product> {
  const azurite: LocalAzurite = await startLocalAzurite();
  const k = options.timeScale;
  const host = await startFunctionsHost({
    appEntry: join(__dirname, '../../src/index.ts'),
    port: 0,
    clock: 'real',
    // BENCH_ACTIVITIES=n runs n activities at once instead of host.json's maxConcurrentActivityFunctions.
    ...(process.env.BENCH_ACTIVITIES ? { maxConcurrentActivities: Number(process.env.BENCH_ACTIVITIES) } : {}),
    log: process.env.BENCH_LOG ? (line) => process.stderr.write(`${Date.now() % 100000} ${line}\n`) : () => undefined,
    env: {
      GRAPH_BASE_URL: options.graphBaseUrl,
      GRAPH_AUTH: 'none',
      AzureWebJobsStorage: azurite.connectionString,
      LICENSE_SHIFT_CONTAINER: 'bench',
      // The app's budgets scaled like the simulator's limits (× k).
      GRAPH_WRITE_BUDGET: String(2_850 * k),
      GRAPH_RESOURCE_UNIT_BUDGET: String(3_300 * k),
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
      ...options.env,
    },
  });
  let peak = process.memoryUsage().rss;
  let samples = 0;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peak = Math.max(peak, usage.rss);
    // BENCH_MEMORY=1 prints where the memory is, every two seconds.
    if (process.env.BENCH_MEMORY && (samples += 1) % 20 === 0) {
      const mib = (n: number): string => (n / 2 ** 20).toFixed(0);
      process.stderr.write(
        `memory: rss ${mib(usage.rss)} heap ${mib(usage.heapUsed)}/${mib(usage.heapTotal)} external ${mib(usage.external)} buffers ${mib(usage.arrayBuffers)} MiB\n`,
      );
    }
  }, 100);
  return {
    host,
    api: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${host.baseUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status >= 500) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    peakRssMiB: () => Math.max(peak, process.memoryUsage().rss) / 2 ** 20,
    stop: async () => {
      clearInterval(sampler);
      await host.stop();
      await azurite.stop();
    },
  };
}

export interface RunTimeline {
  id: string;
  view: MigrationView;
  startedAt: number;
  /** Wall-clock ms when each status was first seen. */
  firstSeen: Partial<Record<string, number>>;
  finishedAt: number;
}

/** Starts a migration and polls its status until it ends, noting when each status was first seen. */
export async function runMigration(
  product: Product,
  body: Record<string, unknown>,
  onView?: (view: MigrationView) => void | Promise<void>,
): Promise<RunTimeline> {
  const startedAt = Date.now();
  const started = await product.api<{ id: string }>('POST', '/api/migrations', body);
  return followMigration(product, started.id, startedAt, onView);
}

export async function followMigration(
  product: Product,
  id: string,
  startedAt: number,
  onView?: (view: MigrationView) => void | Promise<void>,
): Promise<RunTimeline> {
  const firstSeen: Partial<Record<string, number>> = {};
  for (;;) {
    const view = await product.api<MigrationView>('GET', `/api/migrations/${encodeURIComponent(id)}`);
    const now = Date.now();
    // A benchmark must end: a run still going after 30 minutes is reported as it stands.
    if (now - startedAt > 30 * 60_000 && !isFinished(view.status)) {
      throw new Error(`run ${id} did not finish: ${JSON.stringify(view)}`);
    }
    if (view?.status) firstSeen[view.status] ??= now;
    await onView?.(view);
    if (view?.status && isFinished(view.status)) return { id, view, startedAt, firstSeen, finishedAt: now };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** When the reassign stage ended: the first status seen after it. */
export function reassignSpan(timeline: RunTimeline): { start: number; end: number } {
  const start = timeline.firstSeen.reassigning ?? timeline.finishedAt;
  const after = ['verifying', 'cleaningUp', 'completed', 'completedWithErrors', 'needsAttention', 'cancelled']
    .map((status) => timeline.firstSeen[status])
    .filter((t): t is number => t !== undefined && t >= start);
  return { start, end: Math.min(timeline.finishedAt, ...after) };
}

/** Events replayed over an instance's life: every episode replays the history up to its own end. */
function replayedEvents(history: { EventType: number }[]): number {
  const ORCHESTRATOR_STARTED = 12;
  let total = 0;
  let episodeEnd = history.length;
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i]?.EventType === ORCHESTRATOR_STARTED) {
      total += episodeEnd;
      episodeEnd = i;
    }
  }
  return total;
}

/** Replay events of a run and its sub-orchestrations. */
export async function replayEvents(product: Product, id: string): Promise<number> {
  const instances = await product.api<{ instanceId: string }[]>(
    'GET',
    `/runtime/webhooks/durabletask/instances?instanceIdPrefix=${encodeURIComponent(id)}&showInput=false&top=100000`,
  );
  let replayed = 0;
  const byInstance: [string, number, number][] = [];
  for (const instance of instances) {
    const history = await product.host.getHistory(instance.instanceId);
    const events = replayedEvents(history);
    replayed += events;
    byInstance.push([instance.instanceId.slice(id.length) || '(run)', events, history.length]);
  }
  // BENCH_REPLAY=1 prints where the replayed events are: the instances replaying most, with their history length.
  if (process.env.BENCH_REPLAY) {
    const top = byInstance.sort((a, b) => b[1] - a[1]).slice(0, 5);
    const lines = top.map(([name, events, length]) => `  ${name}: ${events} replayed, history ${length}`);
    process.stderr.write(`replay: ${replayed} events in ${instances.length} instances\n${lines.join('\n')}\n`);
  }
  return replayed;
}
