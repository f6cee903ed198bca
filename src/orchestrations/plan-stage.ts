/** Stage 1: plan, waiting first if a target named by id has not been bought for this tenant yet. */
import type { Task } from 'durable-functions';
import { RunMessages } from '../domain/messages';
import type { PlanOutcome } from '../domain/workflow';
import { callActivity } from './calls';
import type { MigrationRun, RunEnd } from './run';
import type { LicenseWait } from './waiting';

export type Plan = Extract<PlanOutcome, { ok: true }>;

export type PlanStageResult = { plan: Plan } | { end: RunEnd };

export function* planStage(run: MigrationRun, wait: LicenseWait): Generator<Task, PlanStageResult, unknown> {
  yield* run.enterStage('planning', 'plan');
  let outcome: PlanOutcome;
  for (;;) {
    const planner = run.input.link?.kind === 'rollback' ? 'planRollback' : 'planMigration';
    outcome = yield* callActivity(run.context, planner, run.migrationId);
    if (outcome.ok || !outcome.missingTargets) break;
    const waited = yield* wait.beforeRetry([outcome.reason]);
    if (waited === 'cancelled')
      return { end: { status: 'cancelled', message: RunMessages.cancelledWhileWaiting, remaining: 0 } };
    if (waited === 'timedOut') {
      return {
        end: {
          status: 'needsAttention',
          message: RunMessages.gaveUpWaiting(wait.waitedMs(), outcome.reason),
          remaining: 0,
        },
      };
    }
    run.publish({ status: 'planning', waitingFor: undefined });
  }
  if (!outcome.ok) return { end: { status: 'failed', message: outcome.reason, remaining: 0 } };
  if (outcome.notes) run.addNotes(outcome.notes);

  const { summary } = outcome;
  Object.assign(run.counts, {
    total: summary.total,
    toChange: summary.toChange,
    skipped: summary.skipped,
    blocked: summary.blocked,
    done: summary.skipped + summary.blocked,
  });
  run.publish({ waves: outcome.waves.length });

  if (run.options.dryRun) return { end: { status: 'completed', message: RunMessages.dryRun, remaining: 0 } };
  if (summary.needsDataLossAcknowledgement) {
    return {
      end: { status: 'needsAttention', message: RunMessages.dataLoss(summary.downgrades), remaining: summary.toChange },
    };
  }
  if (summary.toChange === 0) {
    return { end: { status: 'completed', message: RunMessages.nothingToChange, remaining: outcome.remaining } };
  }
  return { plan: outcome };
}
