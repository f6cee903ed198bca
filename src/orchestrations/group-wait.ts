/**
 * Waiting for group licensing (docs/group-moves.md): Entra processes a group's license change, or a new member, in
 * the background. The run re-checks on durable timers with the same back-off as the wait for licenses (poll interval
 * doubling to at most an hour), wakes early on `recheck`, stops on `cancel`, and gives up at the deadline
 * (`waitForLicenses.timeout`, counted from the start of each wait).
 */
import type { Task } from 'durable-functions';
import { parseIsoDuration } from '../domain/duration';
import { MigrationEvents, nextPollDelayMs, type WaitingFor } from '../domain/workflow';
import type { MigrationRun } from './run';
import type { WaitOutcome } from './waiting';

export class GroupWait {
  readonly #pollIntervalMs: number;
  readonly #timeoutMs: number;
  #startedAt: number | undefined;
  #attempt = 0;

  constructor(private readonly run: MigrationRun) {
    this.#pollIntervalMs = parseIsoDuration(run.options.waitForLicenses.pollInterval);
    this.#timeoutMs = parseIsoDuration(run.options.waitForLicenses.timeout);
  }

  /** Starts a new wait (each step of the group moves has its own deadline). */
  start(): void {
    this.#startedAt = this.run.nowMs();
    this.#attempt = 0;
  }

  waitedMs(): number {
    return this.run.nowMs() - (this.#startedAt ?? this.run.nowMs());
  }

  /** Publishes what the run waits for, then sleeps until the next check, a recheck or a cancel. */
  *beforeRetry(reasons: string[]): Generator<Task, WaitOutcome, unknown> {
    const { context } = this.run;
    const now = this.run.nowMs();
    const startedAt = (this.#startedAt ??= now);
    const deadline = startedAt + this.#timeoutMs;
    if (now >= deadline) return 'timedOut';
    const nextCheck = Math.min(now + nextPollDelayMs(this.#pollIntervalMs, this.#attempt), deadline);
    this.#attempt += 1;
    const waitingFor: WaitingFor = {
      reason: reasons[0] ?? 'waiting for group processing',
      reasons,
      since: new Date(startedAt).toISOString(),
      nextCheckAt: new Date(nextCheck).toISOString(),
      deadline: new Date(deadline).toISOString(),
    };
    this.run.publish({ status: 'processingGroups', waitingFor });
    const timer = context.df.createTimer(new Date(nextCheck));
    const recheck = context.df.waitForExternalEvent(MigrationEvents.recheck);
    const cancel = context.df.waitForExternalEvent(MigrationEvents.cancel);
    const woke: unknown = yield context.df.Task.any([timer, recheck, cancel]);
    if (woke !== timer) timer.cancel();
    return woke === cancel ? 'cancelled' : 'retry';
  }
}
