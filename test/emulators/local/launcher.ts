import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_SETTINGS } from '../../../src/config/settings';
import type { MigrationView } from '../../../src/migrations/view';
import { deadlineAfter } from '../../support/clock';

const ROOT = path.resolve(__dirname, '../../..');
const START = path.join(ROOT, 'emulators/local/start.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;

/** `npm start` as a child process, run from its TypeScript sources. */
export interface Launcher {
  child: ChildProcess;
  /** Every line it printed so far (stdout and stderr); it keeps growing while the launcher runs. */
  output: string[];
  /** How many lines were printed up to "Ready ...". */
  startupLines: number;
  baseUrl: string;
  blobEndpoint: string;
  /** The function key from the `export KEY=...` line, when it printed one. */
  key: string | undefined;
  /** The embedded Graph simulator's control API, when it runs one. */
  controlUrl: string | undefined;
  /** SIGKILL to its whole process group (launcher and Azurite), as a crash would. */
  kill(): Promise<void>;
  /** SIGTERM, as Ctrl+C would, and wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * The environment of a machine where nothing is configured: the test runner's own variables, without any app or
 * launcher setting (a developer's shell might have some), plus `env`.
 */
export function cleanEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const setting of APP_SETTINGS) delete clean[setting.name];
  for (const name of ['PORT', 'LICENSE_SHIFT_DATA_DIR', 'LICENSE_SHIFT_LOCAL_KEY', 'WEBSITE_TIME_ZONE'])
    delete clean[name];
  return { ...clean, ...env };
}

export interface LauncherOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Launcher options after `--port 0` (`--quiet`, `--app <file>` ...). */
  args?: string[];
  /** What node runs before those: default the launcher's TypeScript sources through tsx. */
  script?: string[];
}

/** Starts the launcher in its own process group and resolves once it printed "Ready". */
export function startLauncher(options: LauncherOptions): Promise<Launcher> {
  const script = options.script ?? ['--import', TSX, START];
  const child = spawn(process.execPath, [...script, '--port', '0', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env,
    // Its own process group, so one kill reaches the launcher and its Azurite like a terminal's Ctrl+\ would.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let buffered = '';
    let baseUrl = '';
    let blobEndpoint = '';
    let key: string | undefined;
    let controlUrl: string | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        baseUrl = /license-shift is running at (\S+)/.exec(line)?.[1] ?? baseUrl;
        blobEndpoint = /^Storage: Azurite .* at (\S+),/.exec(line)?.[1] ?? blobEndpoint;
        key = /^\s*export KEY=(\S+)$/.exec(line)?.[1] ?? key;
        controlUrl = /control API at (\S+)/.exec(line)?.[1] ?? controlUrl;
        if (/^Ready in .*Press Ctrl\+C/.test(line)) {
          resolve({
            child,
            output,
            startupLines: output.length,
            baseUrl,
            blobEndpoint,
            key,
            controlUrl,
            kill: async () => {
              if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
              await exited;
            },
            stop: async () => {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              await exited;
            },
          });
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`launcher exited early (${String(code)}):\n${output.join('\n')}`)));
  });
}

/** A caller of the launched API with a fixed function key: the answer's status and parsed JSON. */
export function keyedApi(key: string) {
  return async <T>(
    baseUrl: string,
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> => {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { 'x-functions-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
  };
}

/** Polls `probe` until it returns a value, or fails naming `what` after `timeoutMs` (measured, not read off a clock). */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 40_000,
): Promise<T> {
  const expired = deadlineAfter(timeoutMs);
  while (!expired()) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/**
 * `npm start` against a tenant the test owns (so the tenant outlives a kill), with a fixed key and its state in
 * `workDir/data`, quiet, telemetry off; `env` adds or overrides settings.
 */
export function launchOnTenant(
  workDir: string,
  graphBaseUrl: string,
  key: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Launcher> {
  return startLauncher({
    cwd: workDir,
    args: ['--quiet'],
    env: cleanEnvironment({
      LICENSE_SHIFT_DATA_DIR: path.join(workDir, 'data'),
      GRAPH_BASE_URL: graphBaseUrl,
      GRAPH_AUTH: 'none',
      LICENSE_SHIFT_LOCAL_KEY: key,
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
      ...env,
    }),
  });
}

/** Polls a migration's status until `until` holds; the error names the last state seen. */
export async function waitForMigrationView(
  key: string,
  baseUrl: string,
  id: string,
  until: (view: MigrationView) => boolean,
  timeoutMs: number,
): Promise<MigrationView> {
  const api = keyedApi(key);
  let last: MigrationView | undefined;
  try {
    return await pollUntil(
      `migration ${id} reaching the expected state`,
      async () => {
        const response = await api<MigrationView>(baseUrl, 'GET', `/api/migrations/${encodeURIComponent(id)}`);
        if (response.status !== 200) return undefined;
        last = response.json;
        return until(last) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen ${JSON.stringify(last)}`);
  }
}
