/**
 * The `license-shift` CLI against the app on the local runtime and the demo tenant, over HTTP with a function key:
 * inventory, preview ("need 28, 5 free" and the blocked users), start with approval, approve, wait for seats,
 * re-check once they are bought, watch to the end (exit 2: two users fail), the CSV report, runs, retry and rollback.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, exitCodeFor, runCli } from '../../src/cli/program';
import { upnsFromText } from '../../src/cli/request';
import { startStack, type Stack } from '../support/e2e';

const KEY = 'cli-test-function-key';
const LABEL = 'Microsoft 365 Business Standard → Microsoft 365 Business Premium';
const BUSINESS_STANDARD = 'f245ecc8-75af-4f8e-b61f-27d8114de5f3';

interface Ran {
  code: number;
  out: string;
  err: string;
}

function cli(stack: Pick<Stack, 'baseUrl'> | undefined, env: NodeJS.ProcessEnv = { LICENSE_SHIFT_KEY: KEY }) {
  return async (...argv: string[]): Promise<Ran> => {
    let out = '';
    let err = '';
    const code = await runCli([...(stack ? ['--url', stack.baseUrl] : []), ...argv], {
      stdout: (text) => (out += text),
      stderr: (text) => (err += text),
      env,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 100))),
    });
    return { code, out, err };
  };
}

describe('license-shift CLI, offline', () => {
  const run = cli(undefined);

  it('documents every command in --help, and the exit codes', async () => {
    const help = await run('--help');
    expect(help.code).toBe(EXIT.ok);
    for (const command of [
      'skus',
      'preview',
      'start',
      'runs',
      'status',
      'approve',
      'reject',
      'cancel',
      'recheck',
      'rollback',
      'retry',
      'report',
    ]) {
      expect(help.out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(help.out).toMatch(/2 completedWithErrors, 3 needsAttention/);
    const start = await run('start', '--help');
    expect(start.out).toMatch(/--file <request.json>/);
    expect(start.out).toMatch(/--require-approval/);
  });

  it('exits by the run’s status: 0 completed, 2 with errors, 3 needs attention, 1 failed, cancelled or rejected', () => {
    expect(exitCodeFor('completed')).toBe(0);
    expect(exitCodeFor('completedWithErrors')).toBe(2);
    expect(exitCodeFor('needsAttention')).toBe(3);
    for (const status of ['failed', 'cancelled', 'rejected']) expect(exitCodeFor(status)).toBe(1);
    expect(exitCodeFor('reassigning')).toBe(0);
  });

  it('refuses to guess what to move, and says when the app cannot be reached', async () => {
    const nothing = await run('--url', 'http://127.0.0.1:9', 'preview');
    expect(nothing.code).toBe(EXIT.failed);
    expect(nothing.err).toMatch(/Say what to move/);
    const unreachable = await run('--url', 'http://127.0.0.1:9', 'skus');
    expect(unreachable.code).toBe(EXIT.failed);
    expect(unreachable.err).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:9 .*npm start/);
    const unknown = await run('frobnicate');
    expect(unknown.code).toBe(EXIT.failed);
    expect(unknown.err).toMatch(/unknown command 'frobnicate'/);
  });

  it('sends the key in x-functions-key and a token as a bearer, never in the URL', async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const fetchStub = (input: string | URL | Request, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      seen.push({ url, headers: init?.headers as Record<string, string> });
      return Promise.resolve(
        new Response(JSON.stringify({ skus: [], readAt: '2026-01-01T00:00:00Z' }), {
          headers: { 'content-type': 'application/json' },
        }),
      );
    };
    const code = await runCli(['--url', 'https://contoso.example/', 'skus'], {
      stdout: () => undefined,
      stderr: () => undefined,
      env: { LICENSE_SHIFT_KEY: 'the-key', LICENSE_SHIFT_TOKEN: 'the-token' },
      fetch: fetchStub,
    });
    expect(code).toBe(EXIT.ok);
    expect(seen).toEqual([
      {
        url: 'https://contoso.example/api/skus',
        headers: expect.objectContaining({ 'x-functions-key': 'the-key', authorization: 'Bearer the-token' }),
      },
    ]);
  });

  it('reads UPNs from a list or the first column of a CSV, skipping its header', () => {
    expect(upnsFromText('userPrincipalName,name\n"adele@contoso.com",Adele\r\nalex@contoso.com\n\n')).toEqual([
      'adele@contoso.com',
      'alex@contoso.com',
    ]);
  });
});

describe('license-shift CLI against the app', () => {
  let stack: Stack;
  let run: ReturnType<typeof cli>;
  let failing: string[];
  let dir: string;

  beforeAll(async () => {
    // The real clock: the run waits for seats until the re-check (the virtual one would reach its next poll at once).
    stack = await startStack({ functionKey: KEY, clock: 'real' });
    run = cli(stack);
    dir = mkdtempSync(join(tmpdir(), 'license-shift-cli-'));
    // Two users whose license change Graph refuses, so the run ends completedWithErrors.
    failing = [...stack.sim.tenant.users.values()]
      .filter((user) => user.accountEnabled && user.usageLocation && user.userPrincipalName.endsWith('@contoso.com'))
      .filter((user) => user.licenseStates.length === 1 && user.licenseStates[0]!.assignedByGroup === null)
      .filter((user) => user.licenseStates[0]!.skuId === BUSINESS_STANDARD)
      .slice(0, 2)
      .map((user) => user.userPrincipalName);
    stack.sim.setFaults(failing.map((user) => ({ kind: 'error' as const, status: 400, path: '/assignLicense', user })));
  });
  afterAll(() => stack?.stop());

  it('needs the key: without it the API’s 401 is explained', async () => {
    const refused = await cli(stack, {})('skus');
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.err).toMatch(/LICENSE_SHIFT_KEY/);
  });

  it('lists the inventory: Business Premium with 5 free seats', async () => {
    const skus = await run('skus');
    expect(skus.code).toBe(EXIT.ok);
    expect(skus.out).toMatch(/^SPB\s+Microsoft 365 Business Premium\s+Enabled\s+\d+\s+\d+\s+5\b/m);
    const json = await run('--json', 'skus');
    expect(JSON.parse(json.out).skus.length).toBeGreaterThan(1);
  });

  it('previews: "need 28, 5 free" and the blocked users with their reasons; a bad field is named', async () => {
    const preview = await run(
      'preview',
      '--from',
      'O365_BUSINESS_PREMIUM',
      '--to',
      'SPB',
      '--all',
      '--usage-location',
      'US',
    );
    expect(preview.code).toBe(EXIT.ok);
    expect(preview.out).toMatch(/28 to change, 0 to skip, 7 blocked/);
    expect(preview.out).toMatch(/Seats: Microsoft 365 Business Premium: need 28, 5 free, buy 23 more/);
    expect(preview.out).toMatch(/Blocked users:/);
    expect(preview.out).toMatch(/a license inherited from a group cannot be removed from the user directly/);
    expect(preview.out).toMatch(/the account is disabled/);
    const bad = await run('preview', '--to', 'SPB', '--all', '--usage-location', 'USA');
    expect(bad.code).toBe(EXIT.failed);
    expect(bad.err).toMatch(/400 .*\n {2}usageLocation: must be a two-letter/);
  });

  it('starts from a request file with approval, approves it, re-checks once seats are bought, and watches it end', async () => {
    const file = join(dir, 'request.json');
    writeFileSync(
      file,
      JSON.stringify({
        moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
        usageLocation: 'US',
      }),
    );
    const start = await run(
      'start',
      '--file',
      file,
      '--require-approval',
      '--id',
      'cli-wave-1',
      '--watch',
      '--interval',
      '1',
    );
    // The watch stops where a person must act.
    expect(start.code).toBe(EXIT.ok);
    expect(start.out).toMatch(/^Started: cli-wave-1$/m);
    expect(start.out).toMatch(/^awaitingApproval /m);

    const approve = await run('approve', 'cli-wave-1', '--reason', 'CAB-7');
    expect(approve.code).toBe(EXIT.ok);
    expect(approve.out).toMatch(/^Approved: cli-wave-1/);
    const waiting = await stack.waitForMigration('cli-wave-1', (view) => view.status === 'waitingForLicenses');
    const status = await run('status', 'cli-wave-1');
    expect(status.out).toMatch(/waiting: need 28, 5 free: buy 23 more Microsoft 365 Business Premium/);
    expect(waiting.status).toBe('waitingForLicenses');

    await fetch(`${stack.sim.controlUrl}/skus/SPB`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prepaidUnits: 60 }),
    });
    const recheck = await run('recheck', 'cli-wave-1');
    expect(recheck.err).toBe('');
    expect(recheck.code).toBe(EXIT.ok);
    const watched = await run('status', 'cli-wave-1', '--watch', '--interval', '1');
    expect(watched.code).toBe(EXIT.completedWithErrors);
    expect(watched.out).toMatch(/^completedWithErrors 100% /m);
    expect(watched.out).toMatch(/26 moved, 2 failed/);
  });

  it('downloads the CSV report, lists runs by product names, and starts a retry and a rollback', async () => {
    const csvFile = join(dir, 'report.csv');
    const report = await run('report', 'cli-wave-1', '--csv', '--output', csvFile);
    expect(report.code).toBe(EXIT.ok);
    const csv = readFileSync(csvFile, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/userPrincipalName/);
    for (const user of failing) expect(csv).toMatch(new RegExp(`^${user.replace(/\./g, '\\.')},.*,failed,`, 'm'));

    const runs = await run('runs', '--status', 'completedWithErrors');
    expect(runs.out).toMatch(new RegExp(`^cli-wave-1\\s+completedWithErrors\\s+${LABEL}`, 'm'));

    stack.sim.setFaults([]);
    const retry = await run('retry', 'cli-wave-1');
    expect(retry.code).toBe(EXIT.ok);
    const retryId = /: (\S+)$/.exec(retry.out.trim())?.[1] ?? '';
    expect(retry.out).toMatch(/^Started a retry of cli-wave-1: /);
    // The retry takes the original's options: it waits for an approval too.
    const waiting = await run('status', retryId, '--watch', '--interval', '1');
    expect(waiting.code).toBe(EXIT.ok);
    expect(waiting.out).toMatch(/^awaitingApproval /m);
    expect((await run('approve', retryId, '--reason', 'CAB-8')).code).toBe(EXIT.ok);
    const retried = await run('status', retryId, '--watch', '--interval', '1');
    expect(retried.code).toBe(EXIT.ok);
    expect(retried.out).toMatch(/^completed 100% /m);
    expect(retried.out).toMatch(/2 moved, 0 failed/);

    // Business Standard lacks Business Premium's archive, which holds data: without the acknowledgement the rollback
    // would stop, changing nobody.
    const rollback = await run('--json', 'rollback', retryId, '--acknowledge-data-loss');
    expect(rollback.code).toBe(EXIT.ok);
    const rollbackId = (JSON.parse(rollback.out) as { id: string }).id;
    expect(JSON.parse(rollback.out)).toMatchObject({ rollbackOf: retryId });
    expect((await run('status', rollbackId, '--watch', '--interval', '1')).out).toMatch(/^awaitingApproval /m);
    expect((await run('approve', rollbackId)).code).toBe(EXIT.ok);
    const rolledBack = await run('status', rollbackId, '--watch', '--interval', '1');
    expect(rolledBack.code).toBe(EXIT.ok);
    expect(rolledBack.out).toMatch(/^completed 100% /m);
    expect(rolledBack.out).toMatch(/2 moved, 0 failed/);
    expect((await run('runs')).out).toMatch(new RegExp(`^${rollbackId}\\s+completed\\s+Rollback of ${retryId}`, 'm'));
  });
});
