import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cron } from 'croner';
import type { DueQueue } from './clock';
import type { RegisteredFunction } from './loader';

/**
 * Timer triggers as the WebJobs timer extension runs them (azure-webjobs-sdk-extensions
 * src/WebJobs.Extensions/Extensions/Timers: Listener/TimerListener.cs, Scheduling/ScheduleMonitor.cs, TimerSchedule.cs):
 * - one invocation at a time per function: the next occurrence is armed only after the running invocation returns,
 *   computed from the time that invocation started, so occurrences missed while it ran collapse into one
 *   immediate invocation (never a second concurrent one, never a backlog);
 * - a schedule monitor keeps `last` / `next` / `lastUpdated` per function (here: `<persistenceDir>/timers/`, or
 *   memory). At start-up, if the recorded `next` has passed, ONE invocation runs at once with `isPastDue: true`,
 *   however many occurrences were missed;
 * - the monitor is off for schedules that fire more than once a minute (unless `useMonitor` says otherwise), and
 *   then the function gets `scheduleStatus: null`.
 */

/** The value a timer-triggered function receives (`Timer` in @azure/functions, camel-cased from the host's TimerInfo). */
export interface TimerTriggerValue {
  isPastDue: boolean;
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
}

/** ScheduleStatus: epoch milliseconds; NEVER stands for .NET's default DateTime. */
export interface ScheduleStatus {
  last: number;
  next: number;
  lastUpdated: number;
}

/** .NET DateTime.MinValue, what the host reports for a time never recorded. */
const NEVER = Date.parse('0001-01-01T00:00:00.000Z');

/** Where schedule statuses live between host runs (ScheduleMonitor.GetStatusAsync / UpdateStatusAsync). */
export interface ScheduleMonitorStore {
  get(name: string): ScheduleStatus | undefined;
  update(name: string, status: ScheduleStatus): void;
}

/** In memory: lost when the host stops, like a host whose monitor storage was wiped. */
export class MemoryScheduleMonitor implements ScheduleMonitorStore {
  readonly #statuses = new Map<string, ScheduleStatus>();
  get(name: string): ScheduleStatus | undefined {
    const status = this.#statuses.get(name);
    return status ? { ...status } : undefined;
  }
  update(name: string, status: ScheduleStatus): void {
    this.#statuses.set(name, { ...status });
  }
}

/** One JSON file per function under `<dir>/timers/` (the host keeps a blob per timer under `timers/<host id>/`). */
export class FileScheduleMonitor implements ScheduleMonitorStore {
  readonly #directory: string;
  constructor(persistenceDir: string) {
    this.#directory = path.join(persistenceDir, 'timers');
    fs.mkdirSync(this.#directory, { recursive: true });
  }
  #file(name: string): string {
    return path.join(this.#directory, `${encodeURIComponent(name.toLowerCase())}.status.json`);
  }
  get(name: string): ScheduleStatus | undefined {
    const file = this.#file(name);
    if (!fs.existsSync(file)) return undefined;
    try {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { last: string; next: string; lastUpdated: string };
      return { last: Date.parse(json.last), next: Date.parse(json.next), lastUpdated: Date.parse(json.lastUpdated) };
    } catch {
      return undefined;
    }
  }
  update(name: string, status: ScheduleStatus): void {
    const file = this.#file(name);
    const temporary = `${file}.writing`;
    const text = JSON.stringify({
      last: iso(status.last),
      next: iso(status.next),
      lastUpdated: iso(status.lastUpdated),
    });
    const fd = fs.openSync(temporary, 'w');
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temporary, file);
  }
}

interface ScheduledTimer {
  fn: RegisteredFunction;
  cron: Cron;
  monitored: boolean;
  status: ScheduleStatus;
}

type InvocationKind = 'scheduled' | 'pastDue' | 'startup';

export class TimerTriggers {
  readonly #timers = new Map<string, ScheduledTimer>();
  #stopped = false;

