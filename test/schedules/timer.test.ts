import { parseScheduleDefinition, type ScheduleDefinition } from '../../src/domain/schedule';
import type { MigrationRequest } from '../../src/domain/types';
import { ScheduleRepository } from '../../src/schedules/repository';
import { runScheduleTimer, type MigrationSnapshot, type ScheduleTimerDeps } from '../../src/schedules/timer';
import { TelemetryEvents } from '../../src/telemetry';
import { nextUtcTime, TEST_START_MS, testStart } from '../support/clock';
import { freshTestStore } from '../support/storage';
import { inMemoryTelemetry, type InMemoryTelemetry } from '../telemetry/in-memory-telemetry';

const request = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPE_E5', users: { all: true } }] };

/**
 * Night n at a UTC time of day. The tests' clock starts at the test instant (test/support/clock.ts); night 1 is the
 * day of the first 01:00 after it, so the schedule below (01:00, window 01:00–05:00) is due then whatever the hour.
 */
const FIRST_NIGHT_0000 = nextUtcTime(TEST_START_MS, '01:00') - 3600_000;
function at(night: number, time: string): Date {
  const [hours = 0, minutes = 0, seconds = 0] = time.split(':').map(Number);
  return new Date(FIRST_NIGHT_0000 + (night - 1) * 86_400_000 + ((hours * 60 + minutes) * 60 + seconds) * 1000);
}
/** The wave id of the occurrence at that time: sched-<name>-<yyyyMMddTHHmm, UTC>. */
function waveId(night: number, time: string): string {
  return `sched-e5-${at(night, time).toISOString().slice(0, 16).replace(/[-:]/g, '')}`;
}

