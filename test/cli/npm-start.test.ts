/**
 * The `license-shift` command, run as an admin runs it (its bin in a child process), against `npm start` on the
 * demo tenant: inventory, preview, start with approval, approve, wait for seats, re-check once they are bought, watch
 * to the end, and the CSV report. The key travels only in LICENSE_SHIFT_KEY.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnvironment, startLauncher, type Launcher } from '../emulators/local/launcher';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'src/cli/bin.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;
const KEY = 'npm-start-cli-key';

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

describe('license-shift CLI against npm start', () => {
  let workDir: string;
  let launcher: Launcher;

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-cli-start-'));
    launcher = await startLauncher({
      cwd: workDir,
      args: ['--quiet'],
      env: cleanEnvironment({ LICENSE_SHIFT_LOCAL_KEY: KEY, APPLICATIONINSIGHTS_CONNECTION_STRING: '' }),
    });
  });
  afterAll(async () => {
    await launcher?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  const cli = (...argv: string[]): Promise<Ran> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', TSX, BIN, ...argv], {
        cwd: workDir,
        env: cleanEnvironment({ LICENSE_SHIFT_URL: launcher.baseUrl.replace(/\/api\/?$/, ''), LICENSE_SHIFT_KEY: KEY }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, out, err }));
    });

  it("runs the whole flow from the command line, exiting with the run's outcome (2 when some users failed)", async () => {
    const skus = await cli('skus');
    expect(skus.err).toBe('');
    expect(skus.code).toBe(0);
    expect(skus.out).toMatch(/^SPB\s+Microsoft 365 Business Premium\s+Enabled\s+\d+\s+\d+\s+5\b/m);

    const move = ['--from', 'O365_BUSINESS_PREMIUM', '--to', 'SPB', '--all', '--usage-location', 'US'];
    const preview = await cli('preview', ...move);
    expect(preview.code).toBe(0);
    expect(preview.out).toMatch(/Seats: Microsoft 365 Business Premium: need 28, 5 free, buy 23 more/);
    expect(preview.out).toMatch(/Blocked users:/);

    const start = await cli('start', ...move, '--require-approval', '--id', 'npm-wave-1', '--watch', '--interval', '1');
    expect(start.code).toBe(0);
    expect(start.out).toMatch(/^awaitingApproval /m);
    expect((await cli('approve', 'npm-wave-1', '--reason', 'CAB-1')).code).toBe(0);

    let status = await cli('status', 'npm-wave-1');
    for (let i = 0; i < 60 && !/waiting: need 28, 5 free/.test(status.out); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await cli('status', 'npm-wave-1');
    }
    expect(status.out).toMatch(/waiting: need 28, 5 free: buy 23 more Microsoft 365 Business Premium/);

    // The purchase lands in the embedded simulator; the admin re-checks instead of waiting for the next poll.
    const bought = await fetch(`${launcher.controlUrl}/skus/SPB`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prepaidUnits: 60 }),
    });
    expect(bought.ok).toBe(true);
    expect((await cli('recheck', 'npm-wave-1')).code).toBe(0);
    const watched = await cli('status', 'npm-wave-1', '--watch', '--interval', '1');
    expect(watched.out).toMatch(/^(completed|completedWithErrors) 100% /m);
    expect(watched.code).toBe(/^completedWithErrors/m.test(watched.out) ? 2 : 0);

    const csvFile = path.join(workDir, 'report.csv');
    const report = await cli('report', 'npm-wave-1', '--csv', '--output', csvFile);
    expect(report.code).toBe(0);
    const csv = fs.readFileSync(csvFile, 'utf8').split('\n');
    expect(csv[0]).toMatch(/userPrincipalName/);
    expect(csv.filter((line) => /,moved,/.test(line)).length).toBeGreaterThanOrEqual(26);
  }, 180_000);
});
