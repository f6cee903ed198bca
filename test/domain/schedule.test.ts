import fc from 'fast-check';
import {
  WEEKDAYS,
  dueOccurrences,
  nextOccurrence,
  occurrenceMigrationId,
  parseScheduleDefinition,
  windowAt,
  type ScheduleDefinition,
  type ScheduleState,
  type ScheduleWindow,
  type Weekday,
} from '../../src/domain/schedule';
import type { Problem } from '../../src/domain/request';
import { testStart } from '../support/clock';

const request = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPE_E5', users: { all: true } }] };
const nightly = () => ({
  request,
  cron: '0 0 1 * * *',
  timeZone: 'Europe/Berlin',
  window: { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '01:00', end: '05:00' },
  wave: { maxUsers: 200 },
});

function definition(body: unknown, name = 'e5-rollout'): ScheduleDefinition {
  const result = parseScheduleDefinition(body, { name });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

function problemsOf(body: unknown, options: { name?: string; now?: Date } = { name: 'e5-rollout' }): Problem[] {
  const result = parseScheduleDefinition(body, options);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.value)}`);
  return result.problems;
}

const fieldsOf = (body: unknown, options?: { name?: string; now?: Date }) =>
  problemsOf(body, options).map((p) => p.field);
const emptyState: ScheduleState = { occurrences: [] };

describe('parseScheduleDefinition', () => {
  it('applies defaults, takes the name from the URL and validates the request template', () => {
    const result = parseScheduleDefinition({ request, cron: '0 0 1 * * *' }, { name: 'nightly' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({ name: 'nightly', timeZone: 'UTC', paused: false, cron: '0 0 1 * * *' });
    expect(result.value.request).toMatchObject({ mode: 'swap', batchSize: 20, moves: [{ to: 'SPE_E5' }] });
  });

  it('names every problem by field, including those inside the request template', () => {
    const fields = fieldsOf({
      request: { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPE_E5', users: {} }], batchSize: 50, id: 'x' },
      cron: '0 0 1 * *  * *',
      timeZone: 'Europe/Atlantis',
      window: { days: ['Mon', 'Funday', 'Mon'], start: '25:00', end: '05:00' },
      wave: { maxUsers: 0, maxOccurrences: 2.5 },
      paused: 'no',
      colour: 'blue',
    });
    expect(fields).toEqual(
      expect.arrayContaining([
        'request.moves[0].users',
        'request.batchSize',
        'request.id',
        'cron',
        'timeZone',
        'window.days[1]',
        'window.days[2]',
        'window.start',
        'wave.maxUsers',
        'wave.maxOccurrences',
        'paused',
        'colour',
      ]),
    );
  });

  it('requires exactly one of cron and startAt', () => {
    expect(fieldsOf({ request })).toEqual(['cron']);
    expect(fieldsOf({ request, cron: '0 0 1 * * *', startAt: '2030-01-01T00:00:00Z' })).toEqual(['startAt']);
  });

  it('rejects crons firing more than once a minute, cron expressions that never fire, and past one-offs', () => {
    expect(problemsOf({ request, cron: '*/10 * * * * *' })[0]?.message).toMatch(/at most once a minute/);
    expect(problemsOf({ request, cron: '0 0 0 30 2 *' })[0]?.message).toMatch(/never fires/);
    expect(
      fieldsOf({ request, startAt: '2026-01-01T00:00:00Z' }, { name: 'x', now: new Date('2026-06-01T00:00:00Z') }),
    ).toEqual(['startAt']);
  });

  it('rejects a name differing from the URL, a missing request, a dry-run template and an empty window', () => {
    expect(fieldsOf({ name: 'other', request, cron: '0 0 1 * * *' })).toEqual(['name']);
    expect(fieldsOf({ cron: '0 0 1 * * *' })).toEqual(['request']);
    expect(fieldsOf({ request: { ...request, dryRun: true }, cron: '0 0 1 * * *' })).toEqual(['request.dryRun']);
    expect(fieldsOf({ request, cron: '0 0 1 * * *', window: { days: ['Mon'], start: '01:00', end: '01:00' } })).toEqual(
      ['window.end'],
    );
    expect(fieldsOf([])).toEqual(['body']);
  });

  it('accepts 5-field cron and normalises a one-off start to UTC', () => {
    expect(definition({ request, cron: '30 1 * * 1-5' }).cron).toBe('30 1 * * 1-5');
    expect(definition({ request, startAt: '2030-03-01T02:00:00+01:00' }).startAt).toBe('2030-03-01T01:00:00.000Z');
  });
});

describe('dueOccurrences', () => {
  const def = definition(nightly());

  it('lists the cron ticks in (from, to] in the schedule time zone, oldest first', () => {
    // 01:00 Berlin is 00:00 UTC in winter.
    const due = dueOccurrences(def, emptyState, new Date('2026-12-01T00:00:00Z'), new Date('2026-12-03T12:00:00Z'));
    expect(due.map((d) => d.toISOString())).toEqual(['2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z']);
  });

  it('leaves out occurrences already recorded, and everything for paused or finished schedules', () => {
    const state: ScheduleState = {
      occurrences: [{ occurrence: '2026-12-02T00:00:00.000Z', outcome: 'started', recordedAt: '2026-12-02T00:00:01Z' }],
    };
    const from = new Date('2026-12-01T00:00:00Z');
    const to = new Date('2026-12-03T12:00:00Z');
    expect(dueOccurrences(def, state, from, to).map((d) => d.toISOString())).toEqual(['2026-12-03T00:00:00.000Z']);
    expect(dueOccurrences({ ...def, paused: true }, emptyState, from, to)).toEqual([]);
    expect(dueOccurrences(def, { ...emptyState, finished: { at: '', reason: 'complete' } }, from, to)).toEqual([]);
  });

  it('has a one-off start due exactly once', () => {
    const once = definition({ request, startAt: '2030-01-01T10:00:00Z' });
    expect(
      dueOccurrences(once, emptyState, new Date('2030-01-01T09:55:00Z'), new Date('2030-01-01T10:00:00Z')),
    ).toEqual([new Date('2030-01-01T10:00:00Z')]);
    expect(
      dueOccurrences(once, emptyState, new Date('2030-01-01T10:00:00Z'), new Date('2030-01-01T10:05:00Z')),
    ).toEqual([]);
    expect(nextOccurrence(once, new Date('2030-01-01T10:00:00Z'))).toBeUndefined();
  });

  it('never returns an occurrence twice across consecutive timer firings (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 * 60 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('0 */15 * * * *', '0 0 1 * * *', '0 30 */3 * * 1-5', '*/20 * * * *'),
        (stepsInMinutes, cron) => {
          const recurring = definition({ request, cron, timeZone: 'America/New_York' });
          let from = new Date('2026-10-31T20:00:00Z');
          const seen: number[] = [];
          for (const step of stepsInMinutes) {
            const to = new Date(from.getTime() + step * 60_000);
            for (const at of dueOccurrences(recurring, emptyState, from, to)) {
              expect(at.getTime()).toBeGreaterThan(from.getTime());
              expect(at.getTime()).toBeLessThanOrEqual(to.getTime());
              seen.push(at.getTime());
            }
            from = to;
          }
          expect(new Set(seen).size).toBe(seen.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('occurrenceMigrationId', () => {
  it('is sched-<name>-<yyyyMMddTHHmm> in UTC, so the two 01:30s of a fall-back night differ', () => {
    expect(occurrenceMigrationId('e5', new Date('2026-11-01T05:30:00Z'))).toBe('sched-e5-20261101T0530');
    expect(occurrenceMigrationId('e5', new Date('2026-11-01T06:30:00Z'))).toBe('sched-e5-20261101T0630');
  });
});

describe('windowAt: examples', () => {
  const berlin = (window: ScheduleWindow) => ({ window, timeZone: 'Europe/Berlin' });

  it('is always open without a window', () => {
    expect(windowAt({ timeZone: 'UTC' }, testStart())).toEqual({ open: true });
  });

  it('opens on the listed days between start and end, local time', () => {
    const def = berlin({ days: ['Mon'], start: '01:00', end: '05:00' });
    // Monday 2026-11-30, 02:00 Berlin = 01:00 UTC.
    expect(windowAt(def, new Date('2026-11-30T01:00:00Z'))).toEqual({
      open: true,
      closesAt: new Date('2026-11-30T04:00:00Z'),
    });
    expect(windowAt(def, new Date('2026-11-30T04:00:00Z'))).toEqual({
      open: false,
      opensAt: new Date('2026-12-07T00:00:00Z'),
    });
    expect(windowAt(def, new Date('2026-12-01T01:00:00Z')).open).toBe(false);
  });

  it('runs past midnight into the next day, counted from the opening day', () => {
    const def = berlin({ days: ['Fri'], start: '22:00', end: '04:00' });
    // Saturday 2026-12-05 03:00 Berlin: inside Friday's window.
    expect(windowAt(def, new Date('2026-12-05T02:00:00Z'))).toEqual({
      open: true,
      closesAt: new Date('2026-12-05T03:00:00Z'),
    });
    // Saturday 23:00: Saturday is not an opening day.
    expect(windowAt(def, new Date('2026-12-05T22:00:00Z')).open).toBe(false);
  });

  it('handles the spring-forward night: a window end inside the gap closes at the first valid time after it', () => {
    // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    const def = berlin({ days: ['Sat'], start: '23:00', end: '02:30' });
    expect(windowAt(def, new Date('2026-03-29T00:30:00Z'))).toEqual({
      open: true,
      closesAt: new Date('2026-03-29T01:00:00Z'),
    });
    // A window lying wholly inside the gap does not exist that night.
    const inGap = berlin({ days: ['Sun'], start: '02:10', end: '02:50' });
    expect(windowAt(inGap, new Date('2026-03-29T01:00:00Z')).open).toBe(false);
  });

  it('handles the fall-back night: a repeated local time means its first occurrence', () => {
    // 2026-10-25 in Berlin: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
    const def = berlin({ days: ['Sun'], start: '01:00', end: '02:30' });
    expect(windowAt(def, new Date('2026-10-24T23:30:00Z'))).toEqual({
      open: true,
      closesAt: new Date('2026-10-25T00:30:00Z'),
    });
    expect(windowAt(def, new Date('2026-10-25T01:00:00Z')).open).toBe(false);
  });
});

// --- properties --------------------------------------------------------------------------------------------------

const ZONES_WITH_DST = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'America/Santiago'];
const ZONES_WITHOUT_DST = ['UTC', 'Asia/Kolkata', 'Asia/Tokyo', 'Asia/Kathmandu'];

const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const windowArbitrary = fc
  .record({
    days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
    start: hhmm,
    end: hhmm,
  })
  .filter((w) => w.start !== w.end);
const instantIn2026 = fc
  .integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) })
  .map((ms) => new Date(Math.floor(ms / 60_000) * 60_000));

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Local weekday and minutes since midnight, read off the wall clock in `timeZone` (independent of croner). */
function wallClock(instant: Date, timeZone: string): { day: Weekday; minutes: number } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return { day: parts.weekday as Weekday, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const toMinutes = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
const previousDay = (day: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;

/** The window read literally off the wall clock: what an admin means by "Mon–Fri 22:00–04:00". */
function openOnWallClock(window: ScheduleWindow, instant: Date, timeZone: string): boolean {
  const { day, minutes } = wallClock(instant, timeZone);
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  if (start < end) return window.days.includes(day) && minutes >= start && minutes < end;
  return (window.days.includes(day) && minutes >= start) || (window.days.includes(previousDay(day)) && minutes < end);
}

function utcOffsetMinutes(instant: Date, timeZone: string): number {
  const local = new Date(instant.toLocaleString('en-US', { timeZone }));
  const utc = new Date(instant.toLocaleString('en-US', { timeZone: 'UTC' }));
  return (local.getTime() - utc.getTime()) / 60_000;
}

const nearDstChange = (instant: Date, timeZone: string) =>
  utcOffsetMinutes(new Date(instant.getTime() - 30 * 3600_000), timeZone) !==
  utcOffsetMinutes(new Date(instant.getTime() + 30 * 3600_000), timeZone);

describe('windowAt: properties', () => {
  it('agrees exactly with the wall clock in zones without daylight saving time', () => {
    fc.assert(
      fc.property(windowArbitrary, instantIn2026, fc.constantFrom(...ZONES_WITHOUT_DST), (window, instant, zone) => {
        expect(windowAt({ window, timeZone: zone }, instant).open).toBe(openOnWallClock(window, instant, zone));
      }),
      { numRuns: 150 },
    );
  });

  it('agrees with the wall clock in DST zones away from the clock changes', () => {
    fc.assert(
      fc.property(windowArbitrary, instantIn2026, fc.constantFrom(...ZONES_WITH_DST), (window, instant, zone) => {
        fc.pre(!nearDstChange(instant, zone));
        expect(windowAt({ window, timeZone: zone }, instant).open).toBe(openOnWallClock(window, instant, zone));
      }),
      { numRuns: 150 },
    );
  });

  it('on clock-change days too, an open window closes in the future, within its length plus an hour', () => {
    // Instants within a day of every 2026 DST change in the tested zones.
    const changes = ['2026-03-08T07:00:00Z', '2026-03-29T01:00:00Z', '2026-04-05T02:00:00Z', '2026-10-04T16:00:00Z'];
    const nearChange = fc
      .tuple(fc.constantFrom(...changes), fc.integer({ min: -24 * 60, max: 24 * 60 }))
      .map(([at, minutes]) => new Date(Date.parse(at) + minutes * 60_000));
    fc.assert(
      fc.property(windowArbitrary, nearChange, fc.constantFrom(...ZONES_WITH_DST), (window, instant, zone) => {
        const state = windowAt({ window, timeZone: zone }, instant);
        const length = (toMinutes(window.end) - toMinutes(window.start) + 24 * 60) % (24 * 60);
        if (state.open) {
          const left = (state.closesAt!.getTime() - instant.getTime()) / 60_000;
          expect(left).toBeGreaterThan(0);
          expect(left).toBeLessThanOrEqual(length + 60);
          // Just before closing it is still open; at closing it is closed.
          expect(windowAt({ window, timeZone: zone }, new Date(state.closesAt!.getTime() - 1000)).open).toBe(true);
          expect(windowAt({ window, timeZone: zone }, state.closesAt!).open).toBe(false);
        } else {
          expect(state.opensAt!.getTime()).toBeGreaterThan(instant.getTime());
          expect(windowAt({ window, timeZone: zone }, state.opensAt!).open).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});
