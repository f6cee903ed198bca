/**
 * Rolling back group moves (issue #14, docs/group-moves.md "Rollback"). Pure: the rollback planner reads the original
 * run's group records and the groups and users as they are now, and passes them in.
 *
 * The rollback's plan is itself a group move, reversed, which the same group stage runs in the same safe order:
 *
 * - A group whose product changed from → to (`groupProduct`): a product change of that group from `to` back to
 *   `from`, with `from`'s disabled plans as the group had them. `from` is added first with the plans that clash with
 *   `to` switched off; once every member holds it, `to` goes and those plans come on in the same group call.
 * - Users moved into a group, or converted to group-based (`groupMembership`): a `restore` unit. Each user first gets
 *   back what the original took away (rejoins the groups it left, gets the direct assignment back with its plans), and
 *   leaves the group the original added it to only once it holds the source again.
 *
 * A group or user someone else changed since the original run (its licenses or memberships differ from what the
 * original left) is left alone and reported "changed since", unless `force`. Runs from before these records existed
 * say plainly that their group part cannot be restored automatically.
 *
 * Memberships are read from the users' license assignments: every group here is a licensing group, and a direct read
 * of the user shows them without the lag of member lists.
 */
import { sameLicenses } from './apply';
import { planGroupProduct, type GroupUnitPlan } from './group-plan';
import { groupLabel, membershipRefusal, refusalReason } from './groups';
import { conflictsWith } from './plan-conflicts';
import type { GroupNow, Restoration, RollbackContext } from './rollback';
import { skuNameById } from './skus';
import type {
  AssignedLicense,
  BlockReasonCode,
  GroupMoveStep,
  GroupRef,
  LicenseAssignmentState,
  PlannedUser,
  ResolvedMove,
  TenantSku,
  UserDecision,
  UserLicenseSnapshot,
} from './types';

/** What a run's writes changed for one user of a group move, recorded as each write lands. */
export interface GroupUserChanges {
  /** Groups the run added the user to. */
  joined: GroupRef[];
  /** Groups the run took the user out of. */
  left: GroupRef[];
  /** Direct assignments the run removed, with their disabled plans as they were. */
  removedDirect: AssignedLicense[];
  /** Direct assignments the run made (a rollback giving one back). */
  addedDirect: AssignedLicense[];
}

export function noChanges(): GroupUserChanges {
  return { joined: [], left: [], removedDirect: [], addedDirect: [] };
}

export function hasChanges(changes: GroupUserChanges | undefined): changes is GroupUserChanges {
  return (
    changes !== undefined &&
    changes.joined.length + changes.left.length + changes.removedDirect.length + changes.addedDirect.length > 0
  );
}

/** What the original recorded about a group whose product it changed. */
export interface GroupProductRecord {
  kind: 'groupProduct';
  move: number;
  groupId: string;
  groupName: string;
  /** The original's source and target. */
  fromSkuId: string;
  toSkuId: string;
  /** The group's licenses before the original's first write and after its last; absent for runs before #14. */
  licenses?: { before: AssignedLicense[]; after: AssignedLicense[] };
  /** The direct members the original's change reached. */
  members: { userId: string; userPrincipalName: string }[];
}

/** What the original recorded about users it moved into a group (or converted to group-based, or restored). */
export interface GroupMembershipRecord {
  kind: 'groupMembership';
  move: number;
  /** The unit's group: the one users were moved into (or, for a restore, taken out of). */
  groupId: string;
  groupName: string;
  fromSkuId: string;
  toSkuId: string;
  /** False for runs before #14, which did not record what each write changed. */
  recorded: boolean;
  users: { userId: string; userPrincipalName: string; changes: GroupUserChanges; after?: AssignedLicense[] }[];
}

const key = (id: string): string => id.toLowerCase();
const same = (a: string, b: string): boolean => key(a) === key(b);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const FORCE_HINT = 'left alone (roll back with force: true to restore it anyway)';
const NOT_RECORDED =
  'the original run did not record what its group steps changed (it ran before license-shift recorded them)';

