/**
 * The migration orchestrator, Microsoft's manual plan change as stages: plan → approve → wait for licenses →
 * group moves → reassign → verify → clean up → report. Deterministic: every side effect is an activity, time comes
 * from the durable context, and only counts and references travel through the history (plans, results and the report
 * live in blob storage).
 */
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { errorMessage } from '../domain/values';
import { emptyBatchCounts, type MigrationInput, type MigrationOutput, type PhaseResult } from '../domain/workflow';
import { approvalStage } from './approval-stage';
import { GroupWait } from './group-wait';
import { groupStage } from './groups-stage';
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
      message: `The migration failed unexpectedly: ${errorMessage(error)}`,
    });
    throw error;
  }
};

function* runStages(run: MigrationRun): Generator<Task, MigrationOutput, unknown> {
  const wait = new LicenseWait(run);

  const planned = yield* planStage(run, wait);
  if ('end' in planned) return yield* run.finish(planned.end);
  const { plan } = planned;

  const notApproved = yield* approvalStage(run, plan);
  if (notApproved) return yield* run.finish(notApproved);

  const noLicenses = yield* licensesStage(run, plan, wait);
  if (noLicenses) return yield* run.finish(noLicenses);

  const grouped = yield* groupStage(run, plan, new GroupWait(run));
  if (grouped.end) return yield* run.finish(grouped.end);

  // A run of group moves only has no per-user batches: nothing to reassign, verify or clean up.
  const groupsOnly = (plan.groups?.length ?? 0) > 0 && plan.waves.length === 0;
  const reassigned: PhaseResult = groupsOnly
    ? { counts: emptyBatchCounts(), wavesRun: 0 }
    : yield* reassignStage(run, plan);
  if (reassigned.counts.moved > 0) {
    yield* verifyStage(run, plan, reassigned);
    yield* cleanupStage(run, plan, reassigned);
  }
  const end = reassignmentEnd(run, plan, reassigned);
  if (grouped.notes.length > 0) end.message = [end.message, ...grouped.notes].filter(Boolean).join(' ');
  return yield* run.finish(end);
}
