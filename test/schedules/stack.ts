import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startFunctionsHost, type FunctionsHost } from '../../emulators/functions';
import { startGraphSimulator, type GraphSimulator, type GraphSimulatorOptions } from '../../emulators/graph';
import { testStorageConnectionString } from '../support/storage';

export interface AppStack {
  host: FunctionsHost;
  sim: GraphSimulator;
  baseUrl: string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON bodies, asserted field by field
  stop(): Promise<void>;
}

/** The app with schedules and dashboard on the local runtime, the Graph simulator as tenant, Azurite as storage. */
export async function startAppStack(options: {
  simulator?: GraphSimulatorOptions;
  clock: 'real' | 'virtual';
  env?: Record<string, string>;
  functionKey?: string;
}): Promise<AppStack> {
  const timeScale = options.simulator?.timeScale ?? 10;
  const sim = await startGraphSimulator({
    scenario: 'demo',
    latency: 'none',
    seed: 7,
    ...options.simulator,
    timeScale,
  });
  const host = await startFunctionsHost({
    appEntry: join(__dirname, 'app-entry.ts'),
    port: 0,
    clock: options.clock,
    functionKey: options.functionKey,
    log: process.env.E2E_LOG ? (line) => process.stdout.write(line + '\n') : () => undefined,
    env: {
      GRAPH_BASE_URL: sim.baseUrl,
      GRAPH_AUTH: 'none',
      AzureWebJobsStorage: testStorageConnectionString(),
      LICENSE_SHIFT_CONTAINER: `sched${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      GRAPH_WRITE_BUDGET: String(2850 * timeScale),
      GRAPH_RESOURCE_UNIT_BUDGET: String(3300 * timeScale),
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
      MIGRATION_SCHEDULE: '0 */5 * * * *',
      ...options.env,
    },
  }).catch(async (error: unknown) => {
    await sim.stop();
    throw error;
  });
  const keyHeader: Record<string, string> = options.functionKey ? { 'x-functions-key': options.functionKey } : {};
  return {
    host,
    sim,
    baseUrl: host.baseUrl,
    async api(method, path, body) {
      const response = await fetch(`${host.baseUrl}${path}`, {
        method,
        headers: { ...keyHeader, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = text;
      }
      return { status: response.status, headers: response.headers, json };
    },
    async stop() {
      await host.stop();
      await sim.stop();
    },
  };
}