const sentence = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
const copy = (license: AssignedLicense): AssignedLicense => ({
  skuId: license.skuId,
  disabledPlans: [...license.disabledPlans],
});
const blocked = (code: BlockReasonCode, reason: string): UserDecision => ({ kind: 'blocked', code, reason });
const skip = (reason: string): UserDecision => ({ kind: 'skip', reason });

function licenseNames(licenses: readonly AssignedLicense[], skus: TenantSku[]): string {
  if (licenses.length === 0) return 'no license';
  return licenses
    .map((license) => {
      const name = skuNameById(license.skuId, skus);
      return license.disabledPlans.length > 0 ? `${name} (${plural(license.disabledPlans.length, 'plan')} off)` : name;
    })
    .join(', ');
}

function plannedRow(
  user: { userId: string; userPrincipalName: string },
  move: number,
  current: UserLicenseSnapshot | undefined,
  decision: UserDecision,
): PlannedUser {
  return {
    userId: user.userId,
    userPrincipalName: current?.userPrincipalName ?? user.userPrincipalName,
    move,
    decision,
    before: (current?.assignedLicenses ?? []).map(copy),
  };
}

const labelOf = (group: { groupId: string; groupName: string }): string =>
  groupLabel({ id: group.groupId, displayName: group.groupName });

// ------------------------------------------------------------------------------------------ a group's product

/** Plans the restore of a group's product: the group itself back to what it assigned before the original run. */
export function restoreGroupProduct(record: GroupProductRecord, context: RollbackContext): Restoration {
  const name = (skuId: string): string => skuNameById(skuId, context.skus);
  const label = labelOf(record);
  const rows = (decision: UserDecision): PlannedUser[] =>
    record.members.map((member) => plannedRow(member, record.move, context.users.get(key(member.userId)), decision));
  const unitOf = (over: Partial<GroupUnitPlan> & { action: string }): GroupUnitPlan => ({
    unit: context.unit,
    kind: 'product',
    move: record.move,
    groupId: record.groupId,
    groupName: record.groupName,
    fromSkuId: record.toSkuId,
    toSkuId: record.fromSkuId,
    users: 0,
    ...over,
  });
  const leftAlone = (reason: string, decision: UserDecision): Restoration => ({
    unit: unitOf({ refused: reason, action: reason }),
    users: rows(decision),
  });
  if (!record.licenses) {
    const reason = `${NOT_RECORDED}, so the change of ${label} from ${name(record.fromSkuId)} to ${name(record.toSkuId)} cannot be restored automatically. Restore it by hand: make the group assign ${name(record.fromSkuId)} again next to ${name(record.toSkuId)} (with clashing plans off), and once every member holds it, remove ${name(record.toSkuId)}`;
    return { ...leftAlone(reason, blocked('notRecorded', reason)), note: sentence(reason) };
  }
  const { before, after } = record.licenses;
  // The original never changed the group (its first write failed): nothing to restore, nobody to list.
  if (sameLicenses(before, after)) return { users: [] };
  const group = context.groups.get(key(record.groupId));
  if (!group) {
    const reason = `${label} no longer exists, so its product cannot be restored`;
    return leftAlone(reason, blocked('groupRefused', reason));
  }
  if (sameLicenses(group.facts.assignedLicenses, before)) {
    const reason = `already back: ${label} assigns what it assigned before the original run (${licenseNames(before, context.skus)}); nothing to restore`;
    return { unit: unitOf({ done: true, action: reason }), users: rows(skip(reason)) };
  }
  const changed = context.force ? undefined : productChangedSince(record, group, label, context.skus);
  if (changed) return leftAlone(changed, skip(changed));
  return reversedProduct(record, context, group);
}

