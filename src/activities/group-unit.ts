/**
 * What the group-move activities share (docs/group-moves.md): loading a unit of the plan with its users and record,
 * reading a user's assignment from a group, recording where each user stands, and the unit's status.
 */
import type { GroupUnitPlan } from '../domain/group-plan';
import { noChanges, type GroupUserChanges } from '../domain/group-rollback';
import { memberErrorMeaning } from '../domain/groups';
import type { UserResult } from '../domain/report';
import { skuNameById } from '../domain/skus';
import type {
  AssignedLicense,
  GroupMoveStep,
  GroupRef,
  LicenseAssignmentState,
  PlannedUser,
  TenantSku,
  UserLicenseSnapshot,
} from '../domain/types';
import type { GroupStep, GroupUnitStatus } from '../domain/workflow';
import type { GraphErrorInfo } from '../graph';
import type { GroupUnitRecord, GroupUserRecord, MigrationDocuments } from '../storage/migration-documents';
import { failedResult } from './batch-range';
import { documentsFor, type ActivityDeps } from './deps';

export interface UnitContext {
  docs: MigrationDocuments;
  unit: GroupUnitPlan;
  /** The unit's planned users, by lower-cased id. */
  planned: Map<string, PlannedUser>;
  /** The unit's planned users in plan order. */
  users: PlannedUser[];
  record: GroupUnitRecord;
  skus: TenantSku[];
  name: (skuId: string) => string;
}

export const key = (id: string): string => id.toLowerCase();

export async function loadUnit(deps: ActivityDeps, migrationId: string, unit: number): Promise<UnitContext> {
  const docs = documentsFor(deps, migrationId);
  const { plan } = await docs.settled();
  const unitPlan = plan.groups?.[unit];
  if (!unitPlan) throw new Error(`Migration ${migrationId} has no group unit ${unit}`);
  const users = await docs.groupUsers(unit);
  const record = (await docs.groupRecord(unit)) ?? {
    unit,
    recordsChanges: true,
    users: users.map((user): GroupUserRecord => ({
      userId: user.userId,
      before: user.before,
      progress: 'pending',
      result: { kind: 'notAttempted', reason: 'not changed: the run ended before this user was handled' },
    })),
  };
  return {
    docs,
    unit: unitPlan,
    planned: new Map(users.map((user) => [key(user.userId), user])),
    users,
    record,
    skus: plan.skus,
    name: (skuId) => skuNameById(skuId, plan.skus),
  };
}

export function stepOf(context: UnitContext, userId: string): GroupMoveStep | undefined {
  const planned = context.planned.get(key(userId));
  return planned?.decision.kind === 'change' ? planned.decision.groupMove : undefined;
}

export function recordOf(context: UnitContext, userId: string): GroupUserRecord | undefined {
  return context.record.users.find((user) => key(user.userId) === key(userId));
}

/** Users of the unit still to work on. */
export function openUsers(context: UnitContext): GroupUserRecord[] {
  return context.record.users.filter((user) => !user.closed);
}

/** The user's assignment of a SKU from a group, if any. */
export function fromGroup(
  user: UserLicenseSnapshot,
  skuId: string,
  groupId: string,
): LicenseAssignmentState | undefined {
  return user.licenseAssignmentStates.find(
    (state) =>
      key(state.skuId) === key(skuId) && state.assignedByGroup !== null && key(state.assignedByGroup) === key(groupId),
  );
}

/**
 * The user's assignment of the unit's target where the unit gives it: from the unit's group; for a restore, from a
 * source that stays once the user leaves (a group it rejoined, a direct assignment), the best of them.
 */
export function targetState(
  context: UnitContext,
  userId: string,
  user: UserLicenseSnapshot,
): LicenseAssignmentState | undefined {
  const { unit } = context;
  const step = stepOf(context, userId);
  if (step?.kind !== 'restore') return fromGroup(user, unit.toSkuId, unit.groupId);
  const staying = user.licenseAssignmentStates.filter(
    (state) =>
      key(state.skuId) === key(unit.toSkuId) &&
      (state.assignedByGroup === null
        ? !step.removeDirect.some((skuId) => key(skuId) === key(state.skuId))
        : !step.leave.some((group) => key(group.groupId) === key(state.assignedByGroup ?? ''))),
  );
  return staying.find(isActiveWithoutError) ?? staying.find((state) => errorOf(state) !== undefined) ?? staying[0];
}

/** The user's direct assignment of a SKU, with its disabled plans. */
export function directState(user: UserLicenseSnapshot, skuId: string): LicenseAssignmentState | undefined {
  return user.licenseAssignmentStates.find(
    (state) => state.assignedByGroup === null && key(state.skuId) === key(skuId),
  );
}

