/**
 * Stage 1 of a migration: what to do with each user. Pure: the caller reads users, SKUs and domains from Graph
 * and passes them in; the same inputs always give the same plan, so it is safe to call from an orchestration.
 */
import { findLostPlans } from './downgrade';
import { conflictsWith } from './plan-conflicts';
import { mapKeptDisabledPlans, skuNameById } from './skus';
import type {
  AssignedLicense,
  BlockReasonCode,
  DowngradeWarning,
  MigrationRequest,
  MoveRequest,
  PlannedUser,
  PlanSummary,
  ResolvedMove,
  TenantSku,
  UserDecision,
  UserLicenseSnapshot,
} from './types';

export interface PlanUserInput {
  user: UserLicenseSnapshot;
  move: ResolvedMove;
  moveRequest: MoveRequest;
  request: MigrationRequest;
  skus: TenantSku[];
  /** The tenant's verified domain names (organization.verifiedDomains[].name). */
  verifiedDomains: string[];
}

/** How the user holds one SKU: directly, through groups, and whether any assignment of it is in error. */
export interface Holding {
  skuId: string;
  direct: boolean;
  groups: string[];
  disabledPlans: string[];
  errors: string[];
}

const key = (skuId: string) => skuId.toLowerCase();

/**
 * `licenseAssignmentStates` tells direct from group-inherited assignments; a license present in
 * `assignedLicenses` without any state entry is taken as direct (the only way Graph can show it then).
 */
export function holdingsOf(user: UserLicenseSnapshot): Map<string, Holding> {
  const holdings = new Map<string, Holding>();
  const entry = (skuId: string): Holding => {
    let holding = holdings.get(key(skuId));
    if (!holding) {
      holding = { skuId, direct: false, groups: [], disabledPlans: [], errors: [] };
      holdings.set(key(skuId), holding);
    }
    return holding;
  };
  for (const license of user.assignedLicenses) entry(license.skuId).disabledPlans = [...license.disabledPlans];
  for (const state of user.licenseAssignmentStates) {
    const holding = entry(state.skuId);
    if (state.assignedByGroup == null) holding.direct = true;
    else if (!holding.groups.includes(state.assignedByGroup)) holding.groups.push(state.assignedByGroup);
    const failed = (state.error != null && state.error !== 'None') || state.state === 'Error';
    if (failed || state.state === 'ActiveWithError') {
      const from = state.assignedByGroup == null ? 'assigned directly' : `from group ${state.assignedByGroup}`;
      holding.errors.push(`${state.error ?? state.state} (${from})`);
    }
  }
  const withState = new Set(user.licenseAssignmentStates.map((state) => key(state.skuId)));
  for (const license of user.assignedLicenses) {
    if (!withState.has(key(license.skuId))) entry(license.skuId).direct = true;
  }
  return holdings;
}

const union = (...lists: string[][]): string[] => {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const id of lists.flat()) {
    if (seen.has(key(id))) continue;
    seen.add(key(id));
    result.push(id);
  }
  return result;
};

const blocked = (code: BlockReasonCode, reason: string): UserDecision => ({ kind: 'blocked', code, reason });
const groupList = (groups: string[]) => groups.map((group) => `group ${group}`).join(' and ');

/** The part of a UPN that says which organisation the user belongs to; guests (#EXT#) belong to another one. */
export function homeDomain(upn: string): { domain: string; guest: boolean } {
  const at = upn.lastIndexOf('@');
  const local = upn.slice(0, Math.max(0, at));
  const extIndex = local.toUpperCase().indexOf('#EXT#');
  if (extIndex >= 0) {
    // "adele_fabrikam.com#EXT#@contoso.onmicrosoft.com": the guest's own address is before #EXT#, '@' as '_'.
    const external = local.slice(0, extIndex);
    return { domain: external.slice(external.lastIndexOf('_') + 1), guest: true };
  }
  return { domain: upn.slice(at + 1), guest: false };
}

/** Decide what happens to one user in one move. */
export function planUser(input: PlanUserInput): PlannedUser {
  const { user, move } = input;
  return {
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    move: move.move,
    decision: decide(input),
    before: user.assignedLicenses.map((license) => ({
      skuId: license.skuId,
      disabledPlans: [...license.disabledPlans],
    })),
  };
}

/** A user named in the request (by UPN or id) that Graph does not know. */
export function plannedUserNotFound(reference: string, move: number): PlannedUser {
  return {
    userId: reference,
    userPrincipalName: reference,
    move,
    decision: blocked(
      'userNotFound',
      `no user "${reference}" in this tenant: check the spelling, or whether the account was deleted`,
    ),
    before: [],
  };
}

