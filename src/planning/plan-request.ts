/**
 * Planning a request against the tenant, shared by the plan stage (src/activities/plan.ts, which stores the plan and
 * starts the run) and the preview (POST /api/migrations/preview, which only answers with it). IO-light: it reads SKUs,
 * verified domains and the selected users through the Graph layer (paced like every read) and decides per user with
 * the pure rules of src/domain/plan.ts. It writes nothing.
 */
import { planGroupMove, type GroupPlanContext } from '../activities/plan-groups';
import type { GroupUnitPlan } from '../domain/group-plan';
import { plannedUserNotFound, planUser } from '../domain/plan';
import { describeTenantSkus, resolveMoves } from '../domain/skus';
import type {
  MigrationRequest,
  MoveRequest,
  PlannedUser,
  ResolvedMove,
  TenantSku,
  UserLicenseSnapshot,
} from '../domain/types';
import { isGuid } from '../domain/values';
import { GraphRequestError, type LicensingGraph } from '../graph';

export const ADMIN_CENTER = 'https://admin.microsoft.com/#/subscriptions';

/** A plan of a request, or why it cannot be planned (in plain words). */
export type RequestPlan =
  | {
      ok: true;
      planned: PlannedUser[];
      moves: ResolvedMove[];
      skus: TenantSku[];
      /** Users who need a change but were left for a later run (maxUsers). */
      remaining: number;
      /** A user who has a usage location (for the permission check that changes nothing). */
      located?: UserWithLocation;
      /** Group moves' units, in move order (docs/group-moves.md). */
      groups: GroupUnitPlan[];
    }
  | {
      ok: false;
      reason: string;
      /** Targets named by id that the tenant does not list yet: the run waits for the purchase instead of failing. */
      missingTargets?: string[];
    };

/**
 * Resolves the request's SKUs and plans against the tenant, selects each move's users and decides what happens to
 * each. `skus` may be passed when the caller already read them.
 */
export async function planRequest(
  graph: LicensingGraph,
  request: MigrationRequest,
  options: { skus?: TenantSku[] } = {},
): Promise<RequestPlan> {
  const skus = options.skus ?? (await graph.listSubscribedSkus());
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
  const verifiedDomains = await graph.listVerifiedDomains();
  const decided = await decideUsers(graph, request, resolved.moves, { skus, verifiedDomains });
  if ('problem' in decided) return { ok: false, reason: decided.problem };
  const remaining = applyUserCap(decided.users, request);
  const plan: RequestPlan = {
    ok: true,
    planned: decided.users,
    moves: resolved.moves,
    skus,
    remaining,
    groups: decided.groups,
  };
  if (decided.located) plan.located = decided.located;
  return plan;
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
export interface UserWithLocation {
  userId: string;
  usageLocation: string;
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
