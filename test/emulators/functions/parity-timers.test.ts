import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FunctionsHost } from '../../../emulators/functions';
import { TIMER_PARITY_APP, startTestHost } from './helpers';

/**
 * Timer triggers as the WebJobs timer extension runs them (azure-webjobs-sdk-extensions
 * src/WebJobs.Extensions/Extensions/Timers):
 * - TimerListener.HandleTimerEvent awaits the invocation before it re-arms the timer for the next occurrence after the
 *   time the invocation started, so a slow function never overlaps itself and missed occurrences become ONE immediate
 *   run, with isPastDue false;
 * - at start-up, ScheduleMonitor.CheckPastDueAsync compares the recorded `next` with now: if it has passed, one
 *   invocation runs at once with isPastDue true and the recorded status, however many occurrences were missed (docs:
 *   "Timer trigger for Azure Functions", isPastDue / useMonitor);
 * - TimerSchedule.ShouldDisableScheduleMonitor turns the monitor off for schedules that fire more than once a minute,
 *   and TimerInfo then carries no schedule status.
 */
interface Invocation {
  function: string;
  startedAt: number;
  endedAt?: number;
  isPastDue: boolean;
  scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
}

const HOUR = 3600_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const iso = (ms: number): string => new Date(ms).toISOString();

async function timerLog(host: FunctionsHost): Promise<{ invocations: Invocation[]; peak: number }> {
  const response = await fetch(`${host.baseUrl}/api/timer-log`);
  return (await response.json()) as { invocations: Invocation[]; peak: number };
}

describe('a timer function slower than its schedule (real clock)', () => {
  it('never overlaps itself, and runs once right after a slow run instead of catching up every missed second', async () => {
    const { host } = await startTestHost({
      appEntry: TIMER_PARITY_APP,
      clock: 'real',
      env: { SLOW_TICK_SCHEDULE: '* * * * * *', SLOW_TICK_HOLD_MS: '1500' },
    });
    let log: { invocations: Invocation[]; peak: number };
    try {
      await sleep(4200);
      log = await timerLog(host);
    } finally {
      await host.stop();
    }
    const runs = log.invocations.filter((entry) => entry.function === 'SlowTick');
    expect(log.peak).toBe(1);
    // About 3 s of schedule after the first run begins: at most 3 runs of 1.5 s, not one per second.
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeLessThanOrEqual(3);
    for (let index = 1; index < runs.length; index++) {
      const previousEnd = runs[index - 1]!.endedAt!;
      expect(runs[index]!.startedAt).toBeGreaterThanOrEqual(previousEnd);
      // The next occurrence had already passed: it runs at once, not at the next whole second.
      expect(runs[index]!.startedAt - previousEnd).toBeLessThan(500);
    }
    // Late runs while the host is up are not "past due", and an every-second schedule has no monitor (no status).
    expect(runs.every((entry) => !entry.isPastDue && entry.scheduleStatus === null)).toBe(true);
  });
});

describe('a monitored schedule across a restart (status persisted in the persistence directory)', () => {
  let dataDir: string;
  const env = { HOURLY_SCHEDULE: '0 0 * * * *' };
  const statusFile = (): string => path.join(dataDir, 'timers', 'hourlytick.status.json');

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'timer-monitor-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  /** Runs the host once on the virtual clock through its first hourly occurrence; returns that occurrence. */
  async function firstRun(): Promise<number> {
    const { host } = await startTestHost({ appEntry: TIMER_PARITY_APP, persistenceDir: dataDir, env });
    try {
      host.clock.setAutoAdvance(false);
      const firstHour = Math.ceil((host.clock.now() + 1) / HOUR) * HOUR;
      await host.clock.advanceTo(firstHour);
      // TimerInfo.ScheduleStatus is the status recorded before the run: `next` is this occurrence.
      expect((await timerLog(host)).invocations).toEqual([
        expect.objectContaining({
          isPastDue: false,
          scheduleStatus: {
            last: '0001-01-01T00:00:00.000Z',
            next: iso(firstHour),
            lastUpdated: '0001-01-01T00:00:00.000Z',
          },
        }),
      ]);
      return firstHour;
    } finally {
      await host.stop();
    }
  }

  /**
   * Moves the recorded status back by whole hours: to the schedule monitor that is exactly what the host having been
   * down that long looks like (it only compares the recorded times with the schedule and the clock).
   */
  function simulateDowntime(hours: number): void {
    const status = JSON.parse(fs.readFileSync(statusFile(), 'utf8')) as Record<string, string>;
    const shifted = Object.fromEntries(
      Object.entries(status).map(([key, value]) => [key, iso(Date.parse(value) - hours * HOUR)]),
    );
    fs.writeFileSync(statusFile(), JSON.stringify(shifted));
  }

  /** The host's real clock (what a real-clock host compares the record with). */
  async function realNow(): Promise<number> {
    const { host } = await startTestHost({ appEntry: TIMER_PARITY_APP, clock: 'real', env });
    try {
      return host.clock.now();
    } finally {
      await host.stop();
    }
  }

  it('records last/next after each run and fires nothing extra on a restart that missed no occurrence', async () => {
    const firstHour = await firstRun();
    expect(JSON.parse(fs.readFileSync(statusFile(), 'utf8'))).toEqual({
      last: iso(firstHour),
      next: iso(firstHour + HOUR),
      lastUpdated: iso(firstHour),
    });
    const { host } = await startTestHost({ appEntry: TIMER_PARITY_APP, persistenceDir: dataDir, env });
    try {
      host.clock.setAutoAdvance(false);
      await host.waitForIdle();
      expect((await timerLog(host)).invocations).toEqual([]);
    } finally {
      await host.stop();
    }
  });

  it.each(['virtual', 'real'] as const)(
    'after downtime that missed two occurrences, runs ONE invocation at start-up with isPastDue: true (%s clock)',
    async (clock) => {
      const firstHour = await firstRun();
      // On the real clock, downtime must end now: a start instant set later than today (LICENSE_SHIFT_TEST_START)
      // moves the record back far enough that its `next` has passed on the wall clock too.
      const down = clock === 'real' ? Math.max(3, Math.ceil((firstHour - (await realNow())) / HOUR) + 3) : 3;
      simulateDowntime(down);
      const { host } = await startTestHost({ appEntry: TIMER_PARITY_APP, persistenceDir: dataDir, env, clock });
      try {
        if (clock === 'virtual') host.clock.setAutoAdvance(false);
        let log = await timerLog(host);
        for (let attempt = 0; attempt < 100 && log.invocations.length === 0; attempt++) {
          await host.waitForIdle();
          log = await timerLog(host);
        }
        const restartedAt = host.clock.now();
        // The status handed over is the recorded one: the missed `next` (two occurrences ago, then one more passed).
        expect(log.invocations).toEqual([
          expect.objectContaining({
            isPastDue: true,
            scheduleStatus: {
              last: iso(firstHour - down * HOUR),
              next: iso(firstHour - (down - 1) * HOUR),
              lastUpdated: iso(firstHour - down * HOUR),
            },
          }),
        ]);
        if (clock === 'virtual') {
          // Back on schedule: the next run is the next whole hour, not past due.
          const nextHour = Math.ceil((restartedAt + 1) / HOUR) * HOUR;
          await host.clock.advanceTo(nextHour);
          log = await timerLog(host);
          expect(log.invocations).toHaveLength(2);
          expect(log.invocations[1]).toMatchObject({ isPastDue: false, scheduleStatus: { next: iso(nextHour) } });
        }
      } finally {
        await host.stop();
      }
    },
  );
});
