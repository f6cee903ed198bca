/**
 * The migration orchestrator, Microsoft's manual plan change as stages: plan → approve → wait for licenses →
 * reassign → verify → clean up → report. Deterministic: every side effect is an activity, time comes from the
 * durable context, and only counts and references travel through the history (plans, results and the report live
 * in blob storage).
 */
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type { MigrationInput, MigrationOutput } from '../domain/workflow';
import { approvalStage } from './approval-stage';
import { licensesStage } from './licenses-stage';
import { notify } from './notify';
import { planStage } from './plan-stage';
import { cleanupStage, reassignmentEnd, reassignStage, verifyStage } from './reassign-stage';
import { MigrationRun } from './run';
import { LicenseWait } from './waiting';

export const migrationOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const run = new MigrationRun(context, context.df.getInput<MigrationInput>());
  try {
    return yield* runStages(run);
  } catch (error) {
    // The run fails (an activity out of retries, a bug): its targets hear of it, then the host records the failure.
    yield* notify(run, 'failed', {
      status: 'failed',
      message: `The migration failed unexpectedly: ${errorText(error)}`,
    });
    throw error;
  }
};

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function* runStages(run: MigrationRun): Generator<Task, MigrationOutput, unknown> {
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
}