/** What the decision rules look at for one user in one move. */
interface DecisionContext {
  input: PlanUserInput;
  name: (skuId: string) => string;
  holdings: Map<string, Holding>;
  target: Holding | undefined;
  source: Holding | undefined;
  targetName: string;
  sourceName: string;
  /** Direct licenses other than the target (what replace mode removes). */
  otherDirect: Holding[];
}

function decisionContext(input: PlanUserInput): DecisionContext {
  const { user, move, skus } = input;
  const name = (skuId: string) => skuNameById(skuId, skus);
  const holdings = holdingsOf(user);
  return {
    input,
    name,
    holdings,
    target: holdings.get(key(move.toSkuId)),
    source: move.fromSkuId ? holdings.get(key(move.fromSkuId)) : undefined,
    targetName: name(move.toSkuId),
    sourceName: move.fromSkuId ? name(move.fromSkuId) : '',
    otherDirect: [...holdings.values()].filter((holding) => holding.direct && key(holding.skuId) !== key(move.toSkuId)),
  };
}

/** A rule decides the user's fate, or returns undefined to let the next rule look. Order matters. */
type DecisionRule = (c: DecisionContext) => UserDecision | undefined;

const targetInError: DecisionRule = ({ target, targetName }) =>
  target && target.errors.length > 0
    ? blocked(
        'conflictingLicense',
        `${targetName} is already assigned to this user but is in error: ${target.errors.join(', ')}. ` +
          'Fix or remove that assignment (see the user in the Microsoft 365 admin center), then run again',
      )
    : undefined;

const alreadyOnTarget: DecisionRule = ({ input, target, source, targetName, sourceName, otherDirect }) => {
  if (!target) return undefined;
  const { mode } = input.request;
  if (mode === 'swap' && !source?.direct) {
    const stillInherited =
      source && source.groups.length > 0
        ? ` (${sourceName} still comes from ${groupList(source.groups)}; change the group to remove it)`
        : '';
    return { kind: 'skip', reason: `already on ${targetName}; nothing to change${stillInherited}` };
  }
  if (mode === 'replace' && otherDirect.length === 0) {
    return { kind: 'skip', reason: `already on ${targetName} with no other direct license; nothing to change` };
  }
  return undefined;
};

const accountDisabled: DecisionRule = ({ input }) =>
  !input.user.accountEnabled && !input.request.includeDisabledUsers
    ? blocked(
        'accountDisabled',
        'the account is disabled (sign-in blocked), so it was left alone; set includeDisabledUsers to move disabled accounts too',
      )
    : undefined;

const foreignDomain: DecisionRule = ({ input }) => {
  const home = homeDomain(input.user.userPrincipalName);
  const verified = input.verifiedDomains.some((domain) => domain.toLowerCase() === home.domain.toLowerCase());
  if (!home.guest && verified) return undefined;
  return blocked(
    'foreignDomain',
    home.guest
      ? `the user is a guest from ${home.domain} (#EXT#), not a member of this organisation; licenses bought for this organisation are not moved to guests`
      : `the user's domain ${home.domain} is not a verified domain of this tenant; licenses bought for this organisation cannot be assigned to them`,
  );
};

const sourceNotHeld: DecisionRule = ({ input, source, holdings, name, sourceName }) => {
  if (!input.move.fromSkuId || source) return undefined;
  const users = input.moveRequest.users;
  const explicit = 'upns' in users || 'ids' in users;
  const held = [...holdings.values()].map((holding) => name(holding.skuId));
  const holds = held.length > 0 ? `it holds ${held.join(', ')}` : 'it holds no license';
  if (explicit)
    return blocked('sourceNotHeld', `the user does not hold ${sourceName} (${holds}), so there is nothing to move`);
  return { kind: 'skip', reason: `does not hold ${sourceName} (${holds}); nothing to change` };
};

const sourceInherited: DecisionRule = ({ source, sourceName }) => {
  if (!source || source.groups.length === 0) return undefined;
  const groups = groupList(source.groups);
  return blocked(
    'inheritedFromGroup',
    source.direct
      ? `${sourceName} is assigned directly and also comes from ${groups}; removing the direct one would leave the group's: remove them from ${groups} or change the group's license`
      : `${sourceName} comes from ${groups}, and a license inherited from a group cannot be removed from the user directly: remove them from ${groups} or change the group's license`,
  );
};

const noUsageLocation: DecisionRule = ({ input }) =>
  !input.user.usageLocation && !input.request.usageLocation
    ? blocked(
        'noUsageLocation',
        'the user has no usage location, which Microsoft requires before a license can be assigned: set one on the user, or give usageLocation in the request',
      )
    : undefined;

const DECISION_RULES: readonly DecisionRule[] = [
  targetInError,
  alreadyOnTarget,
  accountDisabled,
  foreignDomain,
  sourceNotHeld,
  sourceInherited,
  noUsageLocation,
];