function definition(overrides: Record<string, unknown> = {}): ScheduleDefinition {
  const result = parseScheduleDefinition({
    name: 'e5',
    request,
    cron: '0 0 1 * * *',
    timeZone: 'UTC',
    window: { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], start: '01:00', end: '05:00' },
    wave: { maxUsers: 200 },
    ...overrides,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

/** Stands in for the lead's startMigration/getMigrationView: one run per id, statuses set by the test. */
class FakeMigrations {
  readonly started: { request: MigrationRequest; id: string }[] = [];
  readonly runs = new Map<string, MigrationSnapshot>();

  start = (request: MigrationRequest, options: { id: string }) => {
    const created = !this.runs.has(options.id);
    if (created) {
      this.runs.set(options.id, { status: 'reassigning' });
      this.started.push({ request, id: options.id });
    }
    return Promise.resolve({ id: options.id, created });
  };

  end(id: string, remaining: number, status: MigrationSnapshot['status'] = 'completed'): void {
    this.runs.set(id, { status, remaining });
  }
}

describe('schedule timer', () => {
  let repository: ScheduleRepository;
  let migrations: FakeMigrations;
  let memory: InMemoryTelemetry;
  let now: Date;
  let deps: ScheduleTimerDeps;

  beforeEach(() => {
    repository = new ScheduleRepository(freshTestStore().store);
    migrations = new FakeMigrations();
    memory = inMemoryTelemetry();
    now = testStart();
    deps = {
      repository,
      startMigration: migrations.start,
      migration: (id) => Promise.resolve(migrations.runs.get(id)),
      telemetry: memory.telemetry,
      now: () => now,
      log: () => undefined,
    };
  });
  afterEach(() => memory.shutdown());

  const fire = (isPastDue = false) => runScheduleTimer(deps, { isPastDue });

  it('starts a due occurrence once, even when the timer fires twice or on two instances at once', async () => {
    await repository.put(definition(), now);
    now = at(1, '01:00');
    const [first, second] = await Promise.all([fire(), fire()]);
    await fire();

    expect(migrations.started.map((s) => s.id)).toEqual([waveId(1, '01:00')]);
    expect([...first, ...second].filter((a) => a.action === 'started' && a.created)).toHaveLength(1);
    expect(memory.events(TelemetryEvents.ScheduleOccurrenceStarted)).toEqual([
      {
        name: 'Schedule.OccurrenceStarted',
        properties: {
          scheduleName: 'e5',
          occurrence: at(1, '01:00').toISOString(),
          migrationId: waveId(1, '01:00'),
          late: false,
          maxUsers: 200,
          notAfter: at(1, '05:00').toISOString(),
        },
      },
    ]);
    const record = await repository.get('e5');
    expect(record?.state.occurrences.filter((o) => o.outcome === 'started')).toHaveLength(1);
  });

  it('starts each wave with the template, the wave size and the end of the window as its deadline', async () => {
    await repository.put(definition(), now);
    now = at(1, '01:00:05');
    await fire();
    expect(migrations.started[0]?.request).toMatchObject({
      ...definition().request,
      id: waveId(1, '01:00'),
      maxUsers: 200,
      notAfter: at(1, '05:00').toISOString(),
    });
  });

  it('starts nothing for a paused schedule, nor for what was due while it was paused', async () => {
    await repository.put(definition({ paused: true }), now);
    now = at(1, '01:00');
    expect(await fire()).toEqual([]);
    now = at(1, '02:00');
    await repository.setPaused('e5', false, now);
    await fire();
    expect(migrations.started).toEqual([]);
    now = at(2, '01:00');
    await fire();
    expect(migrations.started.map((s) => s.id)).toEqual([waveId(2, '01:00')]);
  });

  it('starts a missed occurrence late while its window is open, and skips older missed ones', async () => {
    await repository.put(definition(), now);
    // The timer did not run for two days; it comes back at 03:30, inside the window.
    now = at(3, '03:30');
    const actions = await fire(true);
    expect(actions.map((a) => a.action)).toEqual(['skipped', 'skipped', 'started']);
    expect(migrations.started.map((s) => s.id)).toEqual([waveId(3, '01:00')]);
    expect(memory.events(TelemetryEvents.ScheduleOccurrenceStarted)[0]?.properties.late).toBe(true);
    const record = await repository.get('e5');
    expect(record?.state.occurrences.map((o) => [o.occurrence, o.outcome])).toEqual([
      [at(1, '01:00').toISOString(), 'skipped'],
      [at(2, '01:00').toISOString(), 'skipped'],
      [at(3, '01:00').toISOString(), 'started'],
    ]);
  });

  it('skips and records a missed occurrence whose window has closed', async () => {
    await repository.put(definition(), now);
    now = at(1, '06:00');
    const actions = await fire(true);
    expect(actions).toEqual([
      expect.objectContaining({ action: 'skipped', reason: expect.stringMatching(/window was closed; it next opens/) }),
    ]);
    expect(migrations.started).toEqual([]);
    // Not reconsidered on the next firing.
    now = at(1, '06:05');
    expect(await fire()).toEqual([]);
  });

  it('does not start a wave while the previous one still runs', async () => {
    await repository.put(definition({ cron: '0 0 * * * *' }), now);
    now = at(1, '01:00');
    await fire();
    now = at(1, '02:00');
    const actions = await fire();
    expect(actions).toEqual([
      expect.objectContaining({ action: 'skipped', reason: expect.stringMatching(/still running/) }),
    ]);
    migrations.end(waveId(1, '01:00'), 300);
    now = at(1, '03:00');
    await fire();
    expect(migrations.started.map((s) => s.id)).toEqual([waveId(1, '01:00'), waveId(1, '03:00')]);
  });

  it('reports itself finished, once, when a wave ends with nothing left to move', async () => {
    await repository.put(definition(), now);
    now = at(1, '01:00');
    await fire();
    migrations.end(waveId(1, '01:00'), 0);
    now = at(1, '03:00');
    await Promise.all([fire(), fire()]);
    now = at(2, '01:00');
    expect(await fire()).toEqual([]);

    expect(migrations.started).toHaveLength(1);
    expect(memory.events(TelemetryEvents.ScheduleFinished)).toEqual([
      {
        name: 'Schedule.Finished',
        properties: {
          scheduleName: 'e5',
          occurrences: 1,
          lastMigrationId: waveId(1, '01:00'),
          reason: 'complete',
        },
      },
    ]);
    expect((await repository.get('e5'))?.state.finished).toMatchObject({ reason: 'complete' });
  });

  it('keeps going after a wave that failed or left users, and stops after maxOccurrences', async () => {
    await repository.put(definition({ wave: { maxUsers: 200, maxOccurrences: 2 } }), now);
    now = at(1, '01:00');
    await fire();
    migrations.end(waveId(1, '01:00'), 800, 'needsAttention');
    now = at(2, '01:00');
    await fire();
    migrations.end(waveId(2, '01:00'), 600);
    now = at(3, '01:00');
    const actions = await fire();
    expect(actions).toEqual([{ schedule: 'e5', action: 'finished', reason: 'maxOccurrences' }]);
    expect(migrations.started).toHaveLength(2);
  });

  it('starts a one-off schedule once, without a window', async () => {
    await repository.put(
      definition({ cron: undefined, startAt: at(1, '10:00').toISOString(), window: undefined }),
      now,
    );
    now = at(1, '10:00');
    await fire();
    now = at(1, '10:05');
    await fire();
    expect(migrations.started.map((s) => [s.id, s.request.notAfter])).toEqual([[waveId(1, '10:00'), undefined]]);
  });
});