function productChangedSince(
  record: GroupProductRecord,
  group: GroupNow,
  label: string,
  skus: TenantSku[],
): string | undefined {
  const after = record.licenses?.after ?? [];
  const now = group.facts.assignedLicenses;
  if (!sameLicenses(now, after)) {
    return `changed since the original run: ${label} assigned ${licenseNames(after, skus)} after it and assigns ${licenseNames(now, skus)} now; ${FORCE_HINT}`;
  }
  const known = new Set(record.members.map((member) => key(member.userId)));
  const joined = [...(group.members ?? [])].filter((id) => !known.has(id)).length;
  if (joined === 0) return undefined;
  return `changed since the original run: ${plural(joined, 'member')} joined ${label} after it, and restoring the group's product would change them too; ${FORCE_HINT}`;
}

/** The original's product change of the group, reversed, planned by the group stage's own rules. */
function reversedProduct(record: GroupProductRecord, context: RollbackContext, group: GroupNow): Restoration {
  const { skus } = context;
  const name = (skuId: string): string => skuNameById(skuId, skus);
  const part = (skuId: string): string => skus.find((sku) => same(sku.skuId, skuId))?.skuPartNumber ?? skuId;
  const label = labelOf(record);
  const before = record.licenses?.before ?? [];
  const source = before.find((license) => same(license.skuId, record.fromSkuId)) ?? {
    skuId: record.fromSkuId,
    disabledPlans: [],
  };
  const move: ResolvedMove = {
    move: record.move,
    fromSkuId: record.toSkuId,
    fromSkuPartNumber: part(record.toSkuId),
    toSkuId: record.fromSkuId,
    toSkuPartNumber: part(record.fromSkuId),
    disabledPlanIds: [...source.disabledPlans],
    group: { kind: 'product', groupId: record.groupId },
  };
  const memberIds = group.members ?? new Set<string>();
  const planned = planGroupProduct({
    unit: context.unit,
    move,
    moveRequest: {
      from: record.toSkuId,
      to: record.fromSkuId,
      users: { groupId: record.groupId },
      disabledPlans: [],
      keepDisabledPlans: false,
      group: record.groupId,
    },
    skus,
    group: group.facts,
    members: [...memberIds].flatMap((id) => context.users.get(id) ?? []),
    nestedOnly: [],
    nestedGroups: [],
  });
  const { unit } = planned;
  const held = group.facts.assignedLicenses.find((license) => same(license.skuId, record.fromSkuId));
  if (held && !unit.refused && !unit.done) {
    // The original stopped before removing the source, so the group still assigns it. It is not sent again: switching
    // its clashing plans off now would take a service away from the members.
    unit.addFirst = copy(held);
    if (sameLicenses([held], [source])) delete unit.addFinal;
    else unit.addFinal = copy(source);
    unit.action = `${label}: remove ${name(record.toSkuId)}; its members keep ${name(record.fromSkuId)}, which the group still assigns`;
  }
  unit.action = `${unit.action} (back to what the group assigned before the original run)`;
  if (!context.force) unit.onlyIfAssigns = group.facts.assignedLicenses.map(copy);
  const known = new Set(record.members.map((member) => key(member.userId)));
  const users = planned.users.map((user) => {
    if (user.decision.kind !== 'change') return user;
    const notes = ['back to what the group assigned before the original run'];
    if (!known.has(key(user.userId))) notes.push('joined the group after the original run (restored with force: true)');
    user.decision.reason = [user.decision.reason ?? '', ...notes].filter(Boolean).join('; ');
    return user;
  });
  for (const member of record.members) {
    if (memberIds.has(key(member.userId))) continue;
    const reason = `changed since the original run: no longer a direct member of ${label}, so restoring the group's product does not reach this user; left alone`;
    users.push(plannedRow(member, record.move, context.users.get(key(member.userId)), skip(reason)));
  }
  return { unit, users };
}

// ------------------------------------------------------------------------------------------ users moved into a group