/** Whether the user has any assignment from the group (licensing groups: every direct member has one). */
export function inheritsFrom(user: UserLicenseSnapshot, groupId: string): boolean {
  return user.licenseAssignmentStates.some(
    (state) => state.assignedByGroup !== null && key(state.assignedByGroup) === key(groupId),
  );
}

type ChangeOf =
  { joined: GroupRef } | { left: GroupRef } | { removedDirect: AssignedLicense } | { addedDirect: AssignedLicense };

/** Records what a write that landed changed for the user (once: a retried write records nothing twice). */
export function noteChange(user: GroupUserRecord, change: ChangeOf): void {
  const changes: GroupUserChanges = (user.changes ??= noChanges());
  const groupIn = (list: GroupRef[], group: GroupRef): void => {
    if (!list.some((g) => key(g.groupId) === key(group.groupId))) list.push({ ...group });
  };
  const licenseIn = (list: AssignedLicense[], license: AssignedLicense): void => {
    // The first record wins: it is the state before this run's write.
    if (!list.some((l) => key(l.skuId) === key(license.skuId)))
      list.push({ skuId: license.skuId, disabledPlans: [...license.disabledPlans] });
  };
  if ('joined' in change) groupIn(changes.joined, change.joined);
  else if ('left' in change) groupIn(changes.left, change.left);
  else if ('removedDirect' in change) licenseIn(changes.removedDirect, change.removedDirect);
  else licenseIn(changes.addedDirect, change.addedDirect);
}

export function isActiveWithoutError(state: LicenseAssignmentState | undefined): boolean {
  return state !== undefined && state.state === 'Active' && (state.error === null || state.error === 'None');
}

export function errorOf(state: LicenseAssignmentState | undefined): string | undefined {
  if (!state) return undefined;
  if (state.error !== null && state.error !== 'None') return state.error;
  return state.state === 'Error' || state.state === 'ActiveWithError' ? 'Other' : undefined;
}

/** Where the user stands when the run stops there (shown in the report until the user is finished). */
export function notFinished(reason: string): UserResult {
  return { kind: 'notAttempted', reason };
}

export function close(user: GroupUserRecord, result: UserResult): void {
  user.result = result;
  user.closed = true;
  delete user.memberError;
}

/** A member error for the target, with its documented meaning and what to do. */
export function memberFailure(
  context: UnitContext,
  code: string,
  after: UserLicenseSnapshot | undefined,
  lead: string,
): UserResult {
  const meaning = memberErrorMeaning(code);
  const result: UserResult = {
    kind: 'failed',
    errorClass: 'userFixable',
    message: `${lead}: group licensing recorded ${code} for ${context.name(context.unit.toSkuId)} — ${meaning.meaning}. ${capitalise(meaning.action)}.`,
    graphErrorCode: code,
  };
  if (after) result.after = after.assignedLicenses;
  return result;
}

export function writeFailure(error: GraphErrorInfo, lead: string): UserResult {
  const result = failedResult(error);
  if (result.kind === 'failed') result.message = `${lead}: ${result.message}`;
  return result;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The unit's status from its record, plus what a check saw. */
export function unitStatus(
  context: UnitContext,
  step: GroupStep,
  seen: { pending?: number; processing?: string; settled?: boolean; cancelled?: boolean } = {},
): GroupUnitStatus {
  const users = context.record.users;
  const count = (predicate: (user: GroupUserRecord) => boolean): number => users.filter(predicate).length;
  const reached =
    step === 'addTarget'
      ? count((u) => u.progress === 'targetHeld' || u.progress === 'sourceRemoved' || u.result.kind === 'moved')
      : count((u) => u.result.kind === 'moved');
  const waitingForSeats = count((u) => !u.closed && u.memberError !== undefined);
  const pending = seen.pending ?? count((u) => !u.closed && u.memberError === undefined && !reachedStep(u, step));
  const status: GroupUnitStatus = {
    unit: context.unit.unit,
    step,
    total: users.length,
    reached,
    pending,
    waitingForSeats,
    moved: count((u) => u.result.kind === 'moved'),
    failed: count((u) => u.result.kind === 'failed'),
    notFinished: count((u) => u.closed === true && u.result.kind !== 'moved' && u.result.kind !== 'failed'),
    settled: seen.settled ?? (pending === 0 && waitingForSeats === 0),
    cancelled: seen.cancelled ?? false,
  };
  if (seen.processing !== undefined) status.processing = seen.processing;
  return status;
}

function reachedStep(user: GroupUserRecord, step: GroupStep): boolean {
  return step === 'addTarget' ? user.progress === 'targetHeld' || user.progress === 'sourceRemoved' : false;
}
