import { currentIso } from '../clock';
import type { GroupUnitPlan } from '../domain/group-plan';
import { batchUsers, summarisePlan } from '../domain/plan';
import type { MigrationRequest, PlannedUser, PlanSummary, ResolvedMove, TenantSku } from '../domain/types';
import { splitIntoWaves, type PlanOutcome, type WaveRef } from '../domain/workflow';
import { GraphRequestError, type LicensingGraph, type WriteAccessCheck } from '../graph';
import { planRequest, type UserWithLocation } from '../planning/plan-request';
import { TelemetryEvents } from '../telemetry';
import { documentsFor, type ActivityDeps } from './deps';
import { groupUnitRefs, groupUnitUsers, groupWriteChecks } from './plan-groups';

/**
 * Stage 1: resolve SKUs and users, decide per user, store the plan (waves of batches, plus users needing no change)
 * and return only its summary to the orchestrator.
 */
export async function planMigration(deps: ActivityDeps, migrationId: string): Promise<PlanOutcome> {
  try {
    return await planOrRefuse(deps, migrationId);
  } catch (error) {
    // A read the identity may not make stops the run with the role to grant; retrying would not help.
    if (error instanceof GraphRequestError && error.info.missingPermission) {
      const { missingPermission, requestId } = error.info;
      const support = requestId ? ` (Graph answered 403, request-id ${requestId})` : '';
      return {
        ok: false,
        reason: `Planning needs the Microsoft Graph application permission ${missingPermission}, and the app's identity does not have it${support}. Nobody was changed. Grant it (docs/deploy.md, "Graph permissions") and start the run again.`,
      };
    }
    throw error;
  }
}

async function planOrRefuse(deps: ActivityDeps, migrationId: string): Promise<PlanOutcome> {
  const docs = documentsFor(deps, migrationId);
  const stored = await docs.request();
  if (!stored) return { ok: false, reason: `Migration ${migrationId} has no stored request.` };
  const { request } = stored;

  const planned = await planRequest(deps.graph, request);
  if (!planned.ok) return planned;
  const { moves, skus, remaining, located, groups } = planned;
  const groupUsers = groupUnitUsers(groups, planned.planned);
  if (!request.dryRun) {
    const missing = await missingWritePermissions(
      deps.graph,
      planned.planned,
      located,
      groupWriteChecks(groups, groupUsers),
    );
    if (missing) return { ok: false, reason: missing };
  }
  const { summary, waves } = await storePlan(deps, migrationId, request, {
    planned: planned.planned,
    moves,
    skus,
    remaining,
    groups,
    groupUsers,
  });
  deps.telemetry.event(TelemetryEvents.MigrationStarted, {
    migrationId,
    origin: stored.origin,
    scheduleName: stored.scheduleName,
    moves: moves.length,
    total: summary.total,
    toChange: summary.toChange,
    skipped: summary.skipped,
    blocked: summary.blocked,
    dryRun: request.dryRun,
    mode: request.mode,
    strategy: request.strategy,
  });
  deps.log.info('Planned migration', { migrationId, total: summary.total, toChange: summary.toChange, remaining });
  const refs = groupUnitRefs(groups);
  return refs.length > 0
    ? { ok: true, summary, waves, remaining, groups: refs }
    : { ok: true, summary, waves, remaining };
}

/** Splits the changes into batches and waves and stores the plan; returns what the orchestrator keeps. */
export async function storePlan(
  deps: ActivityDeps,
  migrationId: string,
  request: MigrationRequest,
  plan: {
    planned: PlannedUser[];
    moves: ResolvedMove[];
    skus: TenantSku[];
    remaining: number;
    groups: GroupUnitPlan[];
    groupUsers: PlannedUser[][];
  },
): Promise<{ summary: PlanSummary; waves: WaveRef[] }> {
  const { planned, moves, skus, remaining, groups, groupUsers } = plan;
  const summaryCore = summarisePlan(planned, moves, skus, request);
  const changeBatches = batchUsers(planned, request.batchSize);
  const byId = new Map(planned.filter((u) => u.decision.kind === 'change').map((u) => [u.userId, u]));
  const waves = splitIntoWaves(changeBatches.map((batch) => batch.length));
  const waveDocs = waves.map((wave) =>
    changeBatches
      .slice(wave.firstBatch, wave.firstBatch + wave.batchCount)
      .map((ids) => ids.map((id) => byId.get(id)).filter((u): u is PlannedUser => u !== undefined)),
  );
  const unchanged = planned.filter((u) => u.decision.kind !== 'change');
  const summary = {
    ...summaryCore,
    planRef: documentsFor(deps, migrationId).pathOf('plan.json'),
    batchCount: changeBatches.length,
  };
  const plannedAt = currentIso(deps.clock);
  const stored = { summary, waves, skus, remaining, plannedAt, ...(groups.length > 0 ? { groups } : {}) };
  await documentsFor(deps, migrationId).savePlan(stored, waveDocs, unchanged, groupUsers);
  return { summary, waves };
}

/**
 * The writes this run will make, checked before anyone is touched: a run that would fail on every user for want of
 * a permission stops here, naming the role to grant. A user the run does not change is checked where possible (the
 * check itself changes nothing either way).
 */
export async function missingWritePermissions(
  graph: LicensingGraph,
  planned: PlannedUser[],
  located: UserWithLocation | undefined,
  groupChecks: WriteAccessCheck[],
): Promise<string | undefined> {
  const changing = planned.filter((user) => user.decision.kind === 'change');
  if (changing.length === 0) return undefined;
  const existing = planned.filter((user) => user.decision.kind !== 'blocked' || user.decision.code !== 'userNotFound');
  const probe = existing.find((user) => user.decision.kind !== 'change') ?? changing[0];
  const checks: WriteAccessCheck[] = probe ? [{ operation: 'assignLicense', userId: probe.userId }] : [];
  const needLocation = changing.filter((user) => user.decision.kind === 'change' && user.decision.setUsageLocation);
  if (needLocation.length > 0 && located) checks.push({ operation: 'setUsageLocation', ...located });
  checks.push(...groupChecks);
  const missing = await graph.checkWriteAccess(checks);
  if (missing.length === 0) return undefined;
  const why = [
    ...new Set(
      missing.map((m) =>
        m.operation === 'setUsageLocation'
          ? `${m.permission}, to set the usage location of the ${needLocation.length} user${needLocation.length === 1 ? '' : 's'} who ha${needLocation.length === 1 ? 's' : 've'} none`
          : m.operation === 'addGroupMember' || m.operation === 'removeGroupMember'
            ? `${m.permission}, to add users to groups and take them out`
            : m.operation === 'assignGroupLicense'
              ? `${m.permission}, to change a group's licenses`
              : `${m.permission}, to assign and remove licenses`,
      ),
    ),
  ];
  const requestIds = missing.flatMap((m) => (m.requestId ? [m.requestId] : []));
  const support = requestIds.length > 0 ? ` (Graph answered 403, request-id ${requestIds.join(', ')})` : '';
  const alternative = missing.some((m) => m.operation === 'setUsageLocation')
    ? ", or set those users' usage locations yourself and start again without usageLocation"
    : '';
  return (
    `This run needs the Microsoft Graph application permission ${why.join(' and ')}, and the app's identity does not have it${support}. ` +
    `Nobody was changed. Grant it (docs/deploy.md, "Graph permissions") and start the run again${alternative}.`
  );
}
