/**
 * The writes of group moves (docs/group-moves.md), one step of one unit at a time:
 *
 * - product change, addTarget: the group assigns the target next to the source (clashing plans off);
 *   removeSource: once every member holds it, one assignLicense on the group removes the source and switches the
 *   plans on. A group with members in error keeps both products: removing the source would leave them without it.
 * - join, addTarget: users join the group (a usage location set first when the request gives one);
 *   removeSource: users who hold the target from the group lose the direct source and leave the source groups.
 *
 * - restore (a rollback of users moved into a group), addTarget: users get their source back (group-restore.ts);
 *   removeSource: users who hold it again leave the group and lose what the original assigned directly.
 *
 * Every write reads the current state first and Graph's "already a member" / "not a member" answers count as done,
 * so a retried or resumed step never adds or removes twice. What each write changed is recorded as it lands (the
 * group's licenses before and after, each user's memberships and direct licenses): a rollback restores it.
 */
import { sameLicenses } from '../domain/apply';
import { GROUP_CHUNK_SIZE } from '../domain/group-plan';
import type { AssignedLicense, GroupMoveStep, UserLicenseSnapshot } from '../domain/types';
import type { GroupStepInput, GroupUnitStatus } from '../domain/workflow';
import { GraphRequestError, type AssignLicenseItem, type GraphErrorInfo } from '../graph';
import type { GroupUserRecord } from '../storage/migration-documents';
import { currentIso } from '../clock';
import { inParallel } from '../util/parallel';
import { graphErrorInfo, readUsers } from './batch-range';
import type { ActivityDeps } from './deps';
import { rejoinSources } from './group-restore';
import {
  close,
  directState,
  isActiveWithoutError,
  key,
  loadUnit,
  notFinished,
  noteChange,
  openUsers,
  recordOf,
  stepOf,
  targetState,
  unitStatus,
  writeFailure,
  type UnitContext,
} from './group-unit';

export async function groupStep(deps: ActivityDeps, input: GroupStepInput): Promise<GroupUnitStatus> {
  const context = await loadUnit(deps, input.migrationId, input.unit);
  if ((await context.docs.control())?.cancelRequested) return unitStatus(context, input.step, { cancelled: true });
  if (context.unit.kind === 'product') {
    if (input.chunk === 0 && input.step === 'addTarget') await addProductTarget(deps, context);
    if (input.chunk === 0 && input.step === 'removeSource') await removeProductSource(deps, context);
  } else {
    const slice = context.users.slice(input.chunk * GROUP_CHUNK_SIZE, (input.chunk + 1) * GROUP_CHUNK_SIZE);
    const ids = new Set(slice.map((user) => key(user.userId)));
    const records = openUsers(context).filter((user) => ids.has(key(user.userId)));
    if (input.step === 'removeSource') await releaseSources(deps, context, records);
    else if (context.unit.kind === 'restore') await rejoinSources(deps, context, records);
    else await joinUsers(deps, context, records);
  }
  await context.docs.saveGroupRecord(context.record);
  deps.log.info('Group step', {
    migrationId: input.migrationId,
    unit: input.unit,
    step: input.step,
    chunk: input.chunk,
  });
  return unitStatus(context, input.step);
}

const samePlans = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((plan) => b.some((other) => key(other) === key(plan)));

const holdsLicense = (licenses: AssignedLicense[], wanted: AssignedLicense): boolean =>
  licenses.some((held) => key(held.skuId) === key(wanted.skuId) && samePlans(held.disabledPlans, wanted.disabledPlans));

/** A group's licenses once an assignLicense with these adds and removes has landed. */
function applied(licenses: readonly AssignedLicense[], add: AssignedLicense[], remove: string[]): AssignedLicense[] {
  const next = licenses
    .filter((held) => !remove.some((skuId) => key(skuId) === key(held.skuId)))
    .filter((held) => !add.some((license) => key(license.skuId) === key(held.skuId)));
  return [...next, ...add].map((license) => ({ skuId: license.skuId, disabledPlans: [...license.disabledPlans] }));
}

/**
 * Records the group's licenses as this step finds them (the first time: the state before the run's writes) and saves
 * the record before the step's write, so that a write that lands just before a crash is never recorded as "before".
 */
async function recordGroupLicenses(context: UnitContext, now: AssignedLicense[]): Promise<void> {
  // A record begun before changes were recorded stays that way: half a record would restore the wrong state.
  if (!context.record.recordsChanges) return;
  if (context.record.groupLicenses) {
    context.record.groupLicenses.after = applied(now, [], []);
    return;
  }
  context.record.groupLicenses = { before: applied(now, [], []), after: applied(now, [], []) };
  await context.docs.saveGroupRecord(context.record);
}

