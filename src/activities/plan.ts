import { currentIso } from '../clock';
import { batchUsers, plannedUserNotFound, planUser, summarisePlan } from '../domain/plan';
import { describeTenantSkus, resolveMoves } from '../domain/skus';
import type {
  MigrationRequest,
  MoveRequest,
  PlannedUser,
  PlanSummary,
  ResolvedMove,
  TenantSku,
  UserLicenseSnapshot,
} from '../domain/types';
import { isGuid } from '../domain/values';
import { splitIntoWaves, type PlanOutcome, type WaveRef } from '../domain/workflow';
import { GraphRequestError, type LicensingGraph, type WriteAccessCheck } from '../graph';
import { TelemetryEvents } from '../telemetry';
import { documentsFor, type ActivityDeps } from './deps';
import type { GroupUnitPlan } from '../domain/group-plan';
import { groupUnitRefs, groupUnitUsers, groupWriteChecks, planGroupMove, type GroupPlanContext } from './plan-groups';

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

  const skus = await deps.graph.listSubscribedSkus();
  const missingTargets = targetsNotBoughtYet(request, skus);
  if (missingTargets.length > 0) {
    const list = missingTargets.join(', ');
    return {
      ok: false,
      missingTargets,
      reason: `the target subscription ${list} is not in this tenant: buy it for this organisation (the same tenant as the users) in the Microsoft 365 admin center (${ADMIN_CENTER})`,
    };
  }
  const resolved = resolveMoves(request, skus);
  if (!resolved.ok) {
    const problems = resolved.problems.map((p) => `${p.field} ${p.message}`).join('; ');
    return {
      ok: false,
      reason: `The request names SKUs or plans this tenant does not have: ${problems}. This tenant has: ${describeTenantSkus(skus)}.`,
    };
  }
  const verifiedDomains = await deps.graph.listVerifiedDomains();
  const decided = await decideUsers(deps.graph, request, resolved.moves, { skus, verifiedDomains });
  if ('problem' in decided) return { ok: false, reason: decided.problem };
  const { users: planned, located, groups } = decided;

  const remaining = applyUserCap(planned, request);
  const groupUsers = groupUnitUsers(groups, planned);
  if (!request.dryRun) {
    const missing = await missingWritePermissions(deps.graph, planned, located, groupWriteChecks(groups, groupUsers));
    if (missing) return { ok: false, reason: missing };
  }
  const { summary, waves } = await storePlan(deps, migrationId, request, {
    planned,
    moves: resolved.moves,
    skus,
    remaining,
    groups,
    groupUsers,
  });
  deps.telemetry.event(TelemetryEvents.MigrationStarted, {
    migrationId,
    origin: stored.origin,
    scheduleName: stored.scheduleName,
    moves: resolved.moves.length,
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

interface TenantFacts {
  skus: TenantSku[];
  verifiedDomains: string[];
}

interface DecidedUsers {
  users: PlannedUser[];
  located?: UserWithLocation;
  /** Group moves' units, in move order (docs/group-moves.md). */
  groups: GroupUnitPlan[];
}

/** Selects each move's users and decides what happens to each; a user reached by two moves is moved once. */
async function decideUsers(
  graph: LicensingGraph,
  request: MigrationRequest,
  moves: ResolvedMove[],
  tenant: TenantFacts,
): Promise<DecidedUsers | { problem: string }> {
  const planned: PlannedUser[] = [];
  const seen = new Map<string, number>();
  const groups: GroupUnitPlan[] = [];
  const context: GroupPlanContext = {
    graph,
    request,
    ...tenant,
    select: async (moveRequest, move) => {
      const selected = await selectUsers(graph, moveRequest, move);
      return 'problem' in selected ? { problem: `moves[${move.move}].users: ${selected.problem}` } : selected;
    },
    groups: new Map(),
  };
  let located: UserWithLocation | undefined;
  for (const move of moves) {
    const moveRequest = request.moves[move.move];
    if (!moveRequest) continue;
    if (move.group) {
      const viaGroup = await planGroupMove(context, moveRequest, move, groups.length);
      if ('problem' in viaGroup) return { problem: viaGroup.problem };
      groups.push(viaGroup.unit);
      for (const reference of viaGroup.missing) planned.push(plannedUserNotFound(reference, move.move));
      for (const user of viaGroup.users) planned.push(onceOnly(user, seen, move.move));
      continue;
    }
    const selected = await selectUsers(graph, moveRequest, move);
    if ('problem' in selected) return { problem: `moves[${move.move}].users: ${selected.problem}` };
    for (const reference of selected.missing) planned.push(plannedUserNotFound(reference, move.move));
    for (const user of selected.found) {
      if (!located && user.usageLocation) located = { userId: user.id, usageLocation: user.usageLocation };
      const earlier = seen.get(user.id.toLowerCase());
      if (earlier !== undefined) {
        planned.push({
          userId: user.id,
          userPrincipalName: user.userPrincipalName,
          move: move.move,
          decision: { kind: 'skip', reason: `also selected by move ${earlier + 1}, which handles this user` },
          before: user.assignedLicenses,
        });
        continue;
      }
      seen.set(user.id.toLowerCase(), move.move);
      planned.push(planUser({ user, move, moveRequest, request, ...tenant }));
    }
  }
  return located ? { users: planned, located, groups } : { users: planned, groups };
}

/**
 * A user already handled by an earlier move is skipped here, like for direct moves. (A group's product change reaches
 * its members whatever other moves say; such a member chosen by an earlier move is noted, not skipped.)
 */
function onceOnly(user: PlannedUser, seen: Map<string, number>, move: number): PlannedUser {
  const earlier = seen.get(user.userId.toLowerCase());
  const step = user.decision.kind === 'change' ? user.decision.groupMove : undefined;
  if (earlier === undefined || user.decision.kind !== 'change') {
    if (user.decision.kind === 'change') seen.set(user.userId.toLowerCase(), move);
    return user;
  }
  if (step?.kind === 'product') {
    user.decision.reason = `${user.decision.reason ?? ''}; also selected by move ${earlier + 1}, which changes this user too`;
    return user;
  }
  return {
    ...user,
    decision: { kind: 'skip', reason: `also selected by move ${earlier + 1}, which handles this user` },
  };
}

/** A user who has a usage location: setting it to the same value is a write that changes nothing. */
interface UserWithLocation {
  userId: string;
  usageLocation: string;
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

const ADMIN_CENTER = 'https://admin.microsoft.com/#/subscriptions';

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

/**
 * Targets given as SKU ids that the tenant does not list: probably bought but not yet provisioned (Microsoft's
 * guide: "if the new subscription isn't there, try again later"), so the run waits. A part number the tenant does not
 * have is more likely a typo and fails at once with the list of SKUs the tenant has.
 */
function targetsNotBoughtYet(request: MigrationRequest, skus: { skuId: string }[]): string[] {
  const listed = new Set(skus.map((sku) => sku.skuId.toLowerCase()));
  const missing = request.moves.map((move) => move.to).filter((to) => isGuid(to) && !listed.has(to.toLowerCase()));
  return [...new Set(missing.map((to) => to.toLowerCase()))];
}

async function selectUsers(
  graph: LicensingGraph,
  moveRequest: MoveRequest,
  move: ResolvedMove,
): Promise<{ found: UserLicenseSnapshot[]; missing: string[] } | { problem: string }> {
  const users = moveRequest.users;
  if ('all' in users) {
    // The request schema requires `from` with "all"; a resolved move therefore has its source SKU id.
    if (!move.fromSkuId) return { found: [], missing: [] };
    return { found: await graph.listUsersHoldingSku(move.fromSkuId), missing: [] };
  }
  if ('upns' in users) return graph.getUsersByUpns(users.upns);
  if ('ids' in users) return graph.getUsersByIds(users.ids);
  try {
    return { found: await graph.listGroupUserMembers(users.groupId), missing: [] };
  } catch (error) {
    if (error instanceof GraphRequestError && error.info.status === 404) {
      return {
        problem: `there is no group ${users.groupId} in this tenant (${error.info.code}, request-id ${error.info.requestId ?? 'unknown'})`,
      };
    }
    throw error;
  }
}

/**
 * A scheduled wave moves at most `maxUsers` users; the rest stay as they are for the next wave and are reported as
 * left for later. Returns how many were left.
 */
function applyUserCap(planned: PlannedUser[], request: MigrationRequest): number {
  if (request.maxUsers === undefined) return 0;
  let kept = 0;
  let left = 0;
  for (const user of planned) {
    // A group's product change reaches all its members: they cannot be left for later one by one.
    if (user.decision.kind !== 'change' || user.decision.groupMove?.kind === 'product') continue;
    if (kept < request.maxUsers) {
      kept += 1;
      continue;
    }
    left += 1;
    user.decision = { kind: 'skip', reason: `left for a later run: this run moves at most ${request.maxUsers} users` };
  }
  return left;
}
