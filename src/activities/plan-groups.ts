/**
 * Planning group moves (docs/group-moves.md): reads the groups and members a move needs and lets the pure rules in
 * src/domain/group-plan.ts decide. Also lists the group writes the run will make, so planning can check the
 * permissions before anyone is touched.
 */
import type { GroupFacts } from '../domain/groups';
import {
  groupUnitRef,
  planGroupProduct,
  planJoinGroup,
  runnableUnits,
  type GroupUnitPlan,
  type GroupUnitRef,
} from '../domain/group-plan';
import type {
  MigrationRequest,
  MoveRequest,
  PlannedUser,
  ResolvedMove,
  TenantSku,
  UserLicenseSnapshot,
} from '../domain/types';
import type { LicensingGraph, WriteAccessCheck } from '../graph';

const key = (id: string): string => id.toLowerCase();

export interface GroupPlanContext {
  graph: LicensingGraph;
  request: MigrationRequest;
  skus: TenantSku[];
  verifiedDomains: string[];
  /** Selects a move's users as a direct move would (by UPN, id, group or everyone holding `from`). */
  select: (moveRequest: MoveRequest, move: ResolvedMove) => Promise<SelectedUsers | { problem: string }>;
  /** Groups read so far in this planning, by lower-cased id (a group used by two moves is read once). */
  groups: Map<string, GroupFacts | undefined>;
}

export interface SelectedUsers {
  found: UserLicenseSnapshot[];
  missing: string[];
}

export type GroupMovePlan = { unit: GroupUnitPlan; users: PlannedUser[]; missing: string[] } | { problem: string };

async function groupFacts(context: GroupPlanContext, groupId: string): Promise<GroupFacts | undefined> {
  if (!context.groups.has(key(groupId))) context.groups.set(key(groupId), await context.graph.getGroup(groupId));
  return context.groups.get(key(groupId));
}

/** Plans one move that goes through a group; `unit` is its index among the plan's group units. */
export async function planGroupMove(
  context: GroupPlanContext,
  moveRequest: MoveRequest,
  move: ResolvedMove,
  unit: number,
): Promise<GroupMovePlan> {
  return moveRequest.group !== undefined
    ? planProductChange(context, moveRequest, move, unit, moveRequest.group)
    : planJoin(context, moveRequest, move, unit, moveRequest.assignVia?.group ?? '');
}

async function planProductChange(
  context: GroupPlanContext,
  moveRequest: MoveRequest,
  move: ResolvedMove,
  unit: number,
  groupId: string,
): Promise<GroupMovePlan> {
  const group = await groupFacts(context, groupId);
  if (!group) return { problem: `moves[${move.move}].group: there is no group ${groupId} in this tenant` };
  const [direct, transitive] = await Promise.all([
    context.graph.listGroupMembers(groupId),
    context.graph.listGroupUserMembers(groupId),
  ]);
  const directIds = new Set(direct.users.map((user) => key(user.id)));
  const nestedOnly = transitive.filter((user) => !directIds.has(key(user.id)));
  const planned = planGroupProduct({
    unit,
    move,
    moveRequest,
    skus: context.skus,
    group,
    members: direct.users,
    nestedOnly,
    nestedGroups: direct.groups.map((nested) => nested.id),
  });
  return { ...planned, missing: [] };
}

async function planJoin(
  context: GroupPlanContext,
  moveRequest: MoveRequest,
  move: ResolvedMove,
  unit: number,
  groupId: string,
): Promise<GroupMovePlan> {
  const target = await groupFacts(context, groupId);
  if (!target) return { problem: `moves[${move.move}].assignVia.group: there is no group ${groupId} in this tenant` };
  const selected = await context.select(moveRequest, move);
  if ('problem' in selected) return selected;
  const members = await context.graph.listGroupMembers(groupId);
  const fromSkuId = key(move.fromSkuId ?? move.toSkuId);
  const sourceIds = new Set<string>();
  for (const user of selected.found) {
    for (const state of user.licenseAssignmentStates) {
      if (state.assignedByGroup && key(state.skuId) === fromSkuId) sourceIds.add(key(state.assignedByGroup));
    }
  }
  const sourceGroups = new Map<string, GroupFacts | undefined>();
  for (const id of sourceIds) sourceGroups.set(id, await groupFacts(context, id));
  const planned = planJoinGroup({
    unit,
    move,
    moveRequest,
    request: context.request,
    skus: context.skus,
    verifiedDomains: context.verifiedDomains,
    target,
    targetMembers: new Set(members.users.map((user) => key(user.id))),
    sourceGroups,
    users: selected.found,
  });
  return { ...planned, missing: selected.missing };
}

/** Each unit's changing users (after the run's user cap), with the unit's user count brought in line. */
export function groupUnitUsers(units: GroupUnitPlan[], planned: PlannedUser[]): PlannedUser[][] {
  const byUnit = units.map((): PlannedUser[] => []);
  for (const user of planned) {
    const step = user.decision.kind === 'change' ? user.decision.groupMove : undefined;
    if (step) byUnit[step.unit]?.push(user);
  }
  units.forEach((unit, index) => (unit.users = byUnit[index]?.length ?? 0));
  return byUnit;
}

export function groupUnitRefs(units: GroupUnitPlan[]): GroupUnitRef[] {
  return runnableUnits(units).map(groupUnitRef);
}

/**
 * The group writes the run will make, as checks that change nothing: a group's license call that adds and removes
 * nothing; adding someone who is a member already (or, for a group without members, removing someone who is not).
 */
export function groupWriteChecks(units: GroupUnitPlan[], groupUsers: PlannedUser[][]): WriteAccessCheck[] {
  const checks = new Map<string, WriteAccessCheck>();
  for (const unit of runnableUnits(units)) {
    if (unit.kind === 'product') {
      checks.set(`license|${unit.groupId}`, { operation: 'assignGroupLicense', groupId: unit.groupId });
      continue;
    }
    for (const user of groupUsers[unit.unit] ?? []) {
      const step = user.decision.kind === 'change' ? user.decision.groupMove : undefined;
      if (step?.kind === 'restore') {
        // A rollback: the user is in none of the groups it rejoins yet, and in each of those it leaves.
        for (const group of step.join) {
          checks.set(`members|${group.groupId}`, {
            operation: 'addGroupMember',
            groupId: group.groupId,
            memberId: user.userId,
            isMember: false,
          });
        }
        for (const group of step.leave) {
          checks.set(`members|${group.groupId}`, {
            operation: 'removeGroupMember',
            groupId: group.groupId,
            memberId: user.userId,
            isMember: true,
          });
        }
        continue;
      }
      if (step?.kind !== 'join') continue;
      if (!checks.has(`members|${unit.groupId}`)) {
        checks.set(`members|${unit.groupId}`, {
          operation: 'addGroupMember',
          groupId: unit.groupId,
          memberId: user.userId,
          isMember: !step.join,
        });
      }
      for (const left of step.leave) {
        checks.set(`members|${left.groupId}`, {
          operation: 'removeGroupMember',
          groupId: left.groupId,
          memberId: user.userId,
          isMember: true,
        });
      }
    }
  }
  return [...checks.values()];
}