/**
 * The write-time guard of a rollback without force (`onlyIfAssigns`): the group must still assign what it assigned
 * when the rollback was planned (or that plus this step's own first write, found again on a resume).
 */
function changedSincePlanned(context: UnitContext, now: AssignedLicense[], first: AssignedLicense): string | undefined {
  const planned = context.unit.onlyIfAssigns;
  if (!planned || context.record.targetAddedAt !== undefined) return undefined;
  if (sameLicenses(now, planned) || sameLicenses(now, applied(planned, [first], []))) return undefined;
  const { name } = context;
  const list = (licenses: AssignedLicense[]) =>
    licenses.map((license) => name(license.skuId)).join(', ') || 'no license';
  return `changed since the original run: when the group stage reached it, group ${context.unit.groupName} assigned ${list(now)} instead of ${list(planned)} (someone else changed it after the rollback was planned); left alone (roll back with force: true to restore it anyway)`;
}

/** Sends a group license change; on a failure, reads the group back: the change may have landed. */
async function changeGroupLicense(
  deps: ActivityDeps,
  context: UnitContext,
  add: AssignedLicense[],
  remove: string[],
): Promise<GraphErrorInfo | undefined> {
  const { groupId } = context.unit;
  try {
    await deps.graph.assignGroupLicense(groupId, add, remove);
    return undefined;
  } catch (error) {
    const group = await deps.graph.getGroup(groupId);
    const landed =
      group !== undefined &&
      add.every((license) => holdsLicense(group.assignedLicenses, license)) &&
      remove.every((skuId) => !group.assignedLicenses.some((held) => key(held.skuId) === key(skuId)));
    if (landed) return undefined;
    if (error instanceof GraphRequestError) return error.info;
    return graphErrorInfo(error);
  }
}

async function addProductTarget(deps: ActivityDeps, context: UnitContext): Promise<void> {
  const { unit, name } = context;
  const first = unit.addFirst ?? { skuId: unit.toSkuId, disabledPlans: [] };
  const group = await deps.graph.getGroup(unit.groupId);
  const failAll = (message: string): void => {
    for (const user of openUsers(context)) close(user, { kind: 'failed', errorClass: 'permanent', message });
  };
  if (!group) return failAll(`the group ${unit.groupId} no longer exists; nothing was changed`);
  const changed = changedSincePlanned(context, group.assignedLicenses, first);
  if (changed) {
    for (const user of openUsers(context)) close(user, { kind: 'skipped', reason: changed, after: user.before });
    return;
  }
  await recordGroupLicenses(context, group.assignedLicenses);
  const assignsSource = group.assignedLicenses.some((held) => key(held.skuId) === key(unit.fromSkuId));
  // A group already past this step (the source gone) is never taken back to the first state.
  if (!holdsLicense(group.assignedLicenses, first) && assignsSource) {
    const error = await changeGroupLicense(deps, context, [first], []);
    if (error) {
      for (const user of openUsers(context)) {
        close(
          user,
          writeFailure(error, `${name(unit.toSkuId)} could not be added to the group; ${name(unit.fromSkuId)} stays`),
        );
      }
      return;
    }
    await recordGroupLicenses(context, applied(group.assignedLicenses, [first], []));
  }
  context.record.targetAddedAt ??= currentIso(deps.clock);
  for (const user of openUsers(context)) {
    if (user.progress === 'pending') {
      user.progress = 'joined';
      user.result = notFinished(
        `${name(unit.toSkuId)} was added to group ${unit.groupName}; the run ended before it reached this user (${name(unit.fromSkuId)} stays)`,
      );
    }
  }
}

/** The members that keep the group from dropping its source, and why. */
function productBlockers(context: UnitContext): GroupUserRecord[] {
  return context.record.users.filter(
    (user) =>
      user.result.kind === 'failed' ||
      (!user.closed && user.progress !== 'targetHeld' && user.progress !== 'sourceRemoved'),
  );
}

