/**
 * Every activity, built once from the app's dependencies. The map's type comes from the contracts in
 * `src/domain/workflow.ts`, so each name is bound to a handler with exactly its input and output.
 */
import type { ActivityInput, ActivityName, ActivityOutput } from '../domain/workflow';
import type { AppDeps } from '../deps';
import { tenantOfRunKey } from '../domain/tenancy';
import { tenantTelemetry, type StructuredLogger } from '../telemetry';
import type { ActivityDeps } from './deps';
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

/**
 * The dependencies of one activity of run `migrationId`: the Graph layer of the run's tenant (its own credential,
 * pacer and limits) and telemetry that names the tenant. The tenant comes from the run key, never from the input's
 * other fields, so an activity cannot act in a tenant other than its run's.
 */
async function forRun(deps: AppDeps, migrationId: string, log: StructuredLogger): Promise<ActivityDeps> {
  const tenantId = tenantOfRunKey(migrationId);
  // The home tenant's record too: an operator may have set limits for it.
  const record = await deps.tenants.cached(tenantId);
  if (tenantId !== undefined && !record) throw new Error(`Tenant ${tenantId} of run ${migrationId} is not registered.`);
  const graph = deps.graphFor(tenantId, record?.limits);
  return {
    ...deps,
    // Runs also take turns at their tenant's gates, so a small run's plan or check never queues behind a large run.
    graph: graph.forRun?.(migrationId) ?? graph,
    telemetry: tenantTelemetry(deps.telemetry, tenantId ?? deps.tenants.homeTenantId),
    log,
  };
}

export function createActivities(deps: AppDeps): ActivityHandlers {
  const run = (id: string, log: StructuredLogger) => forRun(deps, id, log);
  return {
    planMigration: async (input, log) => planMigration(await run(input, log), input),
    checkLicenses: async (input, log) => checkLicenses(await run(input.migrationId, log), input),
    reassignBatch: async (input, log) => reassignBatch(await run(input.migrationId, log), input),
    verifyBatch: async (input, log) => verifyBatch(await run(input.migrationId, log), input),
    cleanupBatch: async (input, log) => cleanupBatch(await run(input.migrationId, log), input),
    recordStage: async (input, log) => recordStage(await run(input.migrationId, log), input),
    finalizeMigration: async (input, log) => finalizeMigration(await run(input.migrationId, log), input),
    groupStep: async (input, log) => groupStep(await run(input.migrationId, log), input),
    checkGroupStep: async (input, log) => checkGroupStep(await run(input.migrationId, log), input),
    planRollback: async (input, log) => planRollback(await run(input, log), input),
    notifyRun: async (input, log) => notifyRun(await run(input.migrationId, log), input),
  };
}
