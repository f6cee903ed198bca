/** Stages 2–3: the purchase check, then wait and retry until the licenses are there. No user changes before. */
import type { Task } from 'durable-functions';
import { RunMessages } from '../domain/messages';
import { callActivity } from './calls';
import type { Plan } from './plan-stage';
import type { MigrationRun, RunEnd } from './run';
import type { LicenseWait } from './waiting';

/** Returns how the run ends when the licenses never come; undefined once they are there. */
export function* licensesStage(
  run: MigrationRun,
  plan: Plan,
  wait: LicenseWait,
): Generator<Task, RunEnd | undefined, unknown> {
  const { summary } = plan;
  yield* run.enterStage('waitingForLicenses', 'purchaseCheck');
  const sourceSkuIds = summary.moves.flatMap((move) => (move.fromSkuId ? [move.fromSkuId] : []));
  let previousReason: string | undefined;
  for (;;) {
    const check = yield* callActivity(run.context, 'checkLicenses', {
      migrationId: run.migrationId,
      seatsNeeded: summary.seatsNeeded,
      sourceSkuIds,
      previousReason,
    });
    if (check.ready) {
      if (check.notes.length > 0) run.publish({ message: check.notes.join('; ') });
      return undefined;
    }
    previousReason = check.reasons.join('; ');
    const waited = yield* wait.beforeRetry(check.reasons);
    if (waited === 'cancelled') {
      return { status: 'cancelled', message: RunMessages.cancelledWhileWaiting, remaining: summary.toChange };
    }
    if (waited === 'timedOut') {
      const message = RunMessages.gaveUpWaiting(wait.waitedMs(), previousReason);
      return { status: 'needsAttention', message, remaining: summary.toChange };
    }
  }
}
