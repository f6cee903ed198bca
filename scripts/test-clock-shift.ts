/**
 * `npm run test:clock-shift [-- <ISO instant> ...]`: runs the time-sensitive suites once per instant, with every test
 * clock started there (LICENSE_SHIFT_TEST_START, see test/support/clock.ts), and prints a table of the results.
 * Without arguments it uses the instants where date arithmetic most often goes wrong. Exit code 0 only if all pass.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, __filename.endsWith('.ts') ? '..' : '../..');

/** Instants, and why each one. */
const CLOCK_SHIFTS: readonly (readonly [string, string])[] = [
  ['2026-03-02T00:30:00Z', 'between midnight and 01:00 UTC, just before nightly waves'],
  ['2026-12-31T23:59:00Z', 'a minute before the new year'],
  ['2026-03-29T00:59:00Z', 'a minute before clocks go forward in Europe (01:00 UTC)'],
  ['2026-10-25T00:59:00Z', 'a minute before clocks go back in Europe (01:00 UTC)'],
  ['2026-03-08T06:59:00Z', 'a minute before clocks go forward in the US Eastern zone (07:00 UTC)'],
];

/** Suites whose outcome depends on dates: schedules and their timer, timer triggers, the virtual clock itself. */
const TIME_SENSITIVE_SUITES = [
  'test/domain/schedule.test.ts',
  'test/schedules/',
  'test/emulators/functions/timers.test.ts',
  'test/emulators/functions/clock-start.test.ts',
  'test/emulators/local/schedules.test.ts',
  'test/graph/pacing.test.ts',
];

function main(): number {
  const given = process.argv.slice(2);
  const shifts = given.length > 0 ? given.map((instant) => [instant, 'given'] as const) : CLOCK_SHIFTS;
  const jest = require.resolve('jest/bin/jest');
  const results: { instant: string; why: string; ok: boolean; seconds: number }[] = [];
  for (const [instant, why] of shifts) {
    process.stdout.write(`\n::: LICENSE_SHIFT_TEST_START=${instant} (${why})\n`);
    const started = performance.now();
    const run = spawnSync(process.execPath, [jest, ...TIME_SENSITIVE_SUITES], {
      cwd: ROOT,
      env: { ...process.env, LICENSE_SHIFT_TEST_START: instant },
      stdio: 'inherit',
    });
    results.push({ instant, why, ok: run.status === 0, seconds: (performance.now() - started) / 1000 });
  }
  process.stdout.write('\nClock-shift runs of the time-sensitive suites:\n');
  for (const result of results) {
    process.stdout.write(
      `  ${result.ok ? 'PASS' : 'FAIL'}  ${result.instant}  ${result.seconds.toFixed(0).padStart(4)} s  ${result.why}\n`,
    );
  }
  return results.every((result) => result.ok) ? 0 : 1;
}

process.exitCode = main();
