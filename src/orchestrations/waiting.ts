/**
 * Waiting for the tenant to be ready (a target not bought yet, too few seats, a suspended subscription): durable
 * timers with back-off, an early wake on `recheck`, a stop on `cancel`, and one deadline for the whole run.
 */
import type { Task } from 'durable-functions';
import { parseIsoDuration } from '../domain/duration';
import { MigrationEvents, nextPollDelayMs, type WaitingFor } from '../domain/workflow';
import { notify } from './notify';
import type { MigrationRun } from './run';

export type WaitOutcome = 'retry' | 'cancelled' | 'timedOut';

export class LicenseWait {
  readonly #pollIntervalMs: number;
  readonly #timeoutMs: number;
  #startedAt: number | undefined;
  #attempt = 0;
  /** The reason last announced, and how many times it changed (each change is announced once). */
  #announced: string | undefined;
  #changes = 0;

  constructor(private readonly run: MigrationRun) {
    this.#pollIntervalMs = parseIsoDuration(run.options.waitForLicenses.pollInterval);
    this.#timeoutMs = parseIsoDuration(run.options.waitForLicenses.timeout);
  }

  /** How long the run has waited so far, for the give-up message. */
  waitedMs(): number {
    return this.run.nowMs() - (this.#startedAt ?? 0);
  }

  /** Publishes why the run waits, then sleeps until the next check, a recheck or a cancel. */
  *beforeRetry(reasons: string[]): Generator<Task, WaitOutcome, unknown> {
    const { context } = this.run;
    const now = this.run.nowMs();
    this.#startedAt ??= now;
    const deadline = this.#startedAt + this.#timeoutMs;
    if (now >= deadline) return 'timedOut';
    const nextCheck = Math.min(now + nextPollDelayMs(this.#pollIntervalMs, this.#attempt), deadline);
    this.#attempt += 1;
    const waitingFor: WaitingFor = {
      reason: reasons.join('; '),
      reasons,
      since: new Date(this.#startedAt).toISOString(),
      nextCheckAt: new Date(nextCheck).toISOString(),
      deadline: new Date(deadline).toISOString(),
    };
    this.run.publish({ status: 'waitingForLicenses', waitingFor });
    if (waitingFor.reason !== this.#announced) {
      this.#announced = waitingFor.reason;
      this.#changes += 1;
      yield* notify(this.run, 'waitingForLicenses', { reason: waitingFor.reason, change: this.#changes });
    }
    const timer = context.df.createTimer(new Date(nextCheck));
    const recheck = context.df.waitForExternalEvent(MigrationEvents.recheck);
    const cancel = context.df.waitForExternalEvent(MigrationEvents.cancel);
    const woke: unknown = yield context.df.Task.any([timer, recheck, cancel]);
    if (woke !== timer) timer.cancel();
    return woke === cancel ? 'cancelled' : 'retry';
  }
}
