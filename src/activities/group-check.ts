/**
 * Where a group unit's users are after its writes (docs/group-moves.md). Group licensing works in the background, so
 * the orchestrator asks this again on durable timers until nothing more will change:
 *
 * - addTarget: does each user hold the target from the group, Active and without error (or, in the documented
 *   E1 → E3 procedure, in the expected MutuallyExclusiveViolation)? Members with CountViolation wait for seats; once
 *   enough are free the group's license is sent again unchanged, so Entra processes the group again. Other member
 *   errors are final for that user, reported with their documented meaning.
 * - removeSource: is the source gone and the target still held without error? Then the user is moved.
 *
 * A restore unit (a rollback of users moved into a group) asks the same about the source it gives back: held again,
 * from a group the user rejoined or directly, before the user leaves the group; then gone from that group.
 */
import { memberErrorMeaning } from '../domain/groups';
import { freeSeats } from '../domain/skus';
import type { LicenseAssignmentState, UserLicenseSnapshot } from '../domain/types';
import type { GroupCheckInput, GroupStep, GroupUnitStatus } from '../domain/workflow';
import { currentIso } from '../clock';
import { readUsers } from './batch-range';
import type { ActivityDeps } from './deps';
import {
  close,
  directState,
  errorOf,
  fromGroup,
  isActiveWithoutError,
  key,
  loadUnit,
  memberFailure,
  notFinished,
  openUsers,
  stepOf,
  targetState,
  unitStatus,
  type UnitContext,
} from './group-unit';
import type { GroupUserRecord } from '../storage/migration-documents';

export async function checkGroupStep(deps: ActivityDeps, input: GroupCheckInput): Promise<GroupUnitStatus> {
  const context = await loadUnit(deps, input.migrationId, input.unit);
  const seen = await readUnit(deps, context, input.step);
  const checkedAt = currentIso(deps.clock);
  for (const user of seen.looked) {
    const now = seen.users.get(key(user.userId));
    if (now) judge(context, user, now, input.step, checkedAt);
    else if (seen.complete) {
      close(user, {
        kind: 'failed',
        errorClass: 'permanent',
        message: `the user is no longer a member of group ${context.unit.groupName} or no longer exists`,
      });
    }
  }
  await nudgeForSeats(deps, context, input.step, seen.processing);
  if (input.giveUp) giveUp(context, input.step, input.giveUp);
  await context.docs.saveGroupRecord(context.record);
  const status = unitStatus(context, input.step, seen.processing !== undefined ? { processing: seen.processing } : {});
  // A product change is settled only once Entra says the group is processed.
  if (context.unit.kind === 'product' && seen.processing !== 'ProcessingComplete' && !input.giveUp)
    status.settled = false;
  return status;
}

interface Seen {
  /** The users this check looked for: those waiting for this step's change. */
  looked: GroupUserRecord[];
  users: Map<string, UserLicenseSnapshot>;
  processing?: string;
  /** Every open user was looked at (a member missing from the list has left the group). */
  complete: boolean;
}

/**
 * A product change reads the group's members with their states (one list per 999 members, not one read per user);
 * users joining a group are read one by one (a direct read lags less behind their own group's processing).
 */
async function readUnit(deps: ActivityDeps, context: UnitContext, step: GroupStep): Promise<Seen> {
  const looked = openUsers(context).filter((user) =>
    step === 'addTarget' ? user.progress === 'joined' : user.progress === 'sourceRemoved',
  );
  if (context.unit.kind === 'product') {
    const group = await deps.graph.getGroup(context.unit.groupId);
    const processing = group?.licenseProcessingState ?? undefined;
    const known = processing ? { processing } : {};
    if (looked.length === 0) return { looked, users: new Map(), complete: false, ...known };
    const members = await deps.graph.listGroupMembers(context.unit.groupId);
    const users = new Map(members.users.map((user) => [key(user.id), user]));
    return { looked, users, complete: processing === 'ProcessingComplete', ...known };
  }
  const ids = looked.map((user) => user.userId);
  const users = ids.length > 0 ? await readUsers(deps, ids) : new Map<string, UserLicenseSnapshot>();
  return { looked, users, complete: true };
}

function judge(
  context: UnitContext,
  user: GroupUserRecord,
  now: UserLicenseSnapshot,
  step: GroupStep,
  checkedAt: string,
): void {
  if (step === 'addTarget' && user.progress === 'joined') judgeTarget(context, user, now, checkedAt);
  if (step === 'removeSource' && user.progress === 'sourceRemoved') judgeSource(context, user, now);
}

function judgeTarget(context: UnitContext, user: GroupUserRecord, now: UserLicenseSnapshot, checkedAt: string): void {
  const { unit, name } = context;
  const state = targetState(context, user.userId, now);
  const step = stepOf(context, user.userId);
  const error = errorOf(state);
  const expected =
    (step?.kind === 'join' || step?.kind === 'restore') &&
    step.expectConflict &&
    error === 'MutuallyExclusiveViolation';
  if (isActiveWithoutError(state) || expected) {
    user.progress = 'targetHeld';
    delete user.memberError;
    user.result = notFinished(heldWords(context, expected));
    return;
  }
  if (!error || olderThanReprocess(user, state, checkedAt)) return;
  if (memberErrorMeaning(error).waitsForSeats) {
    user.memberError = error;
    user.result = notFinished(
      `waiting for free ${name(unit.toSkuId)} licenses (group licensing recorded CountViolation); ${name(unit.fromSkuId)} stays`,
    );
    return;
  }
  close(user, memberFailure(context, error, now, `${name(unit.fromSkuId)} was kept`));
}

