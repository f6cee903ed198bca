/**
 * Notifications from the orchestrator: one `notifyRun` call per event, only in runs that have targets
 * (`MigrationInput.notify`), so histories recorded before notifications existed replay unchanged. The activity never
 * fails the run; its own retries (with back-off) and the idempotency record make each event go out at most once.
 */
import * as df from 'durable-functions';
import type { Task } from 'durable-functions';
import { notificationKey, type NotifyEvent } from '../domain/notify';
import type { NotifyInput } from '../domain/workflow';
import { callActivity } from './calls';
import type { MigrationRun } from './run';

/** The host retries the activity if its process dies; the stored record keeps a resend from happening twice. */
export const notifyRetry = new df.RetryOptions(5_000, 3);
notifyRetry.backoffCoefficient = 2;

export function* notify(
  run: MigrationRun,
  event: NotifyEvent,
  details: { message?: string; reason?: string; change?: number; status?: NotifyInput['status'] } = {},
): Generator<Task, void, unknown> {
  if (!run.input.notify) return;
  const input: NotifyInput = {
    migrationId: run.migrationId,
    event,
    key: notificationKey(event, details.change),
    status: details.status ?? run.status,
    counts: { ...run.counts },
  };
  if (details.message !== undefined) input.message = details.message;
  if (details.reason !== undefined) input.reason = details.reason;
  try {
    yield* callActivity(run.context, 'notifyRun', input, notifyRetry);
  } catch {
    // A notification that could not be recorded must not stop the migration; the report shows what was sent.
  }
}
