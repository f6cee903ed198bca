import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanEnvironment, startLauncher, type Launcher } from './launcher';

/**
 * `npm start` on a machine where nothing is configured: the launcher in a child process, as an admin runs it. Nothing
 * acts without the key it prints, and every function the app registers runs, the schedule timer included.
 */
describe('npm start with no settings', () => {
  let workDir: string;
  let launcher: Launcher;

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-start-'));
    launcher = await startLauncher({ cwd: workDir, env: cleanEnvironment({}) });
  });
  afterAll(async () => {
    await launcher?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  const startup = () => launcher.output.slice(0, launcher.startupLines);
  const get = (route: string, headers: Record<string, string> = {}) =>
    fetch(`${launcher.baseUrl}${route}`, { headers });

  it('prints a new random function key, with curl lines that send it and the dashboard URL that carries it', () => {
    const key = launcher.key!;
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const withKey = startup().filter((line) => line.includes(key));
    expect(withKey).toEqual([`  export KEY=${key}`, `Dashboard:  ${launcher.baseUrl}/api/dashboard?code=${key}`]);
    const curls = startup().filter((line) => /\bcurl .*\/api\//.test(line));
    expect(curls.length).toBeGreaterThanOrEqual(3);
    for (const line of curls) expect(line).toContain('-H "x-functions-key: $KEY"');
    expect(startup().join('\n')).not.toMatch(/WARNING/);
  });

  it('refuses API calls without the key (401) and takes them with it, as header or ?code=', async () => {
    const key = launcher.key!;
    expect((await get('/api/migrations')).status).toBe(401);
    expect((await get('/api/migrations', { 'x-functions-key': 'wrong-key-0123456789' })).status).toBe(401);
    const post = await fetch(`${launcher.baseUrl}/api/migrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }] }),
    });
    expect(post.status).toBe(401);
    expect((await get('/api/migrations', { 'x-functions-key': key })).status).toBe(200);
    expect((await get(`/api/migrations?code=${key}`)).status).toBe(200);
    expect(await (await get('/api/migrations', { 'x-functions-key': key })).json()).toMatchObject({ migrations: [] });
    // The status page itself is served without a key; it calls the API with the ?code= it was opened with.
    expect((await get('/api/dashboard')).status).toBe(200);
  });

  it('sends no CORS headers, so pages from other origins can neither read answers nor pass a preflight', async () => {
    const origin = { origin: 'http://127.0.0.1:9' };
    const answers = [
      await get('/api/migrations', { ...origin, 'x-functions-key': launcher.key! }),
      await get('/api/dashboard', origin),
      await fetch(`${launcher.baseUrl}/api/migrations`, {
        method: 'OPTIONS',
        headers: {
          ...origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-functions-key',
        },
      }),
    ];
    for (const answer of answers) {
      expect([...answer.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
    expect(answers[2]!.ok).toBe(false);
  });

  it('starts every function: none is disabled, and the schedule timer runs on the default MIGRATION_SCHEDULE', async () => {
    const text = startup().join('\n');
    expect(text).not.toMatch(/disabled|ERROR/i);
    expect(text).toMatch(/^ {2}scheduleTimer: timerTrigger/m);
    // The admin API needs the key, as the master key guards it in Azure.
    const refused = await fetch(`${launcher.baseUrl}/admin/functions/scheduleTimer`, { method: 'POST' });
    expect(refused.status).toBe(401);
    const fired = await fetch(`${launcher.baseUrl}/admin/functions/scheduleTimer`, {
      method: 'POST',
      headers: { 'x-functions-key': launcher.key! },
    });
    expect(fired.status).toBe(202);
    expect(launcher.output.join('\n')).toMatch(/Executed 'Functions\.scheduleTimer' \(Succeeded/);
  });

  it('prints the key nowhere after start-up', () => {
    expect(launcher.output.slice(launcher.startupLines).filter((line) => line.includes(launcher.key!))).toEqual([]);
  });
});

describe('npm start -- --no-auth', () => {
  it('says loudly that the API is open, and it is', async () => {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-start-'));
    const launcher = await startLauncher({
      cwd: workDir,
      env: cleanEnvironment({ LICENSE_SHIFT_LOCAL_KEY: 'ignored-fixed-key-0123456789' }),
      args: ['--no-auth', '--quiet'],
    });
    try {
      const text = launcher.output.join('\n');
      expect(text).toMatch(/WARNING: --no-auth: the API takes requests without a function key/);
      expect(text).toMatch(/LICENSE_SHIFT_LOCAL_KEY is ignored/);
      expect(text).not.toMatch(/export KEY=|x-functions-key|ignored-fixed-key/);
      expect((await fetch(`${launcher.baseUrl}/api/migrations`)).status).toBe(200);
    } finally {
      await launcher.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });
});
