/**
 * What `planRollback` reads for group moves (docs/group-moves.md, "Rollback"): the original's group records turned
 * into change records, and the groups and users as they are now. Nothing is written.
 */
import type { GroupUnitPlan } from '../domain/group-plan';
import { hasChanges, noChanges, type GroupMembershipRecord, type GroupProductRecord } from '../domain/group-rollback';
import type { UserResult } from '../domain/report';
import type { ChangeRecord, GroupNow } from '../domain/rollback';
import type { AssignedLicense, PlannedUser, UserLicenseSnapshot } from '../domain/types';
import type { GroupUnitRecord, MigrationDocuments, StoredPlan } from '../storage/migration-documents';
import { inParallel } from '../util/parallel';
import type { ActivityDeps } from './deps';

/** Users read per call (each a direct GET, sent in `$batch`es by the Graph layer). */
const READ_CHUNK = 1_000;

const key = (id: string): string => id.toLowerCase();

/** The original's group units that wrote something, as change records (units the stage never reached wrote nothing). */
export async function groupChangeRecords(original: MigrationDocuments, plan: StoredPlan): Promise<ChangeRecord[]> {
  const units = (plan.groups ?? []).filter((unit) => !unit.refused && !unit.done && unit.users > 0);
  const loaded = await inParallel(
    units.map((unit) => async () => ({
      unit,
      users: await original.groupUsers(unit.unit),
      record: await original.groupRecord(unit.unit),
    })),
    8,
  );
  return loaded.flatMap(({ unit, users, record }) => {
    const converted = record ? changeRecord(unit, users, record) : undefined;
    return converted ? [converted] : [];
  });
}

function changeRecord(
  unit: GroupUnitPlan,
  users: PlannedUser[],
  record: GroupUnitRecord,
): GroupProductRecord | GroupMembershipRecord | undefined {
  const upns = new Map(users.map((user) => [key(user.userId), user.userPrincipalName]));
  const upn = (userId: string): string => upns.get(key(userId)) ?? userId;
  const recorded = record.recordsChanges === true;
  const base = {
    move: unit.move,
    groupId: unit.groupId,
    groupName: unit.groupName,
    fromSkuId: unit.fromSkuId,
    toSkuId: unit.toSkuId,
  };
  if (unit.kind === 'product') {
    // Written nothing: an older run that never added the target, or a recorded one that never reached its write.
    if (recorded ? !record.groupLicenses : record.targetAddedAt === undefined) return undefined;
    const members = record.users.map((user) => ({ userId: user.userId, userPrincipalName: upn(user.userId) }));
    return recorded && record.groupLicenses
      ? { kind: 'groupProduct', ...base, licenses: record.groupLicenses, members }
      : { kind: 'groupProduct', ...base, members };
  }
  const touched = record.users.filter((user) => (recorded ? hasChanges(user.changes) : user.progress !== 'pending'));
  if (touched.length === 0) return undefined;
  return {
    kind: 'groupMembership',
    ...base,
    recorded,
    users: touched.map((user) => {
      const after = afterOf(user.result);
      const row = { userId: user.userId, userPrincipalName: upn(user.userId), changes: user.changes ?? noChanges() };
      return after ? { ...row, after } : row;
    }),
  };
}

function afterOf(result: UserResult): AssignedLicense[] | undefined {
  return result.kind === 'notAttempted' ? undefined : result.after;
}

/** The users and groups the records name, as they are now. */
export async function readNow(
  deps: ActivityDeps,
  records: readonly ChangeRecord[],
): Promise<{ users: Map<string, UserLicenseSnapshot>; groups: Map<string, GroupNow | undefined> }> {
  const userIds = new Set<string>();
  const productGroups = new Set<string>();
  const otherGroups = new Set<string>();
  for (const record of records) {
    if (record.kind === 'userLicenses') userIds.add(key(record.userId));
    else if (record.kind === 'groupProduct') productGroups.add(key(record.groupId));
    else {
      otherGroups.add(key(record.groupId));
      for (const user of record.users) {
        userIds.add(key(user.userId));
        for (const group of [...user.changes.joined, ...user.changes.left]) otherGroups.add(key(group.groupId));
      }
    }
  }
  const users = await readUsers(deps, [...userIds]);
  const groups = new Map<string, GroupNow | undefined>();
  for (const groupId of productGroups) {
    const facts = await deps.graph.getGroup(groupId);
    if (!facts) {
      groups.set(groupId, undefined);
      continue;
    }
    // A group's product reaches its direct members: who they are now, with their licenses.
    const members = await deps.graph.listGroupMembers(groupId);
    for (const member of members.users) if (!users.has(key(member.id))) users.set(key(member.id), member);
    groups.set(groupId, { facts, members: new Set(members.users.map((member) => key(member.id))) });
  }
  for (const groupId of otherGroups) {
    if (groups.has(groupId)) continue;
    const facts = await deps.graph.getGroup(groupId);
    groups.set(groupId, facts ? { facts } : undefined);
  }
  return { users, groups };
}

async function readUsers(deps: ActivityDeps, ids: string[]): Promise<Map<string, UserLicenseSnapshot>> {
  const users = new Map<string, UserLicenseSnapshot>();
  for (let start = 0; start < ids.length; start += READ_CHUNK) {
    const { found } = await deps.graph.getUsersDirect(ids.slice(start, start + READ_CHUNK));
    for (const user of found) users.set(user.id.toLowerCase(), user);
  }
  return users;
}