/** Plans the restore of users moved into a group: each gets its source back, then leaves the group. */
export function restoreGroupMembership(record: GroupMembershipRecord, context: RollbackContext): Restoration {
  const name = (skuId: string): string => skuNameById(skuId, context.skus);
  const label = labelOf(record);
  const from = name(record.fromSkuId);
  const conversion = same(record.fromSkuId, record.toSkuId);
  const unit: GroupUnitPlan = {
    unit: context.unit,
    kind: 'restore',
    move: record.move,
    groupId: record.groupId,
    groupName: record.groupName,
    fromSkuId: record.toSkuId,
    toSkuId: record.fromSkuId,
    users: 0,
    action: conversion
      ? `${label}: users get their direct ${from} back, and only then leave the group`
      : `${label}: users get ${from} back (rejoining the groups they left, or directly), and only then leave the group`,
  };
  if (!record.recorded) {
    const reason = `${NOT_RECORDED}, so moving users into ${label} cannot be undone automatically. Restore them by hand: put each user back into the groups it left (or give back its direct ${from}), and once it holds ${from} again, take it out of ${label}`;
    const users = record.users.map((user) =>
      plannedRow(user, record.move, context.users.get(key(user.userId)), blocked('notRecorded', reason)),
    );
    return { unit: { ...unit, refused: reason, action: reason }, users, note: sentence(reason) };
  }
  const users = record.users.map((user) =>
    plannedRow(user, record.move, context.users.get(key(user.userId)), memberDecision(record, user, context)),
  );
  unit.users = users.filter((user) => user.decision.kind === 'change').length;
  return { unit, users };
}

type RecordedUser = GroupMembershipRecord['users'][number];

/** What is left to undo for one user, given where it is now. */
interface Undo {
  join: GroupRef[];
  addDirect: AssignedLicense[];
  leave: GroupRef[];
  removeDirect: string[];
}

function fromGroupState(user: UserLicenseSnapshot, groupId: string): boolean {
  return user.licenseAssignmentStates.some(
    (state) => state.assignedByGroup != null && same(state.assignedByGroup, groupId),
  );
}

/** The user's direct assignment of a SKU (a state without a group, or a license without any state). */
function directAssignment(user: UserLicenseSnapshot, skuId: string): AssignedLicense | undefined {
  const state = user.licenseAssignmentStates.find((s) => s.assignedByGroup == null && same(s.skuId, skuId));
  if (state) return { skuId: state.skuId, disabledPlans: state.disabledPlans };
  const stated = user.licenseAssignmentStates.some((s) => same(s.skuId, skuId));
  return stated ? undefined : user.assignedLicenses.find((license) => same(license.skuId, skuId));
}

function undoFor(changes: RecordedUser['changes'], user: UserLicenseSnapshot): Undo {
  return {
    join: changes.left.filter((group) => !fromGroupState(user, group.groupId)),
    addDirect: changes.removedDirect.filter((license) => {
      const held = directAssignment(user, license.skuId);
      return !held || !sameLicenses([held], [license]);
    }),
    leave: changes.joined.filter((group) => fromGroupState(user, group.groupId)),
    removeDirect: changes.addedDirect.filter((l) => directAssignment(user, l.skuId)).map((l) => l.skuId),
  };
}

function memberDecision(record: GroupMembershipRecord, user: RecordedUser, context: RollbackContext): UserDecision {
  const current = context.users.get(key(user.userId));
  if (!current)
    return blocked('userNotFound', 'the user no longer exists in this tenant, so there is nothing to restore');
  const undo = undoFor(user.changes, current);
  if (undo.join.length + undo.addDirect.length + undo.leave.length + undo.removeDirect.length === 0) {
    return skip(
      'already back: in the groups and with the direct licenses it had before the original run; nothing to restore',
    );
  }
  if (!context.force) {
    const changed = membershipChangedSince(user, current, context.skus);
    if (changed) return skip(changed);
  }
  return refusedRestore(record, undo, current, context) ?? restoreChange(record, undo, current, context);
}

