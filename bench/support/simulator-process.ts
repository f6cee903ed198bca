/**
 * The Graph simulator in a process of its own (its CLI, `emulators/graph/cli.ts`, run by tsx), so the benchmark's
 * own process holds only the product (the local Functions runtime and the app) and its memory is measured alone.
 * Everything the benchmark needs from the simulator goes through its control API (`/_simulator`).
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
  cause: string;
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

export interface SimulatorProcess {
  baseUrl: string;
  controlUrl: string;
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  counters(): Promise<SimulatorCounters>;
  events(kind: 'request' | 'license', since?: number): Promise<SimulatorEvent[]>;
  skus(): Promise<SkuState[]>;
  /** Resident memory of the simulator's process, for the record (it is not the product's). */
  child: ChildProcess;
  stop(): Promise<void>;
}

const CLI = join(__dirname, '../../emulators/graph/cli.ts');
const TSX = join(__dirname, '../../node_modules/tsx/dist/cli.mjs');

export async function startSimulatorProcess(options: SimulatorProcessOptions): Promise<SimulatorProcess> {
  const args = [
    TSX,
    CLI,
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
    '--port',
    '0',
  ];
  // The simulator keeps a large tenant and its event log; give it room so it never slows the product down by GC.
  const child = spawn(process.execPath, ['--max-old-space-size=4096', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    baseUrl,
    controlUrl,
    control,
    counters: () => control<SimulatorCounters>('GET', 'counters'),
    events: (kind, since = 0) => control<SimulatorEvent[]>('GET', `events?kind=${kind}&since=${since}`),
    skus: () => control<SkuState[]>('GET', 'skus'),
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
