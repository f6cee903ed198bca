/**
 * What the group-move activities share (docs/group-moves.md): loading a unit of the plan with its users and record,
 * reading a user's assignment from a group, recording where each user stands, and the unit's status.
 */
import type { GroupUnitPlan } from '../domain/group-plan';
import { memberErrorMeaning } from '../domain/groups';
import type { UserResult } from '../domain/report';
import { skuNameById } from '../domain/skus';
import type {
  GroupMoveStep,
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
