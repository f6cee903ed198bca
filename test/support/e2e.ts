import { randomUUID } from 'node:crypto';
import { startFunctionsHost, type FunctionsHost } from '../../emulators/functions';
import { startGraphSimulator, type GraphSimulator, type GraphSimulatorOptions } from '../../emulators/graph';
import { FINISHED_STATUSES } from '../../src/domain/status';
import { requiredAppRoles } from '../../src/graph/permissions';
import type { MigrationView } from '../../src/migrations/view';
import type { Telemetry } from '../../src/telemetry';
import { APP_MODULE, composeApp } from './app';
import { deadlineAfter, realPacedClock, TEST_START_MS } from './clock';
import { testStorageConnectionString } from './storage';

// Response bodies are whatever JSON the API returns; tests assert on their fields directly.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

export interface Stack {
  host: FunctionsHost;
  sim: GraphSimulator;
  baseUrl: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ApiResponse
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  /** Polls GET /api/migrations/{id} until the predicate holds (the host's clock moves as configured). */
  waitForMigration(id: string, predicate: (view: MigrationView) => boolean, timeoutMs?: number): Promise<MigrationView>;
  waitForFinish(id: string, timeoutMs?: number): Promise<MigrationView>;
  stop(): Promise<void>;
}

export interface StackOptions {
  simulator?: GraphSimulatorOptions;
  /** An already running simulator (the test keeps its state across stacks). */
  sim?: GraphSimulator;
  /** Graph URL the app uses instead of the simulator's own (a multi-tenant simulator's front, say). */
  graphBaseUrl?: string;
  clock?: 'real' | 'virtual';
  env?: Record<string, string>;
  functionKey?: string;
  persistenceDir?: string;
  container?: string;
  /** Telemetry the app sends to (an in-memory recorder, say); none by default. */
  telemetry?: Telemetry;
}

/**
 * The product as it runs locally: the compiled app's registrations on the local runtime, the Graph simulator as the
 * tenant, and Azurite for storage. Throttling limits and the app's write budget are scaled by the same factor so
 * tests keep the shape of production pacing at a fraction of the time.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const timeScale = options.simulator?.timeScale ?? 10;
  const clock = options.clock ?? 'virtual';
  const sim =
    options.sim ??
    (await startGraphSimulator({
      scenario: 'demo',
      latency: 'none',
      seed: 7,
      // A deployment with the usage-location feature on (the README's first example uses it).
      grantedRoles: requiredAppRoles(['usageLocation']),
      // Dates the tenant shows start at the test instant too; its throttling windows still pass in real time.
      now: realPacedClock(),
      ...options.simulator,
      timeScale,
    }));
  const host = await startFunctionsHost({
    appEntry: APP_MODULE,
    compose: composeApp(options.telemetry ? { telemetry: options.telemetry } : {}),
    port: 0,
    clock,
    ...(clock === 'virtual' ? { startAt: TEST_START_MS } : {}),
    persistenceDir: options.persistenceDir,
    functionKey: options.functionKey,
    log: process.env.E2E_LOG ? (line) => process.stdout.write(line + '\n') : () => undefined,
    env: {
      GRAPH_BASE_URL: options.graphBaseUrl ?? sim.baseUrl,
      GRAPH_AUTH: 'none',
      AzureWebJobsStorage: testStorageConnectionString(),
      LICENSE_SHIFT_CONTAINER: options.container ?? `e2e${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      GRAPH_WRITE_BUDGET: String(2850 * timeScale),
      GRAPH_RESOURCE_UNIT_BUDGET: String(3300 * timeScale),
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
      MIGRATION_SCHEDULE: '0 */5 * * * *',
      ...options.env,
    },
  }).catch(async (error: unknown) => {
    if (!options.sim) await sim.stop();
    throw error;
  });
  const keyHeader: Record<string, string> = options.functionKey ? { 'x-functions-key': options.functionKey } : {};
  const api = async <T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> => {
    const response = await fetch(`${host.baseUrl}${path}`, {
      method,
      headers: {
        ...keyHeader,
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json: json as T, text };
  };
  const waitForMigration = async (
    id: string,
    predicate: (view: MigrationView) => boolean,
    timeoutMs = 60_000,
  ): Promise<MigrationView> => {
    const expired = deadlineAfter(timeoutMs);
    let last: MigrationView | undefined;
    while (!expired()) {
      // Another tenant's run key ({tenantId}~{id}) is answered only in that tenant.
      const tenantId = /^([0-9a-f-]{36})~/i.exec(id)?.[1];
      const query = tenantId ? `?tenantId=${tenantId}` : '';
      const response = await api<MigrationView>('GET', `/api/migrations/${encodeURIComponent(id)}${query}`);
      if (response.status === 200) {
        last = response.json;
        if (predicate(last)) return last;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`Migration ${id} did not reach the expected state; last seen: ${JSON.stringify(last)}`);
  };
  return {
    host,
    sim,
    baseUrl: host.baseUrl,
    api,
    waitForMigration,
    waitForFinish: (id, timeoutMs) =>
      waitForMigration(id, (view) => FINISHED_STATUSES.includes(view.status), timeoutMs),
    stop: async () => {
      await host.stop();
      if (!options.sim) await sim.stop();
    },
  };
}