/**
 * After a reprocess, an error stamped before it is what Entra recorded earlier (reads lag behind). It is trusted
 * anyway once the reprocess is this old, in case Graph does not restamp an unchanged error or the clocks disagree.
 */
const REPROCESS_SETTLE_MS = 5 * 60_000;

function olderThanReprocess(
  user: GroupUserRecord,
  state: LicenseAssignmentState | undefined,
  checkedAt: string,
): boolean {
  if (!user.reprocessedAt) return false;
  if (Date.parse(checkedAt) - Date.parse(user.reprocessedAt) >= REPROCESS_SETTLE_MS) return false;
  const stamped = state?.lastUpdatedDateTime;
  return stamped === undefined || Date.parse(stamped) < Date.parse(user.reprocessedAt);
}

/** Where a user stands once it holds the target (or has it in the documented conflict), if the run ends there. */
function heldWords(context: UnitContext, expected: boolean): string {
  const { unit, name } = context;
  const [to, from] = [name(unit.toSkuId), name(unit.fromSkuId)];
  if (unit.kind === 'restore') {
    return expected
      ? `${to} is back but waits (MutuallyExclusiveViolation, as documented) for the user to leave group ${unit.groupName}; the run ended before it left`
      : `holds ${to} again next to ${from} from group ${unit.groupName}; the run ended before it left the group`;
  }
  return expected
    ? `in group ${unit.groupName}, whose ${to} waits (MutuallyExclusiveViolation, as documented) for ${from} to go; the run ended before it was removed`
    : `holds ${to} from group ${unit.groupName} next to ${from}; the run ended before ${from} was removed`;
}

function judgeSource(context: UnitContext, user: GroupUserRecord, now: UserLicenseSnapshot): void {
  const { unit, name } = context;
  const target = targetState(context, user.userId, now);
  const error = errorOf(target);
  if (error) {
    close(
      user,
      memberFailure(
        context,
        error,
        now,
        unit.kind === 'restore'
          ? `the user left group ${unit.groupName}, but the ${name(unit.toSkuId)} it got back is in error`
          : `${name(unit.fromSkuId)} is gone, but ${name(unit.toSkuId)} from group ${unit.groupName} is in error`,
      ),
    );
    return;
  }
  if (!isActiveWithoutError(target) || sourceStillThere(context, user, now)) return;
  close(user, { kind: 'moved', after: now.assignedLicenses });
}

function sourceStillThere(context: UnitContext, user: GroupUserRecord, now: UserLicenseSnapshot): boolean {
  const { unit } = context;
  const step = stepOf(context, user.userId);
  if (unit.kind === 'product') return fromGroup(now, unit.fromSkuId, unit.groupId) !== undefined;
  if (step === undefined || step.kind === 'product') return false;
  const direct = step.removeDirect.some((skuId) => directState(now, skuId) !== undefined);
  return direct || step.leave.some((group) => fromGroup(now, unit.fromSkuId, group.groupId) !== undefined);
}

/**
 * Members in CountViolation get the target once seats are free and the group is processed again: when enough seats
 * are free, the group's license is sent again unchanged (at most once per check), which queues that processing.
 */
async function nudgeForSeats(
  deps: ActivityDeps,
  context: UnitContext,
  step: GroupStep,
  processing?: string,
): Promise<void> {
  const waitingUsers = openUsers(context).filter((user) => user.memberError !== undefined);
  const waiting = waitingUsers.length;
  if (step !== 'addTarget' || waiting === 0 || (processing !== undefined && processing !== 'ProcessingComplete'))
    return;
  const sku = (await deps.graph.listSubscribedSkus()).find(
    (candidate) => key(candidate.skuId) === key(context.unit.toSkuId),
  );
  if (!sku || freeSeats(sku) < waiting) return;
  for (const groupId of groupsGiving(context, waitingUsers)) {
    const group = await deps.graph.getGroup(groupId);
    const license = group?.assignedLicenses.find((held) => key(held.skuId) === key(context.unit.toSkuId));
    if (!license) continue;
    await deps.graph.assignGroupLicense(groupId, [license], []);
    context.record.nudgedAt = currentIso(deps.clock);
    deps.log.info('Sent the group license again so that members waiting for seats are processed', {
      groupId,
      waiting,
    });
  }
}

/** The groups that give the waiting users the target: the unit's group, or (restore) the groups they rejoined. */
function groupsGiving(context: UnitContext, users: GroupUserRecord[]): string[] {
  if (context.unit.kind !== 'restore') return [context.unit.groupId];
  const groups = new Map<string, string>();
  for (const user of users) {
    const step = stepOf(context, user.userId);
    if (step?.kind === 'restore') for (const group of step.join) groups.set(key(group.groupId), group.groupId);
  }
  return [...groups.values()];
}

/** The wait is over: users still open are recorded as not finished, each with where it stopped. */
function giveUp(context: UnitContext, step: GroupStep, reason: string): void {
  const { unit, name } = context;
  for (const user of openUsers(context)) {
    const where =
      step === 'addTarget'
        ? user.memberError
          ? `group licensing still records ${user.memberError} for ${name(unit.toSkuId)}; ${name(unit.fromSkuId)} stays`
          : `${name(unit.toSkuId)} from group ${unit.groupName} has not reached the user; ${name(unit.fromSkuId)} stays`
        : `${name(unit.fromSkuId)} was removed, but the change has not been seen on the user yet`;
    close(user, {
      kind: 'failed',
      errorClass: 'retryable',
      message: `${reason}: ${where}. Check the group's processing in the Microsoft 365 admin center, then run the migration again (it resumes where this one stopped)`,
      ...(user.memberError ? { graphErrorCode: user.memberError } : {}),
    });
  }
}
