/**
 * The first step of a `restore` unit (a rollback of users moved into a group, docs/group-moves.md "Rollback"): each
 * user gets its source back — the direct assignment the original removed, with its plans, and membership of the
 * groups the original took it out of. Nothing is taken away here; the user leaves the group only in the second step,
 * once the check has seen the source held again.
 *
 * Like every group step it reads first and records what each write changed as it lands, so a retried or resumed step
 * never writes twice; and without `force` it leaves alone a user someone else changed after the rollback was planned.
 */
import { sameLicenses } from '../domain/apply';
import { hasChanges } from '../domain/group-rollback';
import type { UserResult } from '../domain/report';
import type { AssignedLicense, GroupMoveStep, UserLicenseSnapshot } from '../domain/types';
import type { AssignLicenseItem } from '../graph';
import type { GroupUserRecord } from '../storage/migration-documents';
import { readUsers } from './batch-range';
import type { ActivityDeps } from './deps';
import {
  close,
  directState,
  inheritsFrom,
  key,
  notFinished,
  noteChange,
  recordOf,
  stepOf,
  writeFailure,
  type UnitContext,
} from './group-unit';

type RestoreStep = Extract<GroupMoveStep, { kind: 'restore' }>;

export async function rejoinSources(
  deps: ActivityDeps,
  context: UnitContext,
  records: GroupUserRecord[],
): Promise<void> {
  const pending = records.filter((user) => user.progress === 'pending');
  if (pending.length === 0) return;
  const current = await readUsers(
    deps,
    pending.map((user) => user.userId),
  );
  const ready: { user: GroupUserRecord; now: UserLicenseSnapshot; step: RestoreStep }[] = [];
  for (const user of pending) {
    const now = current.get(key(user.userId));
    const step = stepOf(context, user.userId);
    if (!now || step?.kind !== 'restore') {
      close(user, {
        kind: 'failed',
        errorClass: 'permanent',
        message: 'the user no longer exists; nothing was changed',
      });
      continue;
    }
    const changed = changedSincePlanned(context, user, now, step);
    if (changed) close(user, { kind: 'skipped', reason: changed, after: now.assignedLicenses });
    else ready.push({ user, now, step });
  }
  const failures = new Map<string, UserResult>();
  await giveDirectBack(deps, context, ready, failures);
  await rejoinGroups(
    deps,
    context,
    ready.filter(({ user }) => !failures.has(key(user.userId))),
    failures,
  );
  for (const { user } of ready) {
    const failure = failures.get(key(user.userId));
    if (failure) close(user, failure);
    else markRestoring(context, user);
  }
}

/**
 * The write-time guard of a rollback without force: the user still holds what it held when the rollback was planned.
 * A resumed step that finds its own earlier writes (the user back in a group, the direct license back) goes on.
 */
function changedSincePlanned(
  context: UnitContext,
  user: GroupUserRecord,
  now: UserLicenseSnapshot,
  step: RestoreStep,
): string | undefined {
  const planned = context.planned.get(key(user.userId));
  const expected = planned?.decision.kind === 'change' ? planned.decision.onlyIfHolding : undefined;
  if (!expected || sameLicenses(expected, now.assignedLicenses)) return undefined;
  const ours =
    hasChanges(user.changes) ||
    step.join.some((group) => inheritsFrom(now, group.groupId)) ||
    step.addDirect.some((license) => directState(now, license.skuId) !== undefined);
  if (ours) return undefined;
  return 'changed since the original run: when the group stage reached it, the user no longer held what it held when the rollback was planned (someone else changed its licenses or groups); left alone (roll back with force: true to restore it anyway)';
}

const samePlans = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((plan) => b.some((other) => key(other) === key(plan)));

/** The direct assignments the original removed, given back with their plans (adds only: nothing is taken away). */
async function giveDirectBack(
  deps: ActivityDeps,
  context: UnitContext,
  ready: { user: GroupUserRecord; now: UserLicenseSnapshot; step: RestoreStep }[],
  failures: Map<string, UserResult>,
): Promise<void> {
  const items: AssignLicenseItem[] = [];
  const adding = new Map<string, AssignedLicense[]>();
  for (const { user, now, step } of ready) {
    const missing = step.addDirect.filter((license) => {
      const held = directState(now, license.skuId);
      return !held || !samePlans(held.disabledPlans, license.disabledPlans);
    });
    if (missing.length === 0) continue;
    items.push({ userId: user.userId, addLicenses: missing, removeLicenses: [] });
    adding.set(key(user.userId), missing);
  }
  if (items.length === 0) return;
  const { unit, name } = context;
  for (const result of await deps.graph.assignLicenses(items)) {
    const user = recordOf(context, result.userId);
    if (!user) continue;
    if (result.ok) {
      for (const license of adding.get(key(user.userId)) ?? []) noteChange(user, { addedDirect: license });
      continue;
    }
    const lead = `${name(unit.toSkuId)} could not be assigned directly again; the user stays in group ${unit.groupName} with ${name(unit.fromSkuId)} (nothing was removed)`;
    failures.set(key(user.userId), writeFailure(result.error, lead));
  }
}

/** Membership of the groups the original took the user out of, group by group in `$batch`es. */
async function rejoinGroups(
  deps: ActivityDeps,
  context: UnitContext,
  ready: { user: GroupUserRecord; step: RestoreStep }[],
  failures: Map<string, UserResult>,
): Promise<void> {
  const byGroup = new Map<string, { group: RestoreStep['join'][number]; userIds: string[] }>();
  for (const { user, step } of ready) {
    for (const group of step.join) {
      const entry = byGroup.get(key(group.groupId)) ?? { group, userIds: [] };
      entry.userIds.push(user.userId);
      byGroup.set(key(group.groupId), entry);
    }
  }
  const { unit, name } = context;
  for (const { group, userIds } of byGroup.values()) {
    for (const result of await deps.graph.addGroupMembers(group.groupId, userIds)) {
      const user = recordOf(context, result.userId);
      if (!user) continue;
      if (result.ok) noteChange(user, { joined: group });
      else {
        const lead = `the user could not be added back to group ${group.groupName || group.groupId}; it stays in group ${unit.groupName} with ${name(unit.fromSkuId)} (nothing was removed)`;
        failures.set(key(user.userId), writeFailure(result.error, lead));
      }
    }
  }
}

function markRestoring(context: UnitContext, user: GroupUserRecord): void {
  const { unit, name } = context;
  user.progress = 'joined';
  user.result = notFinished(
    `${name(unit.toSkuId)} is on its way back (the groups the user left were rejoined, direct licenses given back); the run ended before it was seen on the user, who stays in group ${unit.groupName} with ${name(unit.fromSkuId)}`,
  );
}
