/**
 * Every activity, built once from the app's dependencies. The map's type comes from the contracts in
 * `src/domain/workflow.ts`, so each name is bound to a handler with exactly its input and output.
 */
import type { ActivityInput, ActivityName, ActivityOutput } from '../domain/workflow';
import type { AppDeps } from '../deps';
import type { StructuredLogger } from '../telemetry';
import { cleanupBatch, reassignBatch, verifyBatch } from './batches';
import { finalizeMigration, recordStage } from './finalize';
import { checkGroupStep } from './group-check';
import { groupStep } from './groups';
import { checkLicenses } from './licenses';
import { notifyRun } from './notify';
import { planMigration } from './plan';
import { planRollback } from './rollback';

export type ActivityHandler<N extends ActivityName> = (
  input: ActivityInput<N>,
  log: StructuredLogger,
) => Promise<ActivityOutput<N>>;

export type ActivityHandlers = { [N in ActivityName]: ActivityHandler<N> };

export function createActivities(deps: AppDeps): ActivityHandlers {
  // Every Graph request of an activity is its run's: runs take turns at the tenant's gates, so a small run's plan or
  // check never queues behind a large run's reads.
  const run = (migrationId: string, log: StructuredLogger) => ({
    ...deps,
    log,
    graph: deps.graph.forRun?.(migrationId) ?? deps.graph,
  });
  return {
    planMigration: (input, log) => planMigration(run(input, log), input),
    checkLicenses: (input, log) => checkLicenses(run(input.migrationId, log), input),
    reassignBatch: (input, log) => reassignBatch({ ...deps, log }, input),
    verifyBatch: (input, log) => verifyBatch(run(input.migrationId, log), input),
    cleanupBatch: (input, log) => cleanupBatch({ ...deps, log }, input),
    recordStage: (input, log) => recordStage({ ...deps, log }, input),
    finalizeMigration: (input, log) => finalizeMigration(run(input.migrationId, log), input),
    groupStep: (input, log) => groupStep(run(input.migrationId, log), input),
    checkGroupStep: (input, log) => checkGroupStep(run(input.migrationId, log), input),
    planRollback: (input, log) => planRollback(run(input, log), input),
    notifyRun: (input, log) => notifyRun({ ...deps, log }, input),
  };
}