/** How the user differs from what the original left (memberships, direct licenses, licenses), or undefined. */
function membershipChangedSince(
  user: RecordedUser,
  current: UserLicenseSnapshot,
  skus: TenantSku[],
): string | undefined {
  const name = (skuId: string): string => skuNameById(skuId, skus);
  const { changes } = user;
  const differences = [
    ...changes.joined.filter((g) => !fromGroupState(current, g.groupId)).map((g) => `no longer in ${labelOf(g)}`),
    ...changes.left.filter((g) => fromGroupState(current, g.groupId)).map((g) => `back in ${labelOf(g)}`),
    ...changes.removedDirect
      .filter((l) => directAssignment(current, l.skuId))
      .map((l) => `holds ${name(l.skuId)} directly again`),
    ...changes.addedDirect
      .filter((l) => !directAssignment(current, l.skuId))
      .map((l) => `no longer holds ${name(l.skuId)} directly`),
  ];
  if (differences.length === 0 && user.after && !sameLicenses(current.assignedLicenses, user.after)) {
    differences.push(
      `it held ${licenseNames(user.after, skus)} after the original run and holds ${licenseNames(current.assignedLicenses, skus)} now`,
    );
  }
  return differences.length > 0
    ? `changed since the original run: ${differences.join(', ')}; ${FORCE_HINT}`
    : undefined;
}

/** A group that can no longer be written, or a restore that would not give the source back first. */
function refusedRestore(
  record: GroupMembershipRecord,
  undo: Undo,
  current: UserLicenseSnapshot,
  context: RollbackContext,
): UserDecision | undefined {
  const from = skuNameById(record.fromSkuId, context.skus);
  for (const [groups, action] of [
    [undo.join, 'add to'],
    [undo.leave, 'remove from'],
  ] as const) {
    for (const group of groups) {
      const now = context.groups.get(key(group.groupId));
      if (!now && action === 'add to') {
        return blocked(
          'groupRefused',
          `${labelOf(group)} no longer exists, so the user cannot rejoin it to get ${from} back. Give the user ${from} yourself, then roll back again`,
        );
      }
      const refusal = now ? membershipRefusal(now.facts) : undefined;
      if (now && refusal) return blocked('groupRefused', refusalReason(now.facts, refusal, action));
    }
  }
  if (restoredLicense(record, undo, current, context)) return conflictingDirect(record, undo, current, context);
  const leaving = undo.leave.map(labelOf).join(' and ') || labelOf(record);
  return blocked(
    'groupRefused',
    `none of the groups the user would rejoin assigns ${from} any more, so leaving ${leaving} would leave it without ${from}. Give the user ${from} (or assign it to the group again), then roll back again`,
  );
}

/** The source as the user will hold it once restored, or undefined when nothing would give it back. */
function restoredLicense(
  record: GroupMembershipRecord,
  undo: Undo,
  current: UserLicenseSnapshot,
  context: RollbackContext,
): AssignedLicense | undefined {
  const direct = undo.addDirect.find((license) => same(license.skuId, record.fromSkuId));
  if (direct) return copy(direct);
  for (const group of undo.join) {
    const license = context.groups
      .get(key(group.groupId))
      ?.facts.assignedLicenses.find((held) => same(held.skuId, record.fromSkuId));
    if (license) return copy(license);
  }
  const kept = stayingStates(current, record.fromSkuId, undo).find(isActive);
  return kept ? { skuId: kept.skuId, disabledPlans: [...kept.disabledPlans] } : undefined;
}

const isActive = (state: LicenseAssignmentState): boolean =>
  state.state === 'Active' && (state.error === null || state.error === 'None');

