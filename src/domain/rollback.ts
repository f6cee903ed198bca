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
 * Records are per kind of change. User license records (below) are the only kind today; the group moves of the
 * group-licensing work will record group memberships and group licenses, and plug in a restorer of their own for
 * their record kind (see `RESTORERS`), planned into the same waves.
 */
import { directlyHeld, sameLicenses } from './apply';
import { skuNameById } from './skus';
import type {
  AssignedLicense,
  BlockReasonCode,
  PlannedUser,
  ResolvedMove,
  TenantSku,
  UserLicenseSnapshot,
} from './types';

/** What the original run recorded for one user it wrote to. */
export interface ChangeRecord {
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

export type Restorer = (record: ChangeRecord, context: RestoreContext) => PlannedUser;

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
export function restoreUserLicenses(record: ChangeRecord, context: RestoreContext): PlannedUser {
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

/** Restorers by record kind; group moves add theirs here. */
export const RESTORERS: Record<ChangeRecord['kind'], Restorer> = { userLicenses: restoreUserLicenses };

export function planRestore(record: ChangeRecord, context: RestoreContext): PlannedUser {
  return RESTORERS[record.kind](record, context);
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
