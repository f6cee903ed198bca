/**
 * Undoing a run, and choosing whom to retry. Pure: the rollback planner reads the original run's records and the
 * users' current licenses and passes them in.
 *
 * A rollback is a normal run whose plan comes from the original's per-user records (the licenses each user held just
 * before the original's write, and just after) instead of a request's moves. For every user the original changed, it
 * restores the recorded before-state with one atomic `assignLicense`: it adds what the original removed (with the
 * disabled plans the user had) and removes what the original added. A user whose licenses differ from the recorded
 * after-state was changed by someone else since: left alone ("changed since"), unless `force`.
 *
 * Records are per kind of change, and each kind has its restorer in `RESTORERS`: user licenses (below), restored in
 * the rollback's batches; a group's product and users moved into a group (src/domain/group-rollback.ts), restored by
 * the group stage as group moves of their own, reversed.
 */
import { directlyHeld, sameLicenses } from './apply';
import type { GroupUnitPlan } from './group-plan';
import {
  restoreGroupMembership,
  restoreGroupProduct,
  type GroupMembershipRecord,
  type GroupProductRecord,
} from './group-rollback';
import type { GroupFacts } from './groups';
import { skuNameById } from './skus';
import type {
  AssignedLicense,
  BlockReasonCode,
  PlannedUser,
  ResolvedMove,
  TenantSku,
  UserLicenseSnapshot,
} from './types';

/** What the original run recorded for one user whose licenses it wrote directly. */
export interface UserLicensesRecord {
  kind: 'userLicenses';
  userId: string;
  userPrincipalName: string;
  /** The original's move index. */
  move: number;
  /** Licenses held just before the original's write. */
  before: AssignedLicense[];
  /** Licenses held just after it, when known (a failed write may have landed without an answer). */
  after?: AssignedLicense[];
}

export interface RestoreContext {
  current: UserLicenseSnapshot | undefined;
  force: boolean;
  skus: TenantSku[];
}

/** Every kind of record a rollback restores from. */
export type ChangeRecord = UserLicensesRecord | GroupProductRecord | GroupMembershipRecord;

/** A group as it is now, as far as restoring needs it. */
export interface GroupNow {
  facts: GroupFacts;
  /** Ids (lower-cased) of its direct user members, where read (groups whose product is restored). */
  members?: ReadonlySet<string>;
}

/** What the rollback planner read now, for records of any kind. */
export interface RollbackContext {
  force: boolean;
  skus: TenantSku[];
  /** Users as they are now, by lower-cased id (absent: no longer in the tenant). */
  users: ReadonlyMap<string, UserLicenseSnapshot>;
  /** Groups as they are now, by lower-cased id (undefined: no longer in the tenant). */
  groups: ReadonlyMap<string, GroupNow | undefined>;
  /** The index the next group unit of the rollback's plan gets. */
  unit: number;
}

/** What a restorer plans for one record: its users' lines, and for group records the group unit that restores them. */
export interface Restoration {
  users: PlannedUser[];
  unit?: GroupUnitPlan;
  /** Said in the run's final message too (a part that cannot be restored automatically). */
  note?: string;
}

type RestorerOf<K extends ChangeRecord['kind']> = (
  record: Extract<ChangeRecord, { kind: K }>,
  context: RollbackContext,
) => Restoration;

const key = (id: string): string => id.toLowerCase();

function names(licenses: readonly AssignedLicense[], skus: TenantSku[]): string {
  if (licenses.length === 0) return 'no license';
  return licenses
    .map((license) => {
      const name = skuNameById(license.skuId, skus);
      return license.disabledPlans.length > 0 ? `${name} (${license.disabledPlans.length} plans off)` : name;
    })
    .join(', ');
}

/** The restore of one user's licenses: add back what was removed, remove what was added, in one call. */
export function restoreUserLicenses(record: UserLicensesRecord, context: RestoreContext): PlannedUser {
  const { current, force, skus } = context;
  const planned = (decision: PlannedUser['decision']): PlannedUser => ({
    userId: record.userId,
    userPrincipalName: current?.userPrincipalName ?? record.userPrincipalName,
    move: record.move,
    decision,
    before: current
      ? current.assignedLicenses.map((l) => ({ skuId: l.skuId, disabledPlans: [...l.disabledPlans] }))
      : [],
  });
  const blocked = (code: BlockReasonCode, reason: string) => planned({ kind: 'blocked', code, reason });
  if (!current)
    return blocked('userNotFound', 'the user no longer exists in this tenant, so there is nothing to restore');
  if (sameLicenses(current.assignedLicenses, record.before)) {
    return planned({ kind: 'skip', reason: 'already holds what it held before the original run; nothing to restore' });
  }
  if (!force) {
    const unchanged = record.after !== undefined && sameLicenses(current.assignedLicenses, record.after);
    if (!unchanged) {
      const was =
        record.after === undefined
          ? 'what it held after the original run is not known (its write failed)'
          : `it held ${names(record.after, skus)} after the original run`;
      return planned({
        kind: 'skip',
        reason: `changed since the original run: ${was} and holds ${names(current.assignedLicenses, skus)} now; left alone (roll back with force: true to restore it anyway)`,
      });
    }
  }
  const held = (license: AssignedLicense) => current.assignedLicenses.some((now) => sameLicenses([now], [license]));
  const add = record.before
    .filter((license) => !held(license))
    .map((l) => ({ skuId: l.skuId, disabledPlans: [...l.disabledPlans] }));
  const wanted = new Set(record.before.map((license) => key(license.skuId)));
  const remove = [...directlyHeld(current)]
    .filter((skuId) => !wanted.has(skuId))
    .map((skuId) => current.assignedLicenses.find((l) => key(l.skuId) === skuId)?.skuId ?? skuId);
  if (add.length === 0 && remove.length === 0) {
    return planned({
      kind: 'skip',
      reason: 'differs from its before-state only in licenses that come from groups; nothing to restore directly',
    });
  }
  const words = [
    ...(add.length > 0 ? [`add back ${names(add, skus)}`] : []),
    ...(remove.length > 0 ? [`remove ${remove.map((id) => skuNameById(id, skus)).join(', ')}`] : []),
  ];
  const decision: PlannedUser['decision'] = {
    kind: 'change',
    add,
    remove,
    removeLater: [],
    reason: `restore the licenses held before the original run: ${words.join('; ')}`,
  };
  if (!force)
    decision.onlyIfHolding = current.assignedLicenses.map((l) => ({
      skuId: l.skuId,
      disabledPlans: [...l.disabledPlans],
    }));
  return planned(decision);
}

