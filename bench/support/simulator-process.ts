/**
 * The Graph simulator in a process of its own (its CLI, `emulators/graph/cli.ts`, run by tsx), so the benchmark's
 * own process holds only the product (the local Functions runtime and the app) and its memory is measured alone.
 * Everything the benchmark needs from the simulator goes through its control API (`/_simulator`; with several
 * tenants, `/_simulator/tenants/{tenantId}`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface SimulatorProcessOptions {
  users: number;
  seed?: number;
  /** GeneratorMix (JSON-serialisable). */
  mix?: Record<string, unknown>;
  profile?: 'deterministic' | 'realistic';
  timeScale: number;
  latency?: 'realistic' | 'none';
}

export interface SimulatorRequestEvent {
  kind: 'request';
  seq: number;
  at: number;
  method: string;
  path: string;
  status: number;
  ru: number;
  writeCost: number;
  noise?: string;
}

export interface SimulatorLicenseEvent {
  kind: 'license';
  seq: number;
  at: number;
  userId: string;
  cause: 'assignLicense' | 'groupProcessing' | 'reprocess' | 'control';
}

export type SimulatorEvent = SimulatorRequestEvent | SimulatorLicenseEvent;

export interface SimulatorCounters {
  requests: number;
  writes: number;
  throttled: number;
  noise: { throttle: number; unavailable: number; reset: number };
  events: number;
}

export interface SkuState {
  skuId: string;
  skuPartNumber: string;
  consumedUnits: number;
  freeSeats: number;
  prepaidUnits: { enabled: number };
}

/** One tenant's control API (`/_simulator`, or `/_simulator/tenants/{tenantId}` of a multi-tenant simulator). */
export interface SimulatorControl {
  controlUrl: string;
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  counters(): Promise<SimulatorCounters>;
  events(kind: 'request' | 'license', since?: number): Promise<SimulatorEvent[]>;
  skus(): Promise<SkuState[]>;
}

export interface SimulatorProcess extends SimulatorControl {
  baseUrl: string;
  /** Resident memory of the simulator's process, for the record (it is not the product's). */
  child: ChildProcess;
  stop(): Promise<void>;
}

/** One tenant of a multi-tenant simulator process: its own scenario, profile, clock scale, latency and roles. */
export interface SimulatedTenantOptions extends SimulatorProcessOptions {
  tenantId: string;
  /** App roles granted in this tenant (default: the simulator's, infra/graph-permissions.json). */
  grantedRoles?: readonly string[];
  /** Default true. */
  consented?: boolean;
}

export interface MultiTenantSimulatorProcess {
  /** One URL for every tenant; requests name theirs by token `tid` or the `x-ms-simulator-tenant` header. */
  baseUrl: string;
  tenant(tenantId: string): SimulatorControl;
  setConsent(tenantId: string, consented: boolean): Promise<void>;
  child: ChildProcess;
  stop(): Promise<void>;
}

const CLI = join(__dirname, '../../emulators/graph/cli.ts');
const TSX = join(__dirname, '../../node_modules/tsx/dist/cli.mjs');

export async function startSimulatorProcess(options: SimulatorProcessOptions): Promise<SimulatorProcess> {
  const started = await spawnSimulator([
    '--scenario',
    `generated:${options.users}`,
    '--scenario-seed',
    String(options.seed ?? 42),
    '--mix',
    JSON.stringify(options.mix ?? {}),
    '--profile',
    options.profile ?? 'deterministic',
    '--time-scale',
    String(options.timeScale),
    '--latency',
    options.latency ?? 'realistic',
    '--seed',
    String(options.seed ?? 42),
  ]);
  return { ...started, ...controlClient(started.controlUrl) };
}

/** Several tenants behind one URL in one simulator process (the CLI's `--tenants`). */
export async function startMultiTenantSimulatorProcess(
  tenants: SimulatedTenantOptions[],
): Promise<MultiTenantSimulatorProcess> {
  const entries = tenants.map((tenant) => ({
    tenantId: tenant.tenantId,
    scenario: `generated:${tenant.users}`,
    scenarioSeed: tenant.seed ?? 42,
    mix: tenant.mix ?? {},
    profile: tenant.profile ?? 'deterministic',
    timeScale: tenant.timeScale,
    latency: tenant.latency ?? 'realistic',
    seed: tenant.seed ?? 42,
    ...(tenant.grantedRoles !== undefined ? { grantedRoles: [...tenant.grantedRoles] } : {}),
    ...(tenant.consented !== undefined ? { consented: tenant.consented } : {}),
  }));
  const started = await spawnSimulator(['--tenants', JSON.stringify(entries)]);
  const tenantsUrl = `${started.controlUrl}/tenants`;
  return {
    baseUrl: started.baseUrl,
    tenant: (tenantId) => controlClient(`${tenantsUrl}/${encodeURIComponent(tenantId)}`),
    setConsent: async (tenantId, consented) => {
      await controlClient(`${tenantsUrl}/${encodeURIComponent(tenantId)}`).control('PUT', 'consent', { consented });
    },
    child: started.child,
    stop: started.stop,
  };
}

async function spawnSimulator(
  cliArgs: string[],
): Promise<{ baseUrl: string; controlUrl: string; child: ChildProcess; stop(): Promise<void> }> {
  // The simulator keeps large tenants and their event logs; give it room so it never slows the product down by GC.
  const child = spawn(process.execPath, ['--max-old-space-size=4096', TSX, CLI, ...cliArgs, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { baseUrl, controlUrl } = await new Promise<{ baseUrl: string; controlUrl: string }>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const base = /listening: (\S+)/.exec(output);
      const control = /Control API: (\S+)/.exec(output);
      if (base?.[1] && control?.[1]) {
        child.stdout?.off('data', onData);
        resolve({ baseUrl: base[1], controlUrl: control[1] });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      reject(new Error(`The simulator exited (${String(code)}) before listening: ${output}`)),
    );
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    baseUrl,
    controlUrl,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function controlClient(controlUrl: string): SimulatorControl {
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${controlUrl}/${path.replace(/^\//, '')}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    controlUrl,
    control,
    counters: () => control<SimulatorCounters>('GET', 'counters'),
    events: (kind, since = 0) => control<SimulatorEvent[]>('GET', `events?kind=${kind}&since=${since}`),
    skus: () => control<SkuState[]>('GET', 'skus'),
  };
}
