/** Durable waits of a run: for licenses (and a target not bought yet), and for group processing. */
import type { Task } from 'durable-functions';
import { parseIsoDuration } from '../domain/duration';
import { MigrationEvents, nextPollDelayMs, type WaitingFor } from '../domain/workflow';
import { notify } from './notify';
import type { MigrationStatus } from '../domain/status';
import type { MigrationRun } from './run';

export type WaitOutcome = 'retry' | 'cancelled' | 'timedOut';

/**
 * A durable wait for something outside the run: timers whose interval doubles from the poll interval up to an hour,
 * an early wake on `recheck`, a stop on `cancel`, and a deadline (`waitForLicenses.timeout`). Subclasses say which
 * status the run shows meanwhile and what else happens when the reason changes.
 */
export abstract class DurableWait {
  readonly #pollIntervalMs: number;
  readonly #timeoutMs: number;
  #startedAt: number | undefined;
  #attempt = 0;

  constructor(
    protected readonly run: MigrationRun,
    private readonly status: MigrationStatus,
  ) {
    this.#pollIntervalMs = parseIsoDuration(run.options.waitForLicenses.pollInterval);
    this.#timeoutMs = parseIsoDuration(run.options.waitForLicenses.timeout);
  }

  /** Starts a new wait with its own deadline. */
  start(): void {
    this.#startedAt = this.run.nowMs();
    this.#attempt = 0;
  }

  /** How long the current wait has lasted, for the give-up message. */
  waitedMs(): number {
    return this.run.nowMs() - (this.#startedAt ?? this.run.nowMs());
  }

  /** The reason the status shows, from the reasons the check gave. */
  protected abstract reasonOf(reasons: string[]): string;

  /** Called each time the run goes to sleep, after the status is published. */
  protected *onWaiting(_waitingFor: WaitingFor): Generator<Task, void, unknown> {}

  /** Publishes why the run waits, then sleeps until the next check, a recheck or a cancel. */
  *beforeRetry(reasons: string[]): Generator<Task, WaitOutcome, unknown> {
    const { context } = this.run;
    const now = this.run.nowMs();
    const startedAt = (this.#startedAt ??= now);
    const deadline = startedAt + this.#timeoutMs;
    if (now >= deadline) return 'timedOut';
    const nextCheck = Math.min(now + nextPollDelayMs(this.#pollIntervalMs, this.#attempt), deadline);
    this.#attempt += 1;
    const waitingFor: WaitingFor = {
      reason: this.reasonOf(reasons),
      reasons,
      since: new Date(startedAt).toISOString(),
      nextCheckAt: new Date(nextCheck).toISOString(),
      deadline: new Date(deadline).toISOString(),
    };
    this.run.publish({ status: this.status, waitingFor });
    yield* this.onWaiting(waitingFor);
    const timer = context.df.createTimer(new Date(nextCheck));
    const recheck = context.df.waitForExternalEvent(MigrationEvents.recheck);
    const cancel = context.df.waitForExternalEvent(MigrationEvents.cancel);
    const woke: unknown = yield context.df.Task.any([timer, recheck, cancel]);
    if (woke !== timer) timer.cancel();
    return woke === cancel ? 'cancelled' : 'retry';
  }
}

/**
 * Waiting for the tenant to be ready (a target not bought yet, too few seats, a suspended subscription), with one
 * deadline for the whole run. Each change of the reason is announced to the run's notification targets once.
 */
export class LicenseWait extends DurableWait {
  /** The reason last announced, and how many times it changed. */
  #announced: string | undefined;
  #changes = 0;

  constructor(run: MigrationRun) {
    super(run, 'waitingForLicenses');
  }

  protected reasonOf(reasons: string[]): string {
    return reasons.join('; ');
  }

  protected override *onWaiting(waitingFor: WaitingFor): Generator<Task, void, unknown> {
    if (waitingFor.reason === this.#announced) return;
    this.#announced = waitingFor.reason;
    this.#changes += 1;
    yield* notify(this.run, 'waitingForLicenses', { reason: waitingFor.reason, change: this.#changes });
  }
}