/** The user's assignments of a SKU that stay once the restore is done (not from a group it leaves, nor removed). */
function stayingStates(user: UserLicenseSnapshot, skuId: string, undo: Undo): LicenseAssignmentState[] {
  return user.licenseAssignmentStates.filter(
    (state) =>
      same(state.skuId, skuId) &&
      (state.assignedByGroup == null
        ? !undo.removeDirect.some((id) => same(id, skuId))
        : !undo.leave.some((group) => same(group.groupId, state.assignedByGroup ?? ''))),
  );
}

/** A direct assignment given back cannot clash with what the user holds until it leaves the group: Graph refuses it. */
function conflictingDirect(
  record: GroupMembershipRecord,
  undo: Undo,
  current: UserLicenseSnapshot,
  context: RollbackContext,
): UserDecision | undefined {
  const held = current.assignedLicenses.filter((license) => !undo.addDirect.some((l) => same(l.skuId, license.skuId)));
  for (const license of undo.addDirect) {
    const clash = conflictsWith(license, held, context.skus)[0];
    if (!clash) continue;
    const name = (skuId: string): string => skuNameById(skuId, context.skus);
    return blocked(
      'conflictingLicense',
      `${name(license.skuId)} brings ${clash.targetPlanName}, which cannot be held together with ${clash.heldPlanName} of ${name(clash.heldSkuId)}: Graph would refuse to assign it directly while the user is in ${labelOf(record)}. Move the user back by hand`,
    );
  }
  return undefined;
}

function restoreChange(
  record: GroupMembershipRecord,
  undo: Undo,
  current: UserLicenseSnapshot,
  context: RollbackContext,
): UserDecision {
  const restored = restoredLicense(record, undo, current, context) ?? { skuId: record.fromSkuId, disabledPlans: [] };
  const leaving = current.assignedLicenses.filter((license) => same(license.skuId, record.toSkuId));
  const rejoins = undo.join.length > 0;
  const expectConflict =
    rejoins && !same(record.fromSkuId, record.toSkuId) && conflictsWith(restored, leaving, context.skus).length > 0;
  const keepsTarget = stayingStates(current, record.toSkuId, undo).some(isActive);
  const step: GroupMoveStep = {
    kind: 'restore',
    unit: context.unit,
    groupId: record.groupId,
    groupName: record.groupName,
    ...undo,
    expectConflict,
    removes: same(record.fromSkuId, record.toSkuId) || keepsTarget ? [] : [record.toSkuId],
  };
  const decision: UserDecision = {
    kind: 'change',
    add: [restored],
    remove: [],
    removeLater: [],
    groupMove: step,
    reason: restoreReason(record, step, context.skus),
  };
  if (!context.force) decision.onlyIfHolding = current.assignedLicenses.map(copy);
  return decision;
}

function restoreReason(
  record: GroupMembershipRecord,
  step: Extract<GroupMoveStep, { kind: 'restore' }>,
  skus: TenantSku[],
): string {
  const name = (skuId: string): string => skuNameById(skuId, skus);
  const back = [
    ...step.join.map((group) => `rejoin ${labelOf(group)}`),
    ...step.addDirect.map((license) => `get ${licenseNames([license], skus)} back directly`),
  ];
  const then = [
    ...step.leave.map((group) => `leave ${labelOf(group)}`),
    ...step.removeDirect.map((skuId) => `remove the direct ${name(skuId)}`),
  ];
  const held = `${name(record.fromSkuId)} is held again`;
  const words =
    back.length === 0
      ? `${then.join(' and ')} (${name(record.fromSkuId)} is still held)`
      : then.length === 0
        ? back.join(' and ')
        : `${back.join(' and ')}; once ${held}, ${then.join(' and ')}`;
  const parts = [`restore what the original run changed: ${words}`];
  if (step.expectConflict) {
    parts.push(
      `${name(record.fromSkuId)} stays in error (MutuallyExclusiveViolation) until the user leaves ${labelOf(record)}, then becomes active on the same pass`,
    );
  }
  return parts.join('; ');
}