/** Restorers by record kind. */
export const RESTORERS: { [K in ChangeRecord['kind']]: RestorerOf<K> } = {
  userLicenses: (record, context) => ({
    users: [
      restoreUserLicenses(record, {
        current: context.users.get(key(record.userId)),
        force: context.force,
        skus: context.skus,
      }),
    ],
  }),
  groupProduct: restoreGroupProduct,
  groupMembership: restoreGroupMembership,
};

/** Plans the restore of one record with the restorer of its kind. */
export function restore(record: ChangeRecord, context: RollbackContext): Restoration {
  // Each restorer takes only its own kind, which record.kind selects; TypeScript cannot follow that correlation.
  const restorer = RESTORERS[record.kind] as (record: ChangeRecord, context: RollbackContext) => Restoration;
  return restorer(record, context);
}

/** The rollback's plan from every record: users' lines, the group units (numbered in order), and notes for the run. */
export function restoreAll(
  records: readonly ChangeRecord[],
  now: Omit<RollbackContext, 'unit'>,
): { planned: PlannedUser[]; units: GroupUnitPlan[]; notes: string[] } {
  const planned: PlannedUser[] = [];
  const units: GroupUnitPlan[] = [];
  const notes: string[] = [];
  for (const record of records) {
    const restored = restore(record, { ...now, unit: units.length });
    planned.push(...restored.users);
    if (restored.unit) units.push(restored.unit);
    if (restored.note && !notes.includes(restored.note)) notes.push(restored.note);
  }
  return { planned, units, notes };
}

/** Only the given users' records (a retried rollback); a group's product goes back for all its members or none. */
export function limitToUsers(records: readonly ChangeRecord[], userIds: readonly string[]): ChangeRecord[] {
  const wanted = new Set(userIds.map(key));
  return records.flatMap((record): ChangeRecord[] => {
    if (record.kind === 'userLicenses') return wanted.has(key(record.userId)) ? [record] : [];
    if (record.kind === 'groupProduct') return record.members.some((m) => wanted.has(key(m.userId))) ? [record] : [];
    const users = record.users.filter((user) => wanted.has(key(user.userId)));
    return users.length > 0 ? [{ ...record, users }] : [];
  });
}

/** The restore of one user license record (what the rollback's batches write). */
export function planRestore(record: UserLicensesRecord, context: RestoreContext): PlannedUser {
  return restoreUserLicenses(record, context);
}

/**
 * The rollback's moves: each of the original's, reversed (from its target back to its source), so the purchase check
 * counts the seats of the source subscription and reports name the way back. A replace move without a source gets the
 * first license its users get back as its target; one whose users get nothing back is left out.
 */
export function rollbackMoves(original: readonly ResolvedMove[], planned: readonly PlannedUser[]): ResolvedMove[] {
  const moves: ResolvedMove[] = [];
  for (const move of original) {
    let toSkuId = move.fromSkuId;
    let toSkuPartNumber = move.fromSkuPartNumber;
    if (!toSkuId) {
      const restored = planned.find((user) => user.move === move.move && user.decision.kind === 'change');
      const first = restored?.decision.kind === 'change' ? restored.decision.add[0] : undefined;
      if (!first) continue;
      toSkuId = first.skuId;
      toSkuPartNumber = undefined;
    }
    moves.push({
      move: move.move,
      fromSkuId: move.toSkuId,
      fromSkuPartNumber: move.toSkuPartNumber,
      toSkuId,
      toSkuPartNumber: toSkuPartNumber ?? toSkuId,
      disabledPlanIds: [],
    });
  }
  return moves;
}

/**
 * Block reasons that may have been fixed since (a usage location set, an account enabled, a group assignment or a
 * clashing license removed): a retry plans those users again. A foreign domain, a missing user or a source the user
 * does not hold are not retried.
 */
export const RETRYABLE_BLOCKS: readonly BlockReasonCode[] = [
  'noUsageLocation',
  'accountDisabled',
  'inheritedFromGroup',
  'conflictingLicense',
];

/** Whether a report row of the original is retried: failed, or blocked for a reason that may have been fixed. */
export function isRetried(row: { outcome: string; blockCode?: BlockReasonCode }): boolean {
  return (
    row.outcome === 'failed' ||
    (row.outcome === 'blocked' && row.blockCode !== undefined && RETRYABLE_BLOCKS.includes(row.blockCode))
  );
}