  constructor(
    functions: Iterable<RegisteredFunction>,
    private readonly dueQueue: DueQueue,
    private readonly now: () => number,
    private readonly run: (fn: RegisteredFunction, value: TimerTriggerValue) => Promise<void>,
    private readonly monitor: ScheduleMonitorStore,
    private readonly log: (line: string) => void,
  ) {
    const timezone = process.env.WEBSITE_TIME_ZONE ?? 'Etc/UTC';
    for (const fn of functions) {
      if (fn.kind !== 'timer') continue;
      const schedule = typeof fn.trigger.schedule === 'string' ? fn.trigger.schedule : '';
      try {
        const expression = resolveSetting(schedule);
        const cron = new Cron(expression, { paused: true, timezone });
        const wanted = fn.trigger.useMonitor !== false;
        this.#timers.set(fn.name.toLowerCase(), {
          fn,
          cron,
          monitored: wanted && !firesMoreThanOncePerMinute(expression, cron, this.now()),
          status: { last: NEVER, next: NEVER, lastUpdated: NEVER },
        });
      } catch (error) {
        // Like an indexing error on the host: this function is left out, the others still run.
        log(
          `[host] ERROR: Function '${fn.name}' is disabled: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  /** TimerListener.StartAsync for every timer function. */
  start(): void {
    for (const timer of this.#timers.values()) {
      const now = this.now();
      let pastDue = false;
      let stored: ScheduleStatus | undefined;
      if (timer.monitored) {
        stored = this.monitor.get(timer.fn.name);
        pastDue = this.#checkPastDue(timer, now, stored);
      }
      timer.status = stored ?? { last: NEVER, next: this.#nextAfter(timer, now), lastUpdated: NEVER };
      if (pastDue) {
        this.log(
          `[host] Function '${timer.fn.name}' is past due (next was ${iso(timer.status.next)}): running it now.`,
        );
        this.#runSoon(timer, 'pastDue');
      } else if (timer.fn.trigger.runOnStartup === true) {
        this.#runSoon(timer, 'startup');
      } else {
        this.#arm(timer);
      }
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  has(name: string): boolean {
    return this.#timers.has(name.toLowerCase());
  }

  /**
   * Runs the function now, as `POST /admin/functions/<name>` does: outside the schedule (which is unaffected), with
   * the recorded status and `isPastDue: false` (TimerTriggerBinding.BindAsync).
   */
  async fireNow(name: string): Promise<void> {
    const timer = this.#timers.get(name.toLowerCase());
    if (!timer) throw new Error(`No timer-triggered function named '${name}'.`);
    const recorded = timer.monitored ? (this.monitor.get(timer.fn.name) ?? timer.status) : undefined;
    await this.run(timer.fn, this.#value(recorded, false));
  }

  /** ScheduleMonitor.CheckPastDueAsync: records a first status, or repairs one whose schedule changed. */
  #checkPastDue(timer: ScheduledTimer, now: number, stored: ScheduleStatus | undefined): boolean {
    const name = timer.fn.name;
    if (!stored) {
      const next = this.#nextAfter(timer, now);
      this.monitor.update(name, { last: NEVER, next, lastUpdated: now });
      return now > next;
    }
    let expected: number;
    let lastUpdated: number;
    if (stored.last !== NEVER) {
      expected = this.#nextAfter(timer, stored.last);
      lastUpdated = stored.last;
    } else if (stored.lastUpdated !== NEVER) {
      expected = this.#nextAfter(timer, stored.lastUpdated);
      lastUpdated = stored.lastUpdated;
    } else {
      expected = this.#nextAfter(timer, now);
      lastUpdated = now;
    }
    if (stored.next !== expected) {
      // The schedule changed: a next occurrence in the past would not count as missed.
      if (now > expected) {
        expected = this.#nextAfter(timer, now);
        lastUpdated = now;
      }
      stored.last = NEVER;
      stored.next = expected;
      stored.lastUpdated = lastUpdated;
      this.monitor.update(name, stored);
    }
    return now > stored.next;
  }

  /** The host starts a 1 ms timer for start-up invocations; here they run on the next turn of the event loop. */
  #runSoon(timer: ScheduledTimer, kind: InvocationKind): void {
    setImmediate(() => void this.#invoke(timer, kind));
  }

  /** Arms the timer for the recorded next occurrence; one already passed is due at once. */
  #arm(timer: ScheduledTimer): void {
    if (this.#stopped || timer.status.next === NEVER) return;
    this.dueQueue.add({
      dueAt: timer.status.next,
      owner: `timer-trigger:${timer.fn.name}`,
      kind: 'trigger',
      fire: () => void this.#invoke(timer, 'scheduled'),
    });
  }

  /** TimerListener.InvokeJobFunction, then re-arming as HandleTimerEvent does once the invocation has returned. */
  async #invoke(timer: ScheduledTimer, kind: InvocationKind): Promise<void> {
    if (this.#stopped) return;
    const invokedAt = this.now();
    try {
      // The status handed over is the one recorded before this invocation (TimerInfo.ScheduleStatus).
      await this.run(timer.fn, this.#value(timer.monitored ? timer.status : undefined, kind === 'pastDue'));
    } catch {
      // Failures are logged by the invoker; they never stop the schedule.
    }
    // Fired a moment early (clock skew): count it as the scheduled occurrence, or the same `next` would come again.
    const at = kind === 'scheduled' && timer.status.next > invokedAt ? timer.status.next : invokedAt;
    timer.status = { last: at, next: this.#nextAfter(timer, at), lastUpdated: at };
    if (timer.monitored) {
      try {
        this.monitor.update(timer.fn.name, timer.status);
      } catch (error) {
        // E.g. the persistence directory went away after a stop; the next start then sees the older status.
        this.log(`[host] WARNING: could not record the schedule status of '${timer.fn.name}': ${String(error)}`);
      }
    }
    this.#arm(timer);
  }

  /** Without a schedule monitor the host hands over no status at all. */
  #value(status: ScheduleStatus | undefined, isPastDue: boolean): TimerTriggerValue {
    return {
      isPastDue,
      schedule: { adjustForDST: true },
      scheduleStatus: status
        ? { last: iso(status.last), next: iso(status.next), lastUpdated: iso(status.lastUpdated) }
        : null,
    };
  }

  #nextAfter(timer: ScheduledTimer, after: number): number {
    return timer.cron.nextRun(new Date(after))?.getTime() ?? NEVER;
  }
}

/**
 * TimerSchedule.ShouldDisableScheduleMonitor: only a schedule whose minute-and-above fields are all "*" can fire
 * more than once a minute; it does if two occurrences fall within the next minute.
 */
function firesMoreThanOncePerMinute(expression: string, cron: Cron, now: number): boolean {
  const fields = expression.trim().split(/\s+/);
  if (!fields.slice(1).every((field) => field === '*')) return false;
  const upTo = now + 60_000;
  const occurrences = cron.nextRuns(2, new Date(now)).filter((date) => date.getTime() <= upTo);
  return occurrences.length > 1;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Schedules may name an app setting as `%NAME%`, like host.json values. */
function resolveSetting(schedule: string): string {
  const match = /^%(.+)%$/.exec(schedule.trim());
  if (!match) return schedule;
  const value = process.env[match[1]!];
  if (value === undefined) throw new Error(`Timer schedule refers to the app setting ${schedule}, which is not set.`);
  return value;
}
