import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/** Azurite's published development account key (not a secret: it is in Azurite's README). */
const DEVSTORE_ACCOUNT = 'devstoreaccount1';
const DEVSTORE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  readonly blobEndpoint: string;
  /** A connection string for AzureWebJobsStorage. */
  readonly connectionString: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts Azurite's blob service as a child process: in memory when no `location` is given, otherwise with its data
 * in that folder (so a restart keeps it). Port 0 picks a free port, read back from Azurite's own start-up line.
 */
export async function startAzurite(options: { location?: string; port?: number } = {}): Promise<RunningAzurite> {
  const script = require.resolve('azurite/dist/src/blob/main.js');
  const args = [
    script,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(options.port ?? 0),
    '--skipApiVersionCheck',
    '--loose',
    // Tests and benchmarks talk only to loopback: no usage data to Microsoft.
    '--disableTelemetry',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  args.push('--silent');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const blobEndpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /successfully listens on (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        resolve(`${match[1].replace(/\/$/, '')}/${DEVSTORE_ACCOUNT}`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      reject(new Error(`Azurite exited with code ${code ?? 'null'} before listening: ${output}`)),
    );
    child.once('error', reject);
  });
  child.stdout?.resume();
  child.stderr?.resume();
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${DEVSTORE_ACCOUNT};AccountKey=${DEVSTORE_KEY};BlobEndpoint=${blobEndpoint};`;
  return {
    blobEndpoint,
    connectionString,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
