/**
 * Planning group moves (issue #13, docs/group-moves.md): per group, what the group stage will do, and per user, the
 * decision. Pure: the planning activity reads the groups, their members and the users, and passes them in.
 *
 * - A group's product change: the group first assigns the target next to the source (with service plans that clash
 *   with the source switched off), and only once every member holds it does it drop the source (switching those plans
 *   on in the same call), so members never lose a service (Microsoft Entra, "Change license assignments for a user or
 *   group"; conflicting products from "How to safely migrate users between product licenses by using group-based
 *   licensing").
 * - Users joining a group that assigns the target, and leaving their source once they inherit it (the same article;
 *   Microsoft Entra, "How to migrate users with individual licenses to groups for licensing" for conversions).
 */
import { groupLabel, membershipRefusal, refusalReason, type GroupFacts } from './groups';
import { holdingsOf, homeDomain, type Holding } from './plan';
import { conflictsWith, type PlanConflict } from './plan-conflicts';
import { mapKeptDisabledPlans, skuNameById } from './skus';
import type {
  AssignedLicense,
  BlockReasonCode,
  GroupMoveStep,
  MigrationRequest,
  MoveRequest,
  PlannedUser,
  ResolvedMove,
  TenantSku,
  UserDecision,
  UserLicenseSnapshot,
} from './types';

/**
 * What the group stage does with one unit: change a group's product, move users into one group, or (a rollback of such
 * a move) give users their source back and take them out of one group.
 */
export type GroupUnitKind = 'product' | 'join' | 'restore';

/** One group the group stage works on: a product change, or the users joining (or, restored, leaving) one group. */
export interface GroupUnitPlan {
  unit: number;
  kind: GroupUnitKind;
  move: number;
  groupId: string;
  groupName: string;
  fromSkuId: string;
  toSkuId: string;
  /** Users the unit changes. */
  users: number;
  /** product: the target as first added, plans clashing with the source switched off. */
  addFirst?: AssignedLicense;
  /** product: the target as it ends, sent with the removal of the source, when it differs from `addFirst`. */
  addFinal?: AssignedLicense;
  /** Why the group is left alone; every user of the unit is blocked with it. */
  refused?: string;
  /** product: the group assigns the target and no longer the source. */
  done?: boolean;
  /**
   * product, in a rollback without `force`: the group's licenses when the rollback was planned. The first write happens
   * only while the group still assigns exactly these; a group changed meanwhile by someone else is left alone.
   */
  onlyIfAssigns?: AssignedLicense[];
  /** What the unit does, in plain words (dry run, approval, report). */
  action: string;
}

/** What the group stage needs to run a unit: the rest stays in storage. */
export interface GroupUnitRef {
  unit: number;
  kind: GroupUnitKind;
  /** The group's display name, for the run's messages. */
  groupName: string;
  /** Users it changes. */
  users: number;
  /** How many slices of users its write steps take (GROUP_CHUNK_SIZE each). */
  chunks: number;
}

/** Users per membership-write activity: about 20 s of writes at the default budget. */
export const GROUP_CHUNK_SIZE = 400;

export function groupUnitRef(unit: GroupUnitPlan): GroupUnitRef {
  return {
    unit: unit.unit,
    kind: unit.kind,
    groupName: unit.groupName,
    users: unit.users,
    chunks: Math.max(1, Math.ceil(unit.users / GROUP_CHUNK_SIZE)),
  };
}

/** The units the group stage has work for. */
export function runnableUnits(units: readonly GroupUnitPlan[]): GroupUnitPlan[] {
  return units.filter((unit) => unit.users > 0 && !unit.refused && !unit.done);
}

const key = (id: string): string => id.toLowerCase();
const same = (a: string, b: string): boolean => key(a) === key(b);

function union(...lists: string[][]): string[] {
  const seen = new Set<string>();
  return lists.flat().filter((id) => !seen.has(key(id)) && Boolean(seen.add(key(id))));
}

const blocked = (code: BlockReasonCode, reason: string): UserDecision => ({ kind: 'blocked', code, reason });

function plannedUser(user: UserLicenseSnapshot, move: number, decision: UserDecision): PlannedUser {
  return {
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    move,
    decision,
    before: user.assignedLicenses.map((license) => ({
      skuId: license.skuId,
      disabledPlans: [...license.disabledPlans],
    })),
  };
}

