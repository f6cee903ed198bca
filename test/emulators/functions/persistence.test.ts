import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Runs the CLI in a child process with a persistence directory, SIGKILLs it while activities are in flight,
 * starts it again and checks that the instance resumes: completed activity results are kept (not re-run),
 * in-flight activities run again (at-least-once).
 */
const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'emulators/functions/cli.ts');
const APP = path.join(__dirname, 'apps/durable-app.ts');
/** tsx runs the TypeScript CLI directly; the child's cwd is elsewhere, so import it by absolute URL. */
const TSX = pathToFileURL(require.resolve('tsx')).href;

interface RunningHost {
  child: ChildProcess;
  baseUrl: string;
  output: string[];
}

function startCli(dataDir: string, holdGate: boolean): Promise<RunningHost> {
  const child = spawn(process.execPath, ['--import', TSX, CLI, '--app', APP, '--port', '0', '--data', dataDir], {
    cwd: os.tmpdir(),
    env: { ...process.env, FUNCTIONS_TEST_HOLD_GATE: holdGate ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        const ready = /^Functions host listening on (\S+)/.exec(line);
        if (ready) resolve({ child, baseUrl: ready[1]!, output });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`host exited early (${String(code)}): ${output.join('\n')}`)));
  });
}

async function status(
  baseUrl: string,
  id: string,
): Promise<{ runtimeStatus: string; output: unknown; history?: { EventType: string; FunctionName?: string }[] }> {
  const response = await fetch(`${baseUrl}/runtime/webhooks/durabletask/instances/${id}?showHistory=true`);
  return (await response.json()) as {
    runtimeStatus: string;
    output: unknown;
    history?: { EventType: string; FunctionName?: string }[];
  };
}

async function poll<T>(read: () => Promise<T>, until: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const value = await read();
    if (until(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition never met');
}

const executed = (output: string[], name: string): number =>
  output.filter((line) => line.startsWith(`Executed 'Functions.${name}' (Succeeded`)).length;

describe('persistence across SIGKILL', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'functions-runtime-'));
  });
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes every instance after a hard kill, re-running only in-flight activities', async () => {
    const first = await startCli(dataDir, true);
    children.push(first.child);
    const started = await fetch(`${first.baseUrl}/api/orchestrators/GatedFanOut/survivor`, {
      method: 'POST',
      body: '5',
    });
    expect(started.status).toBe(202);
    await fetch(`${first.baseUrl}/api/orchestrators/HelloSequence/finished-before-kill`, {
      method: 'POST',
      body: '"K"',
    });
    // Wait until Double has completed and the five Gate activities are scheduled (and stuck in flight).
    await poll(
      () => status(first.baseUrl, 'survivor'),
      (s) => (s.history ?? []).filter((e) => e.EventType === 'TaskScheduled' && e.FunctionName === 'Gate').length === 5,
    );
    await poll(
      () => status(first.baseUrl, 'finished-before-kill'),
      (s) => s.runtimeStatus === 'Completed',
    );
    expect(executed(first.output, 'Double')).toBe(1);
    expect(executed(first.output, 'Gate')).toBe(0);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await startCli(dataDir, false);
    children.push(second.child);
    const resumed = await poll(
      () => status(second.baseUrl, 'survivor'),
      (s) => s.runtimeStatus === 'Completed',
    );
    expect(resumed.output).toEqual({ first: 42, gated: 5 });
    expect(executed(second.output, 'Double')).toBe(0);
    expect(executed(second.output, 'Gate')).toBe(5);
    expect((await status(second.baseUrl, 'finished-before-kill')).runtimeStatus).toBe('Completed');

    // A clean stop on SIGTERM, and the journal survives it too.
    second.child.kill('SIGTERM');
    expect(await new Promise((resolve) => second.child.once('exit', resolve))).toBe(0);
    expect(fs.readFileSync(path.join(dataDir, 'instances.jsonl'), 'utf8')).toContain('"survivor"');
  });
});
