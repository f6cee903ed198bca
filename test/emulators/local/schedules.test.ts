import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { licenseWritesPerUser } from '../../support/demo-tenant';
import { generateLocalKey, mergeSettings, readLocalSettingsFile } from '../../../emulators/local/settings';
import { startLocalStack, type LocalStack } from '../../../emulators/local/stack';
import { APP_MODULE, composeApp } from '../../support/app';
import { TEST_START_MS } from '../../support/clock';

const ROOT = path.resolve(__dirname, '../../..');
const TIME_ZONE = 'Europe/Berlin';

/** The first whole minute after `afterMs` at which the wall clock in `timeZone` reads `hhmm` (from Intl, not cron). */
function nextLocalTime(afterMs: number, timeZone: string, hhmm: string): number {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  for (let at = Math.floor(afterMs / 60_000) * 60_000 + 60_000; at < afterMs + 3 * 86_400_000; at += 60_000) {
    if (format.format(at) === hhmm) return at;
  }
  throw new Error(`${hhmm} does not occur in ${timeZone} within three days`);
}

/**
 * Scheduled waves under `npm start`: the stack the launcher starts, from settings where nothing is set (so the timer
 * runs on MIGRATION_SCHEDULE's default), on a virtual clock starting at the test instant. A schedule stored over
 * HTTP starts its wave at its first occurrence.
 */
describe('scheduled waves on the npm start stack', () => {
  let stack: LocalStack;
  let key: string;
  let workDir: string;

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-schedules-'));
    key = generateLocalKey();
    stack = await startLocalStack({
      rootDir: ROOT,
      // The app's own door, with the host's (virtual) clock for the schedules.
      appEntry: APP_MODULE,
      compose: composeApp(),
      // As start.ts reads them, in a folder with no local.settings.json and an environment without app settings.
      settings: mergeSettings(readLocalSettingsFile(workDir), {}),
      port: 0,
      functionKey: key,
      clock: 'virtual',
      startAt: TEST_START_MS,
      graphLatency: 'none',
    });
    stack.host.clock.setAutoAdvance(false);
  });
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${stack.baseUrl}${route}`, {
      method,
      headers: { 'x-functions-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // The API's JSON bodies, asserted field by field below.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, json: (await response.json().catch(() => undefined)) as any };
  };

  it('runs the schedule timer on the default MIGRATION_SCHEDULE, from the test instant', () => {
    expect(stack.appSettings.MIGRATION_SCHEDULE).toBe('0 */5 * * * *');
    expect(stack.host.describeRoutes()).toContain('scheduleTimer: timerTrigger (%MIGRATION_SCHEDULE%)');
    expect(stack.host.clock.now()).toBe(TEST_START_MS);
  });

  it('starts the wave of a schedule stored with PUT /api/schedules/{name} at its first occurrence', async () => {
    if (stack.graph.kind !== 'embedded') throw new Error('expected the embedded demo tenant');
    const tenant = stack.graph.simulator;
    tenant.setSkuSeats('SPB', 60);
    const stored = await api('PUT', '/api/schedules/nightly', {
      request: { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }], usageLocation: 'US' },
      cron: '0 0 1 * * *',
      timeZone: TIME_ZONE,
      window: { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], start: '01:00', end: '05:00' },
      wave: { maxUsers: 10 },
    });
    expect(stored.status).toBe(201);
    const occurrence = nextLocalTime(stack.host.clock.now(), TIME_ZONE, '01:00');
    const waveId = `sched-nightly-${new Date(occurrence).toISOString().slice(0, 16).replace(/[-:]/g, '')}`;
    expect((await api('GET', '/api/schedules/nightly')).json.nextOccurrence).toBe(new Date(occurrence).toISOString());

    // A minute before, nothing has started; the timer's firings until then found nothing due.
    await stack.host.clock.advanceTo(occurrence - 60_000);
    expect((await api('GET', '/api/migrations')).json.migrations).toEqual([]);

    // The timer fires at the occurrence (every 5 minutes by default), and the wave runs to its end.
    await stack.host.clock.advanceTo(occurrence + 3600_000);
    const wave = await api('GET', `/api/migrations/${waveId}`);
    expect(wave.status).toBe(200);
    expect(wave.json).toMatchObject({ status: 'completed', counts: { moved: 10 } });
    expect(licenseWritesPerUser(tenant).size).toBe(10);
    const schedule = await api('GET', '/api/schedules/nightly');
    expect(schedule.json).toMatchObject({ occurrencesStarted: 1, lastMigrationId: waveId });
  }, 120_000);
});
