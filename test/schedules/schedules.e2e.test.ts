import { generateScenario } from '../../emulators/graph';
import { TelemetryEvents } from '../../src/telemetry';
import { licenseWritesPerUser, SKU } from '../support/demo-tenant';
import { inMemoryTelemetry, type InMemoryTelemetry } from '../telemetry/in-memory-telemetry';
import { nextUtcTime } from '../support/clock';
import { startStack as startAppStack, type Stack as AppStack } from '../support/e2e';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const template = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }] };
const nightly = {
  request: template,
  cron: '0 0 1 * * *',
  timeZone: 'UTC',
  window: { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], start: '01:00', end: '05:00' },
  wave: { maxUsers: 200 },
};

/** Acceptance: waves of a scheduled bulk move on the local runtime's virtual clock, with the Graph simulator. */
describe('scheduled bulk moves, end to end', () => {
  let stack: AppStack;
  let memory: InMemoryTelemetry;

  beforeAll(async () => {
    memory = inMemoryTelemetry();
    stack = await startAppStack({
      clock: 'virtual',
      telemetry: memory.telemetry,
      env: { MIGRATION_SCHEDULE: '0 0 * * * *' },
      simulator: {
        scenario: generateScenario({
          users: 1000,
          seed: 11,
          mix: {
            skus: { O365_BUSINESS_PREMIUM: 1 },
            disabledAccounts: 0,
            noUsageLocation: 0,
            groupLicensed: 0,
            target: { sku: 'SPB', seats: 1000 },
          },
        }),
      },
    });
    stack.host.clock.setAutoAdvance(false);
  });

  afterAll(async () => {
    await stack?.stop();
    await memory?.shutdown();
  });

  const premiumHolders = () =>
    [...stack.sim.tenant.users.values()].filter((user) =>
      user.assignedLicenses.some((license) => license.skuId === SKU.businessPremium),
    ).length;
  const scheduledRuns = async () => {
    const list = await stack.api('GET', '/api/migrations?top=500');
    return (list.json.migrations as { id: string }[]).map((m) => m.id).filter((id) => id.startsWith('sched-'));
  };

  it('rejects an invalid definition with a 400 naming the field, and saves nothing', async () => {
    const response = await stack.api('PUT', '/api/schedules/bad', {
      ...nightly,
      cron: 'every night',
      timeZone: 'Mars',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((response.json.errors as { field: string }[]).map((e) => e.field)).toEqual(
      expect.arrayContaining(['cron', 'timeZone']),
    );
    expect((await stack.api('GET', '/api/schedules/bad')).status).toBe(404);
  });

  it('moves 1,000 users in waves of 200 over five nights, each once, then reports itself finished', async () => {
    const created = await stack.api('PUT', '/api/schedules/e5-rollout', nightly);
    expect(created.status).toBe(201);
    const paused = await stack.api('PUT', '/api/schedules/on-hold', { ...nightly, paused: true });
    expect(paused.status).toBe(201);

    // Night 1 is the first 01:00 after the schedule was stored, whatever hour the virtual clock started at.
    const firstNight = nextUtcTime(stack.host.clock.now(), '01:00');
    const night = (n: number) => firstNight + (n - 1) * DAY;
    const moved: number[] = [];
    for (let n = 1; n <= 5; n++) {
      await stack.host.clock.advanceTo(night(n));
      if (n === 1) {
        // The timer fires again at the same moment, twice at once: nothing starts twice.
        await Promise.all([stack.host.fireTimer('scheduleTimer'), stack.host.fireTimer('scheduleTimer')]);
        expect(await scheduledRuns()).toHaveLength(1);
      }
      await stack.host.clock.advanceTo(night(n) + 5 * HOUR);
      moved.push(premiumHolders());
    }
    await stack.host.clock.advanceTo(night(6) + 5 * HOUR);

    expect(moved).toEqual([200, 400, 600, 800, 1000]);
    const writes = licenseWritesPerUser(stack.sim);
    expect(writes.size).toBe(1000);
    expect([...writes.values()].every((count) => count === 1)).toBe(true);

    const runs = await scheduledRuns();
    expect(runs.sort()).toEqual(
      [1, 2, 3, 4, 5].map(
        (n) => `sched-e5-rollout-${new Date(night(n)).toISOString().slice(0, 10).replace(/-/g, '')}T0100`,
      ),
    );
    const schedule = await stack.api('GET', '/api/schedules/e5-rollout');
    expect(schedule.json).toMatchObject({
      status: 'finished',
      occurrencesStarted: 5,
      finished: { reason: 'complete' },
    });
    expect(memory.events(TelemetryEvents.ScheduleOccurrenceStarted)).toHaveLength(5);
    expect(memory.events(TelemetryEvents.ScheduleFinished)).toEqual([
      expect.objectContaining({ properties: expect.objectContaining({ scheduleName: 'e5-rollout', occurrences: 5 }) }),
    ]);

    // The paused schedule started nothing in all that time.
    const onHold = await stack.api('GET', '/api/schedules/on-hold');
    expect(onHold.json).toMatchObject({ status: 'paused', occurrencesStarted: 0 });
    expect(runs.some((id) => id.startsWith('sched-on-hold-'))).toBe(false);
    // Five full migrations of a 1,000-user tenant (planning reads everyone each night): a minute or more on 2 cores.
  }, 240_000);

  it('lists, pauses, resumes and deletes schedules over HTTP', async () => {
    const list = await stack.api('GET', '/api/schedules');
    expect((list.json.schedules as { name: string }[]).map((s) => s.name)).toEqual(['e5-rollout', 'on-hold']);
    expect((await stack.api('POST', '/api/schedules/on-hold/resume')).json.status).toBe('active');
    expect((await stack.api('POST', '/api/schedules/on-hold/pause')).json.status).toBe('paused');
    expect((await stack.api('DELETE', '/api/schedules/on-hold')).status).toBe(204);
    expect((await stack.api('DELETE', '/api/schedules/on-hold')).status).toBe(404);
    expect((await stack.api('POST', '/api/schedules/missing/pause')).status).toBe(404);
  });
});