function decide(input: PlanUserInput): UserDecision {
  const context = decisionContext(input);
  for (const rule of DECISION_RULES) {
    const decision = rule(context);
    if (decision) return decision;
  }
  return buildChange(context);
}

/** Disabled plans of the licenses being replaced, mapped onto the target (keepDisabledPlans). */
function keptDisabledPlans({ input }: DecisionContext, removed: Holding[]): string[] {
  const { skus, moveRequest, move } = input;
  const targetSku = skus.find((sku) => key(sku.skuId) === key(move.toSkuId));
  if (!moveRequest.keepDisabledPlans || !targetSku) return [];
  return union(
    ...removed.map((holding) =>
      mapKeptDisabledPlans(
        skus.find((sku) => key(sku.skuId) === key(holding.skuId)),
        holding.disabledPlans,
        targetSku,
      ),
    ),
  );
}

/** The change for a user every rule let through: what to add (with disabled plans) and what to remove, and when. */
function buildChange(context: DecisionContext): UserDecision {
  const { input, target, source, targetName, otherDirect, holdings, name } = context;
  const { request, move, user } = input;
  const setUsageLocation = user.usageLocation ? undefined : request.usageLocation;
  const toRemove = request.mode === 'swap' ? (source ? [source] : []) : otherDirect;
  const notes: string[] = [];
  let add: AssignedLicense[];
  if (target) {
    // Re-adding the license the user already has, with the disabled plans it already carries, changes nothing
    // for it and keeps the call atomic.
    add = [{ skuId: move.toSkuId, disabledPlans: [...target.disabledPlans] }];
    notes.push(`already has ${targetName}`);
  } else {
    const kept = keptDisabledPlans(context, request.mode === 'replace' && source ? [source] : toRemove);
    add = [{ skuId: move.toSkuId, disabledPlans: union(move.disabledPlanIds, kept) }];
    if (kept.length > 0)
      notes.push(`${kept.length} service${kept.length === 1 ? '' : 's'} switched off before stay off`);
    if (move.disabledPlanIds.length > 0) notes.push(`${move.disabledPlanIds.length} switched off as requested`);
  }
  const removeIds = toRemove.map((holding) => holding.skuId);
  const clash = target ? undefined : planClashes(context, add, toRemove);
  if (clash?.blocked) return clash.blocked;
  if (clash?.overlap) notes.push(clash.overlap.note);
  if (request.mode === 'replace') {
    for (const holding of holdings.values()) {
      if (holding.direct || key(holding.skuId) === key(move.toSkuId)) continue;
      notes.push(
        `${name(holding.skuId)} stays: it comes from ${groupList(holding.groups)} and cannot be removed directly`,
      );
    }
  }
  if (setUsageLocation) notes.push(`usage location set to ${setUsageLocation}`);
  const decision: UserDecision = {
    kind: 'change',
    add,
    remove: request.strategy === 'atomic' ? removeIds : [],
    removeLater: request.strategy === 'overlap' ? removeIds : [],
    reason: `${changeAction(context, removeIds)}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`,
  };
  if (setUsageLocation) decision.setUsageLocation = setUsageLocation;
  if (clash?.overlap) {
    decision.add = clash.overlap.add;
    decision.addLater = add;
  }
  return decision;
}

const asLicense = (holding: Holding): AssignedLicense => ({
  skuId: holding.skuId,
  disabledPlans: holding.disabledPlans,
});

/**
 * Service plans of the target that clash with plans the user holds (see plan-conflicts.ts). A clash with a license
 * the move keeps cannot be resolved by the move: the user is blocked. A clash with a license it removes is fine in
 * one atomic call; with overlap the clashing plans stay off until cleanup, which switches them on in the same call
 * that removes the source, so the service behind them never drops.
 */
function planClashes(
  { input, holdings, name, targetName }: DecisionContext,
  add: AssignedLicense[],
  toRemove: Holding[],
): { blocked?: UserDecision; overlap?: { add: AssignedLicense[]; note: string } } | undefined {
  const [target] = add;
  if (!target) return undefined;
  const removed = new Set(toRemove.map((holding) => key(holding.skuId)));
  const kept = [...holdings.values()].filter((holding) => !removed.has(key(holding.skuId)));
  const [keptClash] = conflictsWith(target, kept.map(asLicense), input.skus);
  if (keptClash) {
    return {
      blocked: blocked(
        'conflictingLicense',
        `${targetName} brings ${keptClash.targetPlanName}, which cannot be held together with ${keptClash.heldPlanName} ` +
          `from ${name(keptClash.heldSkuId)}, a license this move keeps: remove that license first, or switch off ` +
          `${keptClash.targetPlanName} with disabledPlans`,
      ),
    };
  }
  if (input.request.strategy !== 'overlap') return undefined;
  const clashes = conflictsWith(target, toRemove.map(asLicense), input.skus);
  if (clashes.length === 0) return undefined;
  const planIds = [...new Set(clashes.map((clash) => clash.targetPlanId))];
  const planNames = [...new Set(clashes.map((clash) => clash.targetPlanName))].join(', ');
  const heldNames = [...new Set(clashes.map((clash) => clash.heldPlanName))].join(', ');
  const removing = toRemove.map((holding) => name(holding.skuId)).join(', ');
  return {
    overlap: {
      add: [{ skuId: target.skuId, disabledPlans: union(target.disabledPlans, planIds) }],
      note: `${planNames} of ${targetName} stays off until ${removing} is removed in cleanup (it cannot be held together with ${heldNames})`,
    },
  };
}