/** "EXCHANGE_S_ENTERPRISE", "SWAY and FORMS_PLAN_E3": plan names for reasons. */
function planNames(planIds: string[], sku: TenantSku | undefined): string {
  const names = planIds.map(
    (id) => sku?.servicePlans.find((plan) => same(plan.servicePlanId, id))?.servicePlanName ?? id,
  );
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

function skuOf(skus: readonly TenantSku[], skuId: string): TenantSku | undefined {
  return skus.find((sku) => same(sku.skuId, skuId));
}

function assigns(group: GroupFacts, skuId: string): AssignedLicense | undefined {
  return group.assignedLicenses.find((license) => same(license.skuId, skuId));
}

// ------------------------------------------------------------------------------------------ a group's product

export interface GroupProductInput {
  unit: number;
  move: ResolvedMove;
  moveRequest: MoveRequest;
  skus: TenantSku[];
  group: GroupFacts;
  /** Direct members that are users: the ones the group's licenses reach. */
  members: UserLicenseSnapshot[];
  /** Users who are members only through nested groups (they inherit nothing from this group). */
  nestedOnly: UserLicenseSnapshot[];
  /** Ids of nested groups among the direct members. */
  nestedGroups: string[];
}

/** The target as first added and as it ends, and the plans that must wait for the source to go. */
function productLicenses(input: GroupProductInput, source: AssignedLicense) {
  const { move, moveRequest, skus } = input;
  const toSku = skuOf(skus, move.toSkuId);
  const kept =
    moveRequest.keepDisabledPlans && toSku
      ? mapKeptDisabledPlans(skuOf(skus, source.skuId), source.disabledPlans, toSku)
      : [];
  const final: AssignedLicense = { skuId: move.toSkuId, disabledPlans: union(move.disabledPlanIds, kept) };
  const clashes = conflictsWith(final, [source], skus);
  const clashing = union(clashes.map((clash) => clash.targetPlanId));
  const first: AssignedLicense = { skuId: move.toSkuId, disabledPlans: union(final.disabledPlans, clashing) };
  return { first, final, clashing, toSku };
}

function productRefusal(input: GroupProductInput, name: (skuId: string) => string): string | undefined {
  const { group, move } = input;
  const label = groupLabel(group);
  if (!assigns(group, move.fromSkuId ?? '') && !assigns(group, move.toSkuId)) {
    const held = group.assignedLicenses.map((license) => name(license.skuId)).join(', ') || 'no license';
    return `${label} does not assign ${name(move.fromSkuId ?? '')} (it assigns ${held}), so there is nothing to change`;
  }
  if (input.members.length === 0 && input.nestedGroups.length > 0) {
    return (
      `${label} has only nested groups as members, and nested groups do not inherit a group's licenses: nobody holds ` +
      `its product through it. Assign the license to the nested groups, or make their users direct members`
    );
  }
  return undefined;
}

/** Plans a licensing group's product change: the unit and one line per member. */
export function planGroupProduct(input: GroupProductInput): { unit: GroupUnitPlan; users: PlannedUser[] } {
  const { group, move, skus } = input;
  const name = (skuId: string): string => skuNameById(skuId, skus);
  const fromSkuId = move.fromSkuId ?? '';
  const source = assigns(group, fromSkuId) ?? { skuId: fromSkuId, disabledPlans: [] };
  const { first, final, clashing, toSku } = productLicenses(input, source);
  const refused = productRefusal(input, name);
  const done = !refused && !assigns(group, fromSkuId) && assigns(group, move.toSkuId) !== undefined;
  const unitBase = { unit: input.unit, kind: 'product' as const, move: move.move, groupId: group.id };
  const action =
    clashing.length > 0
      ? `${groupLabel(group)}: add ${name(move.toSkuId)} with ${planNames(clashing, toSku)} off next to ${name(fromSkuId)}; once every member holds it, remove ${name(fromSkuId)} and switch ${planNames(clashing, toSku)} on in the same change`
      : `${groupLabel(group)}: add ${name(move.toSkuId)} next to ${name(fromSkuId)}; once every member holds it, remove ${name(fromSkuId)}`;
  const users = input.members.map((user) =>
    plannedUser(user, move.move, productDecision(input, user, { refused, done, action, name })),
  );
  for (const user of input.nestedOnly) {
    const reason = `member of ${groupLabel(group)} only through a nested group; nested groups do not inherit a group's licenses, so this change does not reach the user`;
    users.push(plannedUser(user, move.move, blocked('nestedOnly', reason)));
  }
  const changing = users.filter((user) => user.decision.kind === 'change').length;
  const unit: GroupUnitPlan = {
    ...unitBase,
    groupName: group.displayName,
    fromSkuId,
    toSkuId: move.toSkuId,
    users: changing,
    addFirst: first,
    action: done ? `${groupLabel(group)} already assigns ${name(move.toSkuId)} and not ${name(fromSkuId)}` : action,
  };
  if (clashing.length > 0) unit.addFinal = final;
  if (refused) unit.refused = refused;
  if (done) unit.done = true;
  return { unit, users };
}

function productDecision(
  input: GroupProductInput,
  user: UserLicenseSnapshot,
  unit: { refused: string | undefined; done: boolean; action: string; name: (skuId: string) => string },
): UserDecision {
  const { group, move } = input;
  const { name } = unit;
  if (unit.refused) return blocked('groupRefused', unit.refused);
  const holdings = holdingsOf(user);
  const target = holdings.get(key(move.toSkuId));
  if (unit.done) {
    return { kind: 'skip', reason: `already done: ${groupLabel(group)} assigns ${name(move.toSkuId)}` };
  }
  const source = holdings.get(key(move.fromSkuId ?? ''));
  const keepsSource = source !== undefined && (source.direct || source.groups.some((id) => !same(id, group.id)));
  const notes = productNotes(user, { holdings, target, source, keepsSource, name, fromSkuId: move.fromSkuId ?? '' });
  const step: GroupMoveStep = {
    kind: 'product',
    unit: input.unit,
    groupId: group.id,
    groupName: group.displayName,
    removes: keepsSource || !move.fromSkuId ? [] : [move.fromSkuId],
  };
  return {
    kind: 'change',
    add: [{ skuId: move.toSkuId, disabledPlans: [...(target?.disabledPlans ?? [])] }],
    remove: [],
    removeLater: [],
    groupMove: step,
    reason: [`follow ${groupLabel(group)}: ${name(move.fromSkuId ?? '')} → ${name(move.toSkuId)}`, ...notes].join('; '),
  };
}

function productNotes(
  user: UserLicenseSnapshot,
  facts: {
    holdings: Map<string, Holding>;
    target: Holding | undefined;
    source: Holding | undefined;
    keepsSource: boolean;
    name: (skuId: string) => string;
    fromSkuId: string;
  },
): string[] {
  const notes: string[] = [];
  if (facts.target) notes.push(`already holds ${facts.name(facts.target.skuId)} (no new license needed)`);
  if (facts.keepsSource) {
    notes.push(`keeps ${facts.name(facts.fromSkuId)}: it is also assigned directly or by another group`);
  }
  if (!user.accountEnabled) notes.push("the account is disabled; a group's licenses apply to disabled accounts too");
  if (homeDomain(user.userPrincipalName).guest) notes.push("a guest; a group's licenses apply to guests too");
  if (!user.usageLocation) {
    notes.push(
      'no usage location: group licensing uses the tenant default, or records ProhibitedInUsageLocationViolation',
    );
  }
  return notes;
}

// ------------------------------------------------------------------------------------------ joining a group

export interface JoinGroupInput {
  unit: number;
  move: ResolvedMove;
  moveRequest: MoveRequest;
  request: Pick<MigrationRequest, 'includeDisabledUsers' | 'usageLocation'>;
  skus: TenantSku[];
  verifiedDomains: string[];
  target: GroupFacts;
  /** Ids of the target group's direct members. */
  targetMembers: ReadonlySet<string>;
  /** Groups the selected users inherit `from` through (undefined: Graph no longer has that group). */
  sourceGroups: ReadonlyMap<string, GroupFacts | undefined>;
  users: UserLicenseSnapshot[];
}

function joinRefusal(input: JoinGroupInput, name: (skuId: string) => string): string | undefined {
  const { target, move } = input;
  const refusal = membershipRefusal(target);
  if (refusal) return refusalReason(target, refusal, 'add to');
  if (!assigns(target, move.toSkuId)) {
    const held = target.assignedLicenses.map((license) => name(license.skuId)).join(', ') || 'no license';
    return `${groupLabel(target)} does not assign ${name(move.toSkuId)} (it assigns ${held}): pick the group that assigns it, or add ${name(move.toSkuId)} to this group first`;
  }
  return undefined;
}

/** Plans users joining the group that assigns the target: the unit and one line per user. */
export function planJoinGroup(input: JoinGroupInput): { unit: GroupUnitPlan; users: PlannedUser[] } {
  const { target, move, skus } = input;
  const name = (skuId: string): string => skuNameById(skuId, skus);
  const refused = joinRefusal(input, name);
  const fromSkuId = move.fromSkuId ?? move.toSkuId;
  const conversion = same(fromSkuId, move.toSkuId);
  const users = input.users.map((user) =>
    plannedUser(user, move.move, refused ? blocked('groupRefused', refused) : joinDecision(input, user, name)),
  );
  const verb = conversion
    ? `remove their direct ${name(fromSkuId)}`
    : `remove ${name(fromSkuId)} (the direct assignment, or membership of the groups that give it)`;
  const unit: GroupUnitPlan = {
    unit: input.unit,
    kind: 'join',
    move: move.move,
    groupId: target.id,
    groupName: target.displayName,
    fromSkuId,
    toSkuId: move.toSkuId,
    users: users.filter((user) => user.decision.kind === 'change').length,
    action: `add users to ${groupLabel(target)}, which assigns ${name(move.toSkuId)}; once each inherits it, ${verb}`,
  };
  if (refused) unit.refused = refused;
  return { unit, users };
}

interface JoinFacts {
  holdings: Map<string, Holding>;
  source: Holding | undefined;
  target: Holding | undefined;
  conversion: boolean;
  fromSkuId: string;
  name: (skuId: string) => string;
}

/** A rule decides the user's fate, or returns undefined to let the next rule look. Order matters. */
type JoinRule = (input: JoinGroupInput, user: UserLicenseSnapshot, facts: JoinFacts) => UserDecision | undefined;

const notHeld: JoinRule = (input, _user, { source, target, conversion, fromSkuId, name, holdings }) => {
  const explicit = 'upns' in input.moveRequest.users || 'ids' in input.moveRequest.users;
  if (conversion && target && !target.direct) {
    const from = target.groups.map((id) => `group ${id}`).join(' and ');
    return { kind: 'skip', reason: `${name(fromSkuId)} already comes from ${from}, not directly; nothing to convert` };
  }
  if (source) return undefined;
  const held = [...holdings.values()].map((holding) => name(holding.skuId));
  const holds = held.length > 0 ? `it holds ${held.join(', ')}` : 'it holds no license';
  const reason = `the user does not hold ${name(fromSkuId)} (${holds}), so there is nothing to move`;
  return explicit ? blocked('sourceNotHeld', reason) : { kind: 'skip', reason };
};

const alreadyDone: JoinRule = (input, _user, { source, target, conversion, name }) => {
  const inherited = target?.groups.some((id) => same(id, input.target.id)) && target.errors.length === 0;
  const sourceGone = conversion ? !target?.direct : !source;
  if (!inherited || !sourceGone) return undefined;
  return { kind: 'skip', reason: `already done: ${name(input.move.toSkuId)} comes from ${groupLabel(input.target)}` };
};

const targetInErrorElsewhere: JoinRule = (input, _user, { target, name }) => {
  // Errors of the target group's own assignment are the group stage's business (a rerun resumes them).
  const mine = key(input.target.id);
  const elsewhere = target?.errors.filter((error) => !key(error).includes(mine)) ?? [];
  if (elsewhere.length === 0) return undefined;
  return blocked(
    'conflictingLicense',
    `${name(input.move.toSkuId)} is already assigned to this user but is in error: ${elsewhere.join(', ')}. Fix or remove that assignment, then run again`,
  );
};

const accountDisabled: JoinRule = (input, user) =>
  !user.accountEnabled && !input.request.includeDisabledUsers
    ? blocked(
        'accountDisabled',
        'the account is disabled (sign-in blocked), so it was left alone; set includeDisabledUsers to move disabled accounts too',
      )
    : undefined;

const foreignDomain: JoinRule = (input, user) => {
  const home = homeDomain(user.userPrincipalName);
  if (!home.guest && input.verifiedDomains.some((domain) => same(domain, home.domain))) return undefined;
  return blocked(
    'foreignDomain',
    home.guest
      ? `the user is a guest from ${home.domain} (#EXT#), not a member of this organisation; licenses bought for this organisation are not moved to guests`
      : `the user's domain ${home.domain} is not a verified domain of this tenant; licenses bought for this organisation cannot be assigned to them`,
  );
};

const sourceGroupsLocked: JoinRule = (input, _user, { source, name, fromSkuId, conversion }) => {
  const groups = conversion ? [] : (source?.groups ?? []).filter((id) => !same(id, input.target.id));
  if (groups.length === 0) return undefined;
  if (input.moveRequest.sourceGroups !== 'leave') {
    const list = groups
      .map((id) => groupLabel(input.sourceGroups.get(key(id)) ?? { id, displayName: '' }))
      .join(' and ');
    return blocked(
      'inheritedFromGroup',
      `${name(fromSkuId)} comes from ${list}, and a license inherited from a group cannot be removed from the user directly: give sourceGroups: "leave" to take the user out of it once ${name(input.move.toSkuId)} is inherited, or change the group's license`,
    );
  }
  for (const id of groups) {
    const group = input.sourceGroups.get(key(id));
    const refusal = group ? membershipRefusal(group) : undefined;
    if (group && refusal) return blocked('groupRefused', refusalReason(group, refusal, 'remove from'));
  }
  return undefined;
};

const JOIN_RULES: readonly JoinRule[] = [
  alreadyDone,
  notHeld,
  targetInErrorElsewhere,
  accountDisabled,
  foreignDomain,
  sourceGroupsLocked,
];

function joinDecision(input: JoinGroupInput, user: UserLicenseSnapshot, name: (skuId: string) => string): UserDecision {
  const fromSkuId = input.move.fromSkuId ?? input.move.toSkuId;
  const holdings = holdingsOf(user);
  const facts: JoinFacts = {
    holdings,
    source: holdings.get(key(fromSkuId)),
    target: holdings.get(key(input.move.toSkuId)),
    conversion: same(fromSkuId, input.move.toSkuId),
    fromSkuId,
    name,
  };
  for (const rule of JOIN_RULES) {
    const decision = rule(input, user, facts);
    if (decision) return decision;
  }
  return joinChange(input, user, facts);
}

/** The change for a user every rule let through, unless the target clashes with a license the user keeps. */
function joinChange(input: JoinGroupInput, user: UserLicenseSnapshot, facts: JoinFacts): UserDecision {
  const { target: group, move, skus } = input;
  const { source, name, conversion, fromSkuId } = facts;
  const targetLicense = assigns(group, move.toSkuId) ?? { skuId: move.toSkuId, disabledPlans: [] };
  const leave = conversion ? [] : (source?.groups ?? []).filter((id) => !same(id, group.id));
  const removeDirect = source?.direct ? [fromSkuId] : [];
  const kept = [...facts.holdings.values()].filter((holding) => !same(holding.skuId, fromSkuId) || conversion);
  const keptClash = conflictsWith(targetLicense, kept.map(asLicense), skus).find(
    (clash) => !same(clash.heldSkuId, move.toSkuId),
  );
  if (keptClash) return blocked('conflictingLicense', clashReason(keptClash, name, move.toSkuId));
  const sourceClash = !conversion && source ? conflictsWith(targetLicense, [asLicense(source)], skus)[0] : undefined;
  if (sourceClash && source?.direct) {
    return blocked(
      'conflictingLicense',
      `${name(move.toSkuId)} brings ${sourceClash.targetPlanName}, which cannot be held together with ${sourceClash.heldPlanName} of the directly assigned ${name(fromSkuId)}: group licensing would keep the target in error until the direct license goes, leaving a gap. Move this user directly (without assignVia), then into the group`,
    );
  }
  const step: GroupMoveStep = {
    kind: 'join',
    unit: input.unit,
    groupId: group.id,
    groupName: group.displayName,
    join: !input.targetMembers.has(key(user.id)),
    leave: leave.map((id) => ({ groupId: id, groupName: input.sourceGroups.get(key(id))?.displayName ?? '' })),
    removeDirect,
    expectConflict: sourceClash !== undefined,
    removes: conversion ? [] : [fromSkuId],
  };
  const decision: UserDecision = {
    kind: 'change',
    add: [{ skuId: move.toSkuId, disabledPlans: [...targetLicense.disabledPlans] }],
    remove: [],
    removeLater: [],
    groupMove: step,
    reason: joinReason(input, user, step, facts),
  };
  if (!user.usageLocation && input.request.usageLocation) decision.setUsageLocation = input.request.usageLocation;
  return decision;
}

const asLicense = (holding: Holding): AssignedLicense => ({
  skuId: holding.skuId,
  disabledPlans: holding.disabledPlans,
});

function clashReason(clash: PlanConflict, name: (skuId: string) => string, toSkuId: string): string {
  return (
    `${name(toSkuId)} brings ${clash.targetPlanName}, which cannot be held together with ${clash.heldPlanName} ` +
    `from ${name(clash.heldSkuId)}, a license this move keeps: remove that license first, or switch off ` +
    `${clash.targetPlanName} in the group's license`
  );
}

function joinReason(
  input: JoinGroupInput,
  user: UserLicenseSnapshot,
  step: Extract<GroupMoveStep, { kind: 'join' }>,
  facts: JoinFacts,
): string {
  const { name, fromSkuId, conversion } = facts;
  const to = name(input.move.toSkuId);
  const parts = [
    conversion
      ? `convert ${to} to group-based: ${step.join ? 'join' : 'already in'} ${groupLabel(input.target)}, then remove the direct assignment`
      : `move from ${name(fromSkuId)} to ${to} through ${groupLabel(input.target)}${step.join ? '' : ' (already a member)'}`,
  ];
  const leaving = step.leave.map((group) => groupLabel({ id: group.groupId, displayName: group.groupName }));
  if (leaving.length > 0) parts.push(`leaves ${leaving.join(' and ')} once ${to} is inherited`);
  if (step.removeDirect.length > 0 && !conversion)
    parts.push(`direct ${name(fromSkuId)} removed once ${to} is inherited`);
  if (step.expectConflict) {
    parts.push(
      `${to} stays in error (MutuallyExclusiveViolation) until the user leaves the source group, then becomes active on the same pass`,
    );
  }
  if (!user.usageLocation) {
    parts.push(
      input.request.usageLocation
        ? `usage location set to ${input.request.usageLocation}`
        : 'no usage location: group licensing uses the tenant default, or records ProhibitedInUsageLocationViolation',
    );
  }
  return parts.join('; ');
}

/** The report's action for a user moved through groups: "join group …; leave group …; remove STANDARDPACK (direct)". */
export function groupActionWords(step: GroupMoveStep, toSkuId: string, partNumber: (skuId: string) => string): string {
  if (step.kind === 'product') {
    const removes = step.removes.map(partNumber).join(', ');
    return `follow group ${step.groupName || step.groupId}: add ${partNumber(toSkuId)}${removes ? `; remove ${removes}` : ''}`;
  }
  if (step.kind === 'restore') return restoreActionWords(step, toSkuId, partNumber);
  const steps: string[] = [];
  if (step.join) steps.push(`join group ${step.groupName || step.groupId} (adds ${partNumber(toSkuId)})`);
  for (const group of step.leave) steps.push(`leave group ${group.groupName || group.groupId}`);
  if (step.removeDirect.length > 0) steps.push(`remove ${step.removeDirect.map(partNumber).join(', ')} (direct)`);
  return steps.join('; ');
}

/** "rejoin group Lic – Business Standard (adds O365_BUSINESS_PREMIUM); leave group Lic – Business Premium". */
function restoreActionWords(
  step: Extract<GroupMoveStep, { kind: 'restore' }>,
  toSkuId: string,
  partNumber: (skuId: string) => string,
): string {
  const steps: string[] = [];
  for (const group of step.join)
    steps.push(`rejoin group ${group.groupName || group.groupId} (adds ${partNumber(toSkuId)})`);
  if (step.addDirect.length > 0)
    steps.push(`add ${step.addDirect.map((l) => partNumber(l.skuId)).join(', ')} (direct)`);
  for (const group of step.leave) steps.push(`leave group ${group.groupName || group.groupId}`);
  if (step.removeDirect.length > 0) steps.push(`remove ${step.removeDirect.map(partNumber).join(', ')} (direct)`);
  return steps.join('; ');
}
