/**
 * The migration orchestrator, Microsoft's manual plan change as stages: plan → approve → wait for licenses →
 * reassign → verify → clean up → report. Deterministic: every side effect is an activity, time comes from the
 * durable context, and only counts and references travel through the history (plans, results and the report live
 * in blob storage).
 */
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { MigrationInput } from '../domain/workflow';
import { approvalStage } from './approval-stage';
import { licensesStage } from './licenses-stage';
import { planStage } from './plan-stage';
import { cleanupStage, reassignmentEnd, reassignStage, verifyStage } from './reassign-stage';
import { MigrationRun } from './run';
import { LicenseWait } from './waiting';

export const migrationOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const run = new MigrationRun(context, context.df.getInput<MigrationInput>());
  const wait = new LicenseWait(run);

  const planned = yield* planStage(run, wait);
  if ('end' in planned) return yield* run.finish(planned.end);
  const { plan } = planned;

  const notApproved = yield* approvalStage(run, plan);
  if (notApproved) return yield* run.finish(notApproved);

  const noLicenses = yield* licensesStage(run, plan, wait);
  if (noLicenses) return yield* run.finish(noLicenses);

  const reassigned = yield* reassignStage(run, plan);
  if (run.counts.moved > 0) {
    yield* verifyStage(run, plan, reassigned);
    yield* cleanupStage(run, plan, reassigned);
  }
  return yield* run.finish(reassignmentEnd(run, plan, reassigned));
};