/** "move from A to B (A removed once the new license is active)", in plain words. */
function changeAction({ input, targetName, name }: DecisionContext, removeIds: string[]): string {
  const { mode, strategy } = input.request;
  const removing = removeIds.map(name).join(', ');
  const action =
    removeIds.length === 0
      ? `add ${targetName}`
      : mode === 'swap'
        ? `move from ${removing} to ${targetName}`
        : `replace ${removing} with ${targetName}`;
  const timing =
    strategy === 'overlap' && removeIds.length > 0 ? ` (${removing} removed once the new license is active)` : '';
  return `${action}${timing}`;
}

/** Seats a change takes: targets the user did not hold at all before (re-adding a held license takes none). */
export function seatsTaken(user: PlannedUser): string[] {
  if (user.decision.kind !== 'change') return [];
  const held = new Set(user.before.map((license) => key(license.skuId)));
  return user.decision.add.map((license) => license.skuId).filter((skuId) => !held.has(key(skuId)));
}

/** Counts, seats and downgrades of a plan; the caller adds where the plan is stored and how many batches it has. */
export function summarisePlan(
  users: PlannedUser[],
  moves: ResolvedMove[],
  skus: TenantSku[],
  request: Pick<MigrationRequest, 'acknowledgeDataLoss'>,
): Omit<PlanSummary, 'planRef' | 'batchCount'> {
  const seatsNeeded: Record<string, number> = {};
  for (const move of moves) seatsNeeded[move.toSkuId] ??= 0;
  let toChange = 0;
  let skipped = 0;
  let blockedCount = 0;
  const removals = new Map<string, { move: number; from: string; to: string }>();
  for (const user of users) {
    if (user.decision.kind === 'skip') skipped += 1;
    else if (user.decision.kind === 'blocked') blockedCount += 1;
    else {
      toChange += 1;
      for (const skuId of seatsTaken(user)) seatsNeeded[skuId] = (seatsNeeded[skuId] ?? 0) + 1;
      const removed = [
        ...user.decision.remove,
        ...user.decision.removeLater,
        ...(user.decision.groupMove?.removes ?? []),
      ];
      for (const added of user.decision.add) {
        for (const from of removed) {
          removals.set(`${user.move}|${key(from)}|${key(added.skuId)}`, { move: user.move, from, to: added.skuId });
        }
      }
    }
  }
  const downgrades: DowngradeWarning[] = [];
  for (const removal of [...removals.values()].sort((a, b) => a.move - b.move)) {
    const from = skus.find((sku) => key(sku.skuId) === key(removal.from));
    const to = skus.find((sku) => key(sku.skuId) === key(removal.to));
    if (!from || !to) continue;
    const lostPlans = findLostPlans(from, to);
    if (lostPlans.length === 0) continue;
    downgrades.push({
      move: removal.move,
      fromSkuPartNumber: from.skuPartNumber,
      toSkuPartNumber: to.skuPartNumber,
      lostPlans,
    });
  }
  const losesData = downgrades.some((warning) => warning.lostPlans.some((plan) => plan.holdsData));
  return {
    moves,
    total: users.length,
    toChange,
    skipped,
    blocked: blockedCount,
    seatsNeeded,
    downgrades,
    needsDataLossAcknowledgement: losesData && !request.acknowledgeDataLoss,
  };
}

/** Ids of the users to change, in plan order, in batches of at most `batchSize` (one Graph $batch each). */
export function batchUsers(users: PlannedUser[], batchSize: number): string[][] {
  const size = Math.max(1, Math.floor(batchSize));
  // Users moved through groups are handled by the group stage, not by per-user batches.
  const ids = users
    .filter((user) => user.decision.kind === 'change' && !user.decision.groupMove)
    .map((user) => user.userId);
  const batches: string[][] = [];
  for (let start = 0; start < ids.length; start += size) batches.push(ids.slice(start, start + size));
  return batches;
}
