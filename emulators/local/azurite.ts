import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Azurite's published development account and key (documented in Azurite's README; not a secret). */
const DEVSTORE_ACCOUNT = 'devstoreaccount1';
const DEVSTORE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const PID_FILE = 'azurite.pid';

export interface LocalAzurite {
  readonly blobEndpoint: string;
  readonly connectionString: string;
  /** The folder holding the data, or undefined when it runs in memory. */
  readonly location: string | undefined;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts Azurite's blob service as a child process on a free port: in memory without `location`, otherwise with its
 * data there, saved before each answer so that killing it loses nothing it acknowledged (see durable-azurite.ts).
 */
export async function startLocalAzurite(options: { location?: string; port?: number } = {}): Promise<LocalAzurite> {
  const command = childCommand();
  const args = [
    ...command.args,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(options.port ?? 0),
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
    '--disableTelemetry',
  ];
  if (options.location) {
    fs.mkdirSync(options.location, { recursive: true });
    await stopOrphan(options.location);
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(command.cwd ? { cwd: command.cwd } : {}),
  });
  const blobEndpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /successfully listens on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        child.off('exit', onEarlyExit);
        resolve(`${match[1].replace(/\/$/, '')}/${DEVSTORE_ACCOUNT}`);
      }
    };
    const onEarlyExit = (code: number | null): void =>
      reject(new Error(`Azurite exited with code ${code ?? 'null'} before listening: ${output.trim()}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', onEarlyExit);
    child.once('error', reject);
  });
  child.stdout?.resume();
  child.stderr?.resume();
  if (options.location && child.pid !== undefined) {
    fs.writeFileSync(path.join(options.location, PID_FILE), String(child.pid));
  }
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEVSTORE_ACCOUNT};AccountKey=${DEVSTORE_KEY};BlobEndpoint=${blobEndpoint};`,
    location: options.location,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          if (options.location) fs.rmSync(path.join(options.location, PID_FILE), { force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

/**
 * When only the launcher was killed, its Azurite lives on and still owns the folder: two Azurites on one folder
 * overwrite each other's metadata. Stops the one recorded in the pid file, if it is still that Azurite.
 */
async function stopOrphan(location: string): Promise<void> {
  const pidFile = path.join(location, PID_FILE);
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  fs.rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0) return;
  let commandLine: string;
  try {
    // Linux only; elsewhere an orphan is left for the operator (docs/local.md says how to spot it).
    commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  // The pid may have been reused by an unrelated process since: only stop an Azurite working on this folder.
  if (!commandLine.includes('durable-azurite') || !commandLine.includes(location)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  for (let waited = 0; waited < 5000 && fs.existsSync(`/proc/${pid}`); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * How to run durable-azurite: the compiled file next to this one in dist. From the TypeScript sources (tests, tsx)
 * the one entry file is transpiled and passed to `node -e`, rather than loading Azurite's hundreds of modules through
 * a TypeScript loader, which doubles its start-up time. The extra argument stands where a script path would be.
 */
function childCommand(): { args: string[]; cwd?: string } {
  if (!__filename.endsWith('.ts')) return { args: [path.join(__dirname, 'durable-azurite.js')] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a devDependency, only needed from sources
  const ts = require('typescript') as typeof import('typescript');
  const source = fs.readFileSync(path.join(__dirname, 'durable-azurite.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  // `node -e` resolves packages from its working directory: the repository root.
  return { args: ['-e', outputText, 'durable-azurite'], cwd: path.resolve(__dirname, '../..') };
}