async function removeProductSource(deps: ActivityDeps, context: UnitContext): Promise<void> {
  const { unit, name } = context;
  // The target never went onto the group (left alone as changed since, or the group was gone): nothing may go.
  if (context.record.targetAddedAt === undefined) return;
  const blockers = productBlockers(context);
  if (blockers.length > 0) {
    const reason = `group ${unit.groupName} keeps both ${name(unit.fromSkuId)} and ${name(unit.toSkuId)}: ${blockers.length} member${blockers.length === 1 ? '' : 's'} did not get ${name(unit.toSkuId)} (see their rows), and removing ${name(unit.fromSkuId)} would leave them without it. Fix them, then run the migration again`;
    for (const user of openUsers(context)) close(user, notFinished(reason));
    return;
  }
  const group = await deps.graph.getGroup(unit.groupId);
  const final = unit.addFinal;
  const assignsSource = group?.assignedLicenses.some((held) => key(held.skuId) === key(unit.fromSkuId)) ?? false;
  const finalMissing = final !== undefined && !holdsLicense(group?.assignedLicenses ?? [], final);
  if (assignsSource || finalMissing) {
    // One call: the source goes and the plans that waited for it come on together (no moment without the service).
    const add = final && finalMissing ? [final] : [];
    const remove = assignsSource ? [unit.fromSkuId] : [];
    const error = await changeGroupLicense(deps, context, add, remove);
    if (!error) await recordGroupLicenses(context, applied(group?.assignedLicenses ?? [], add, remove));
    if (error) {
      for (const user of openUsers(context)) {
        close(
          user,
          writeFailure(
            error,
            `the members hold ${name(unit.toSkuId)}, but ${name(unit.fromSkuId)} could not be removed from the group`,
          ),
        );
      }
      return;
    }
  }
  context.record.sourceRemovedAt ??= currentIso(deps.clock);
  for (const user of openUsers(context)) {
    user.progress = 'sourceRemoved';
    user.result = notFinished(
      `${name(unit.fromSkuId)} was removed from group ${unit.groupName}; the run ended before the change was seen on this user (${name(unit.toSkuId)} is held)`,
    );
  }
}

async function joinUsers(deps: ActivityDeps, context: UnitContext, records: GroupUserRecord[]): Promise<void> {
  const { unit, name } = context;
  const pending = records.filter((record) => record.progress === 'pending');
  // Usage locations first (group licensing needs one, or the tenant default), a few at a time; the same value twice is harmless.
  const located = await inParallel(
    pending.map((user) => () => setLocation(deps, context, user)),
    8,
  );
  const toJoin: GroupUserRecord[] = [];
  pending.forEach((user, index) => {
    if (!located[index]) return;
    const step = stepOf(context, user.userId);
    if (step?.kind === 'join' && !step.join) markJoined(context, user);
    else toJoin.push(user);
  });
  const ids = toJoin.map((user) => user.userId);
  const results = ids.length > 0 ? await deps.graph.addGroupMembers(unit.groupId, ids) : [];
  for (const result of results) {
    const user = recordOf(context, result.userId);
    if (!user) continue;
    if (result.ok) {
      // Planned as not a member: whoever answers "already a member" now, before this run the user was not in it.
      noteChange(user, { joined: { groupId: unit.groupId, groupName: unit.groupName } });
      markJoined(context, user);
    } else {
      const lead = `the user could not be added to group ${unit.groupName}; ${name(unit.fromSkuId)} stays`;
      close(user, writeFailure(result.error, lead));
    }
  }
}

/** Sets the usage location the plan asks for; false (and the user closed as failed) when Graph refuses. */
async function setLocation(deps: ActivityDeps, context: UnitContext, user: GroupUserRecord): Promise<boolean> {
  const planned = context.planned.get(key(user.userId));
  const location = planned?.decision.kind === 'change' ? planned.decision.setUsageLocation : undefined;
  if (!location) return true;
  try {
    await deps.graph.setUsageLocation(user.userId, location);
  } catch (error) {
    const lead = `the usage location could not be set, so the user was not added to ${context.unit.groupName}`;
    close(user, writeFailure(graphErrorInfo(error), lead));
    return false;
  }
  const step = stepOf(context, user.userId);
  if (step?.kind !== 'join' || step.join) return true;
  // Already a member: the group recorded an error for the missing location and keeps it until asked again.
  try {
    user.reprocessedAt = currentIso(deps.clock);
    await deps.graph.reprocessLicenseAssignment(user.userId);
    return true;
  } catch (error) {
    const lead = `the usage location was set, but group licensing could not be asked to apply ${context.unit.groupName}'s license again`;
    close(user, writeFailure(graphErrorInfo(error), lead));
    return false;
  }
}

