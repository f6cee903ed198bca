/**
 * The one instant at which every test clock starts: the local runtime's virtual clock, the Graph layer's virtual
 * clock, the simulator's clock in end-to-end stacks, and "now" in schedule tests. So no test depends on the date or
 * time of day it runs at. LICENSE_SHIFT_TEST_START moves it for a whole run, to the hour before a daylight saving change,
 * say, or a minute before the new year (`npm run test:clock-shift` runs the time-sensitive suites at such instants).
 */
export const DEFAULT_TEST_START = '2026-03-02T09:00:00Z';

function parseInstant(name: string, value: string): number {
  // An offset is required: without one the same text would name a different instant on each machine.
  const epochMs = /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim()) ? Date.parse(value) : NaN;
  if (!Number.isFinite(epochMs)) {
    throw new Error(`${name}=${value} is not an ISO 8601 date-time with an offset, such as ${DEFAULT_TEST_START}.`);
  }
  return epochMs;
}

const fromEnvironment = process.env.LICENSE_SHIFT_TEST_START?.trim();

/** Epoch milliseconds of the instant test clocks start at. */
export const TEST_START_MS = fromEnvironment
  ? parseInstant('LICENSE_SHIFT_TEST_START', fromEnvironment)
  : parseInstant('DEFAULT_TEST_START', DEFAULT_TEST_START);

/** The same instant as ISO 8601 in UTC. */
export const TEST_START_INSTANT = new Date(TEST_START_MS).toISOString();

/** A fresh Date at the test start instant. */
export function testStart(): Date {
  return new Date(TEST_START_MS);
}

/**
 * A clock that starts at the test instant and then moves at real speed: for the Graph simulator next to a virtual
 * runtime, whose throttling windows must refill while activities run in real time.
 */
export function realPacedClock(startMs = TEST_START_MS): () => number {
  const origin = performance.now();
  return () => startMs + Math.round(performance.now() - origin);
}

/** The first instant strictly after `afterMs` at `HH:mm` UTC: a nightly occurrence, whatever hour the clock starts. */
export function nextUtcTime(afterMs: number, hhmm: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!match) throw new Error(`Not HH:mm: ${hhmm}`);
  const after = new Date(afterMs);
  const sameDay = Date.UTC(
    after.getUTCFullYear(),
    after.getUTCMonth(),
    after.getUTCDate(),
    Number(match[1]),
    Number(match[2]),
  );
  return sameDay > afterMs ? sameDay : sameDay + 24 * 3600_000;
}

/**
 * A limit on how long a test waits for something (polling a status, say), in elapsed real time: it reads a
 * monotonic timer, not the date, so it is the same at any hour.
 */
export function deadlineAfter(ms: number): () => boolean {
  const end = performance.now() + ms;
  return () => performance.now() >= end;
}
