/**
 * The writes of group moves (docs/group-moves.md), one step of one unit at a time:
 *
 * - product change, addTarget: the group assigns the target next to the source (clashing plans off);
 *   removeSource: once every member holds it, one assignLicense on the group removes the source and switches the
 *   plans on. A group with members in error keeps both products: removing the source would leave them without it.
 * - join, addTarget: users join the group (a usage location set first when the request gives one);
 *   removeSource: users who hold the target from the group lose the direct source and leave the source groups.
 *
 * Every write reads the current state first and Graph's "already a member" / "not a member" answers count as done,
 * so a retried or resumed step never adds or removes twice.
 */
import { GROUP_CHUNK_SIZE } from '../domain/group-plan';
import type { AssignedLicense, UserLicenseSnapshot } from '../domain/types';
import type { GroupStepInput, GroupUnitStatus } from '../domain/workflow';
import { GraphRequestError, type AssignLicenseItem, type GraphErrorInfo } from '../graph';
import type { GroupUserRecord } from '../storage/migration-documents';
import { currentIso } from '../clock';
import { inParallel } from '../util/parallel';
import { graphErrorInfo, readUsers } from './batch-range';
import type { ActivityDeps } from './deps';
import {
  close,
  fromGroup,
  isActiveWithoutError,
  key,
  loadUnit,
  notFinished,
  openUsers,
  recordOf,
  stepOf,
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
    if (input.step === 'addTarget') await joinUsers(deps, context, records);
    else await releaseSources(deps, context, records);
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
    const error = await changeGroupLicense(
      deps,
      context,
      final && finalMissing ? [final] : [],
      assignsSource ? [unit.fromSkuId] : [],
    );
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
    if (result.ok) markJoined(context, user);
    else {
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
    return true;
  } catch (error) {
    const lead = `the usage location could not be set, so the user was not added to ${context.unit.groupName}`;
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
  const leaving = new Map<string, string[]>();
  for (const user of ready) {
    const now = current.get(key(user.userId));
    const step = stepOf(context, user.userId);
    if (!now || step?.kind !== 'join' || !stillInherits(context, now, step.expectConflict)) {
      close(user, {
        kind: 'failed',
        errorClass: 'retryable',
        message: `the user no longer holds ${context.name(context.unit.toSkuId)} from group ${context.unit.groupName}, so ${context.name(context.unit.fromSkuId)} was kept; check the user and run the migration again`,
      });
      continue;
    }
    const direct = step.removeDirect.filter((skuId) =>
      now.licenseAssignmentStates.some((state) => state.assignedByGroup === null && key(state.skuId) === key(skuId)),
    );
    if (direct.length > 0) items.push({ userId: user.userId, addLicenses: [], removeLicenses: direct });
    for (const group of step.leave) leaving.set(group.groupId, [...(leaving.get(group.groupId) ?? []), user.userId]);
  }
  const failures = new Map<string, GraphErrorInfo>();
  const removed = items.length > 0 ? await deps.graph.assignLicenses(items) : [];
  for (const result of removed) if (!result.ok) failures.set(key(result.userId), result.error);
  for (const [groupId, userIds] of leaving) {
    for (const result of await deps.graph.removeGroupMembers(groupId, userIds)) {
      if (!result.ok) failures.set(key(result.userId), result.error);
    }
  }
  markReleased(context, ready, failures);
}

/** The safety check before anything is removed: the target really comes from the group now. */
function stillInherits(context: UnitContext, user: UserLicenseSnapshot, expectConflict: boolean): boolean {
  const state = fromGroup(user, context.unit.toSkuId, context.unit.groupId);
  if (isActiveWithoutError(state)) return true;
  return expectConflict && state?.error === 'MutuallyExclusiveViolation';
}

function markReleased(context: UnitContext, ready: GroupUserRecord[], failures: Map<string, GraphErrorInfo>): void {
  const { unit, name } = context;
  for (const user of ready) {
    if (user.closed) continue;
    const failure = failures.get(key(user.userId));
    if (failure) {
      close(
        user,
        writeFailure(
          failure,
          `the user holds ${name(unit.toSkuId)} from group ${unit.groupName}, but ${name(unit.fromSkuId)} could not be removed`,
        ),
      );
      continue;
    }
    user.progress = 'sourceRemoved';
    user.result = notFinished(
      `holds ${name(unit.toSkuId)} from group ${unit.groupName}; ${name(unit.fromSkuId)} was removed but the run ended before that was seen`,
    );
  }
}