function markJoined(context: UnitContext, user: GroupUserRecord): void {
  const { unit, name } = context;
  user.progress = 'joined';
  user.result = notFinished(
    `added to group ${unit.groupName}; the run ended before its ${name(unit.toSkuId)} reached the user (${name(unit.fromSkuId)} stays)`,
  );
}

async function releaseSources(deps: ActivityDeps, context: UnitContext, records: GroupUserRecord[]): Promise<void> {
  const ready = records.filter((user) => user.progress === 'targetHeld');
  if (ready.length === 0) return;
  const current = await readUsers(
    deps,
    ready.map((user) => user.userId),
  );
  const items: AssignLicenseItem[] = [];
  const removing = new Map<string, AssignedLicense[]>();
  const leaving = new Map<string, string[]>();
  for (const user of ready) {
    const now = current.get(key(user.userId));
    const step = stepOf(context, user.userId);
    if (!now || !step || step.kind === 'product' || !safeToRelease(context, user.userId, now, step)) {
      close(user, { kind: 'failed', errorClass: 'retryable', message: notHeldAnyMore(context) });
      continue;
    }
    const direct = step.removeDirect.flatMap((skuId) => directState(now, skuId) ?? []);
    if (direct.length > 0) {
      items.push({ userId: user.userId, addLicenses: [], removeLicenses: direct.map((state) => state.skuId) });
      removing.set(
        key(user.userId),
        direct.map((state) => ({ skuId: state.skuId, disabledPlans: state.disabledPlans })),
      );
    }
    for (const group of step.leave) leaving.set(group.groupId, [...(leaving.get(group.groupId) ?? []), user.userId]);
  }
  const failures = new Map<string, GraphErrorInfo>();
  const removed = items.length > 0 ? await deps.graph.assignLicenses(items) : [];
  for (const result of removed) {
    const user = recordOf(context, result.userId);
    if (!result.ok) failures.set(key(result.userId), result.error);
    else if (user)
      for (const license of removing.get(key(result.userId)) ?? []) noteChange(user, { removedDirect: license });
  }
  for (const [groupId, userIds] of leaving) {
    for (const result of await deps.graph.removeGroupMembers(groupId, userIds)) {
      const user = recordOf(context, result.userId);
      const step = user ? stepOf(context, user.userId) : undefined;
      const group =
        step && step.kind !== 'product' ? step.leave.find((g) => key(g.groupId) === key(groupId)) : undefined;
      if (!result.ok) failures.set(key(result.userId), result.error);
      else if (user && group) noteChange(user, { left: group });
    }
  }
  markReleased(context, ready, failures);
}

/** The safety check before anything is removed: the target really is held where it stays. */
function safeToRelease(
  context: UnitContext,
  userId: string,
  user: UserLicenseSnapshot,
  step: Exclude<GroupMoveStep, { kind: 'product' }>,
): boolean {
  const state = targetState(context, userId, user);
  if (isActiveWithoutError(state)) return true;
  return step.expectConflict && state?.error === 'MutuallyExclusiveViolation';
}

function notHeldAnyMore(context: UnitContext): string {
  const { unit, name } = context;
  return unit.kind === 'restore'
    ? `the user no longer holds ${name(unit.toSkuId)} from the groups it rejoined (or directly), so it stays in group ${unit.groupName}; check the user and roll back again`
    : `the user no longer holds ${name(unit.toSkuId)} from group ${unit.groupName}, so ${name(unit.fromSkuId)} was kept; check the user and run the migration again`;
}

function markReleased(context: UnitContext, ready: GroupUserRecord[], failures: Map<string, GraphErrorInfo>): void {
  const { unit, name } = context;
  for (const user of ready) {
    if (user.closed) continue;
    const failure = failures.get(key(user.userId));
    if (failure) {
      const lead =
        unit.kind === 'restore'
          ? `the user holds ${name(unit.toSkuId)} again, but could not leave group ${unit.groupName} (or lose what the original run assigned directly)`
          : `the user holds ${name(unit.toSkuId)} from group ${unit.groupName}, but ${name(unit.fromSkuId)} could not be removed`;
      close(user, writeFailure(failure, lead));
      continue;
    }
    user.progress = 'sourceRemoved';
    user.result = notFinished(
      unit.kind === 'restore'
        ? `holds ${name(unit.toSkuId)} again and left group ${unit.groupName}, but the run ended before that was seen`
        : `holds ${name(unit.toSkuId)} from group ${unit.groupName}; ${name(unit.fromSkuId)} was removed but the run ended before that was seen`,
    );
  }
}
