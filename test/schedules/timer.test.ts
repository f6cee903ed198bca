import { parseScheduleDefinition, type ScheduleDefinition } from '../../src/domain/schedule';
import type { MigrationRequest } from '../../src/domain/types';
import { ScheduleRepository } from '../../src/schedules/repository';
import { runScheduleTimer, type MigrationSnapshot, type ScheduleTimerDeps } from '../../src/schedules/timer';
import { TelemetryEvents } from '../../src/telemetry';
import { freshTestStore } from '../support/storage';
import { inMemoryTelemetry, type InMemoryTelemetry } from '../telemetry/in-memory-telemetry';

const request = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPE_E5', users: { all: true } }] };

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
    now = new Date('2026-12-01T00:00:00Z');
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
    now = new Date('2026-12-01T01:00:00Z');
    const [first, second] = await Promise.all([fire(), fire()]);
    await fire();

    expect(migrations.started.map((s) => s.id)).toEqual(['sched-e5-20261201T0100']);
    expect([...first, ...second].filter((a) => a.action === 'started' && a.created)).toHaveLength(1);
    expect(memory.events(TelemetryEvents.ScheduleOccurrenceStarted)).toEqual([
      {
        name: 'Schedule.OccurrenceStarted',
        properties: {
          scheduleName: 'e5',
          occurrence: '2026-12-01T01:00:00.000Z',
          migrationId: 'sched-e5-20261201T0100',
          late: false,
          maxUsers: 200,
          notAfter: '2026-12-01T05:00:00.000Z',
        },
      },
    ]);
    const record = await repository.get('e5');
    expect(record?.state.occurrences.filter((o) => o.outcome === 'started')).toHaveLength(1);
  });

  it('starts each wave with the template, the wave size and the end of the window as its deadline', async () => {
    await repository.put(definition(), now);
    now = new Date('2026-12-01T01:00:05Z');
    await fire();
    expect(migrations.started[0]?.request).toMatchObject({
      ...definition().request,
      id: 'sched-e5-20261201T0100',
      maxUsers: 200,
      notAfter: '2026-12-01T05:00:00.000Z',
    });
  });

  it('starts nothing for a paused schedule, nor for what was due while it was paused', async () => {
    await repository.put(definition({ paused: true }), now);
    now = new Date('2026-12-01T01:00:00Z');
    expect(await fire()).toEqual([]);
    now = new Date('2026-12-01T02:00:00Z');
    await repository.setPaused('e5', false, now);
    await fire();
    expect(migrations.started).toEqual([]);
    now = new Date('2026-12-02T01:00:00Z');
    await fire();
    expect(migrations.started.map((s) => s.id)).toEqual(['sched-e5-20261202T0100']);
  });

  it('starts a missed occurrence late while its window is open, and skips older missed ones', async () => {
    await repository.put(definition(), now);
    // The timer did not run for two days; it comes back at 03:30, inside the window.
    now = new Date('2026-12-03T03:30:00Z');
    const actions = await fire(true);
    expect(actions.map((a) => a.action)).toEqual(['skipped', 'skipped', 'started']);
    expect(migrations.started.map((s) => s.id)).toEqual(['sched-e5-20261203T0100']);
    expect(memory.events(TelemetryEvents.ScheduleOccurrenceStarted)[0]?.properties.late).toBe(true);
    const record = await repository.get('e5');
    expect(record?.state.occurrences.map((o) => [o.occurrence, o.outcome])).toEqual([
      ['2026-12-01T01:00:00.000Z', 'skipped'],
      ['2026-12-02T01:00:00.000Z', 'skipped'],
      ['2026-12-03T01:00:00.000Z', 'started'],
    ]);
  });

  it('skips and records a missed occurrence whose window has closed', async () => {
    await repository.put(definition(), now);
    now = new Date('2026-12-01T06:00:00Z');
    const actions = await fire(true);
    expect(actions).toEqual([
      expect.objectContaining({ action: 'skipped', reason: expect.stringMatching(/window was closed; it next opens/) }),
    ]);
    expect(migrations.started).toEqual([]);
    // Not reconsidered on the next firing.
    now = new Date('2026-12-01T06:05:00Z');
    expect(await fire()).toEqual([]);
  });

  it('does not start a wave while the previous one still runs', async () => {
    await repository.put(definition({ cron: '0 0 * * * *' }), now);
    now = new Date('2026-12-01T01:00:00Z');
    await fire();
    now = new Date('2026-12-01T02:00:00Z');
    const actions = await fire();
    expect(actions).toEqual([
      expect.objectContaining({ action: 'skipped', reason: expect.stringMatching(/still running/) }),
    ]);
    migrations.end('sched-e5-20261201T0100', 300);
    now = new Date('2026-12-01T03:00:00Z');
    await fire();
    expect(migrations.started.map((s) => s.id)).toEqual(['sched-e5-20261201T0100', 'sched-e5-20261201T0300']);
  });

  it('reports itself finished, once, when a wave ends with nothing left to move', async () => {
    await repository.put(definition(), now);
    now = new Date('2026-12-01T01:00:00Z');
    await fire();
    migrations.end('sched-e5-20261201T0100', 0);
    now = new Date('2026-12-01T03:00:00Z');
    await Promise.all([fire(), fire()]);
    now = new Date('2026-12-02T01:00:00Z');
    expect(await fire()).toEqual([]);

    expect(migrations.started).toHaveLength(1);
    expect(memory.events(TelemetryEvents.ScheduleFinished)).toEqual([
      {
        name: 'Schedule.Finished',
        properties: {
          scheduleName: 'e5',
          occurrences: 1,
          lastMigrationId: 'sched-e5-20261201T0100',
          reason: 'complete',
        },
      },
    ]);
    expect((await repository.get('e5'))?.state.finished).toMatchObject({ reason: 'complete' });
  });

  it('keeps going after a wave that failed or left users, and stops after maxOccurrences', async () => {
    await repository.put(definition({ wave: { maxUsers: 200, maxOccurrences: 2 } }), now);
    now = new Date('2026-12-01T01:00:00Z');
    await fire();
    migrations.end('sched-e5-20261201T0100', 800, 'needsAttention');
    now = new Date('2026-12-02T01:00:00Z');
    await fire();
    migrations.end('sched-e5-20261202T0100', 600);
    now = new Date('2026-12-03T01:00:00Z');
    const actions = await fire();
    expect(actions).toEqual([{ schedule: 'e5', action: 'finished', reason: 'maxOccurrences' }]);
    expect(migrations.started).toHaveLength(2);
  });

  it('starts a one-off schedule once, without a window', async () => {
    await repository.put(definition({ cron: undefined, startAt: '2026-12-01T10:00:00Z', window: undefined }), now);
    now = new Date('2026-12-01T10:00:00Z');
    await fire();
    now = new Date('2026-12-01T10:05:00Z');
    await fire();
    expect(migrations.started.map((s) => [s.id, s.request.notAfter])).toEqual([['sched-e5-20261201T1000', undefined]]);
  });
});
