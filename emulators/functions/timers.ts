import { Cron } from 'croner';
import type { DueQueue } from './clock';
import type { RegisteredFunction } from './loader';

/** The value a timer-triggered function receives (`Timer` in @azure/functions). */
export interface TimerTriggerValue {
  isPastDue: boolean;
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string };
}

/** What the host reports as "last" before a schedule has ever fired (.NET DateTime.MinValue). */
const NEVER = '0001-01-01T00:00:00.000Z';
/** Later than this (real clock) counts as a missed occurrence. */
const PAST_DUE_AFTER_MS = 1000;

interface ScheduledTimer {
  fn: RegisteredFunction;
  cron: Cron;
  lastFired?: number;
}

/**
 * Runs `app.timer` functions on their 6-field NCRONTAB schedules (seconds first, UTC unless WEBSITE_TIME_ZONE),
 * using the host clock. Occurrences sit in the host's due queue next to durable timers.
 */
export class TimerTriggers {
  readonly #timers = new Map<string, ScheduledTimer>();

  constructor(
    functions: Iterable<RegisteredFunction>,
    private readonly dueQueue: DueQueue,
    private readonly now: () => number,
    private readonly run: (fn: RegisteredFunction, value: TimerTriggerValue) => Promise<void>,
    private readonly clockMode: 'real' | 'virtual',
    log: (line: string) => void,
  ) {
    const timezone = process.env.WEBSITE_TIME_ZONE ?? 'Etc/UTC';
    for (const fn of functions) {
      if (fn.kind !== 'timer') continue;
      const schedule = typeof fn.trigger.schedule === 'string' ? fn.trigger.schedule : '';
      try {
        const cron = new Cron(resolveSetting(schedule), { paused: true, timezone });
        this.#timers.set(fn.name.toLowerCase(), { fn, cron });
      } catch (error) {
        // Like an indexing error on the host: this function is left out, the others still run.
        log(
          `[host] ERROR: Function '${fn.name}' is disabled: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  start(): void {
    for (const timer of this.#timers.values()) {
      this.#scheduleAfter(timer, this.now());
      if (timer.fn.trigger.runOnStartup === true) void this.fireNow(timer.fn.name);
    }
  }

  has(name: string): boolean {
    return this.#timers.has(name.toLowerCase());
  }

  /** Fires the function immediately, as `POST /admin/functions/<name>` does (the schedule is unaffected). */
  async fireNow(name: string): Promise<void> {
    const timer = this.#timers.get(name.toLowerCase());
    if (!timer) throw new Error(`No timer-triggered function named '${name}'.`);
    const now = this.now();
    await this.run(timer.fn, this.#value(timer, now, now));
  }

  #scheduleAfter(timer: ScheduledTimer, from: number): void {
    const next = timer.cron.nextRun(new Date(from));
    if (!next) return;
    const dueAt = next.getTime();
    this.dueQueue.add({
      dueAt,
      owner: `timer-trigger:${timer.fn.name}`,
      kind: 'trigger',
      fire: () => {
        // Next occurrence is computed from the schedule, not from when this one ran.
        this.#scheduleAfter(timer, dueAt);
        const value = this.#value(timer, dueAt, this.now());
        timer.lastFired = dueAt;
        void this.run(timer.fn, value);
      },
    });
  }

  #value(timer: ScheduledTimer, scheduledAt: number, now: number): TimerTriggerValue {
    const next = timer.cron.nextRun(new Date(Math.max(scheduledAt, now)));
    return {
      isPastDue: this.clockMode === 'real' && now - scheduledAt > PAST_DUE_AFTER_MS,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: timer.lastFired !== undefined ? new Date(timer.lastFired).toISOString() : NEVER,
        next: next ? next.toISOString() : NEVER,
        lastUpdated: new Date(now).toISOString(),
      },
    };
  }
}

/** Schedules may name an app setting as `%NAME%`, like host.json values. */
function resolveSetting(schedule: string): string {
  const match = /^%(.+)%$/.exec(schedule.trim());
  if (!match) return schedule;
  const value = process.env[match[1]!];
  if (value === undefined) throw new Error(`Timer schedule refers to the app setting ${schedule}, which is not set.`);
  return value;
}
