/**
 * The licensing part of Microsoft Graph as plain data, for activity tests: SKUs, purchases, domains, users and
 * groups held in memory. `assignLicenses` applies each change as Graph would (atomically per user, seats counted);
 * tests can make items fail with the error infos `classifyGraphError` gives for real Graph answers, serve stale reads
 * (directory lag), and read back every call.
 */
import { membershipRefusal, type GroupFacts } from '../../src/domain/groups';
import type { AssignedLicense, LicenseAssignmentState, TenantSku, UserLicenseSnapshot } from '../../src/domain/types';
import {
  classifyGraphError,
  GraphRequestError,
  REQUIRED_PERMISSION,
  type AssignLicenseItem,
  type AssignLicenseResult,
  type AssignLicensesOptions,
  type CompanySubscription,
  type GraphErrorInfo,
  type GraphOperation,
  type GroupMembers,
  type LicensingGraph,
  type MembershipResult,
  type MissingPermission,
  type WriteAccessCheck,
} from '../../src/graph';

export interface FakeTenant {
  skus?: TenantSku[];
  subscriptions?: CompanySubscription[];
  verifiedDomains?: string[];
  users?: UserLicenseSnapshot[];
  /** Group id → ids of its (transitive) user members. */
  groups?: Record<string, string[]>;
  /**
   * Groups for group-based licensing: facts as Graph gives them and direct members (user or group ids). Their
   * licenses are not applied to members until `processGroups()` (Graph processes groups later, too).
   */
  licensingGroups?: FakeGroup[];
}

export interface FakeGroup extends Partial<GroupFacts> {
  id: string;
  /** Direct members: user ids, or ids of nested groups. */
  members: string[];
}

export type GraphCall =
  | { method: 'listSubscribedSkus' | 'listSubscriptions' | 'listVerifiedDomains' }
  | { method: 'listUsersHoldingSku'; skuId: string }
  | { method: 'getUsersByIds'; ids: string[] }
  | { method: 'getUsersDirect'; ids: string[] }
  | { method: 'checkWriteAccess'; checks: WriteAccessCheck[] }
  | { method: 'getUsersByUpns'; upns: string[] }
  | { method: 'listGroupUserMembers'; groupId: string }
  | { method: 'setUsageLocation'; userId: string; countryCode: string }
  | { method: 'reprocessLicenseAssignment'; userId: string }
  | { method: 'assignLicenses'; items: AssignLicenseItem[]; options?: AssignLicensesOptions }
  | { method: 'holdBudgetShare'; share: number }
  | { method: 'getGroup'; groupId: string }
  | { method: 'listGroupMembers'; groupId: string }
  | { method: 'listMembersWithLicenseErrors'; groupId: string }
  | { method: 'addGroupMembers'; groupId: string; userIds: string[] }
  | { method: 'removeGroupMembers'; groupId: string; userIds: string[] }
  | { method: 'assignGroupLicense'; groupId: string; add: AssignedLicense[]; remove: string[] };

let requestCounter = 0;
const nextRequestId = (): string => `00000000-0000-4000-a000-${String(++requestCounter).padStart(12, '0')}`;

/** A Graph error as the layer reports it: the raw answer, classified (reason, action, error class). */
export function graphError(
  operation: GraphOperation,
  answer: { status: number; code: string; message: string; requestId?: string },
): GraphErrorInfo {
  return classifyGraphError(
    { requestId: nextRequestId(), date: 'Mon, 06 Jan 2031 09:00:00 GMT', ...answer },
    operation,
  );
}

const copy = <T>(value: T): T => structuredClone(value);
const key = (id: string): string => id.toLowerCase();

export class FakeLicensingGraph implements LicensingGraph {
  skus: TenantSku[];
  subscriptions: CompanySubscription[];
  verifiedDomains: string[];
  readonly calls: GraphCall[] = [];
  /** Budget shares claimed with holdBudgetShare and not released yet. */
  readonly heldShares: number[] = [];
  readonly #users = new Map<string, UserLicenseSnapshot>();
  readonly #groups = new Map<string, string[]>();
  readonly #assignFailures = new Map<string, GraphErrorInfo>();
  readonly #usageLocationFailures = new Map<string, GraphErrorInfo>();
  readonly #staleReads = new Map<string, UserLicenseSnapshot[]>();
  readonly #assignFailuresOnce = new Map<string, GraphErrorInfo>();

  constructor(tenant: FakeTenant = {}) {
    this.skus = copy(tenant.skus ?? []);
    this.subscriptions = copy(tenant.subscriptions ?? []);
    this.verifiedDomains = [...(tenant.verifiedDomains ?? [])];
    for (const user of tenant.users ?? []) this.putUser(user);
    for (const [groupId, members] of Object.entries(tenant.groups ?? {})) this.#groups.set(key(groupId), members);
    for (const group of tenant.licensingGroups ?? []) this.putGroup(group);
  }

  /** Adds or replaces a user. */
  putUser(user: UserLicenseSnapshot): void {
    this.#users.set(key(user.id), copy(user));
  }

  removeUser(id: string): void {
    this.#users.delete(key(id));
  }

  /** The user as the tenant holds it now. */
  user(id: string): UserLicenseSnapshot | undefined {
    const user = this.#users.get(key(id));
    return user ? copy(user) : undefined;
  }

  sku(skuId: string): TenantSku | undefined {
    return this.skus.find((sku) => key(sku.skuId) === key(skuId));
  }

  /** Every later `assignLicenses` item for this user fails with this error (the user is left unchanged). */
  failAssign(userId: string, error: GraphErrorInfo): void {
    this.#assignFailures.set(key(userId), error);
  }

  /** The next `assignLicenses` item for this user fails with this error; later ones go through. */
  failAssignOnce(userId: string, error: GraphErrorInfo): void {
    this.#assignFailuresOnce.set(key(userId), error);
  }

  /** Every later `setUsageLocation` for this user throws this error. */
  failUsageLocation(userId: string, error: GraphErrorInfo): void {
    this.#usageLocationFailures.set(key(userId), error);
  }

  /** The next `times` reads of this user return `snapshot` (a read that lags a write), then the real user again. */
  serveStale(userId: string, snapshot: UserLicenseSnapshot, times = 1): void {
    this.#staleReads.set(
      key(userId),
      Array.from({ length: times }, () => copy(snapshot)),
    );
  }

  /** The calls made to one method, in order. */
  callsTo<M extends GraphCall['method']>(method: M): Extract<GraphCall, { method: M }>[] {
    return this.calls.filter((call): call is Extract<GraphCall, { method: M }> => call.method === method);
  }

  /** Users changed through `assignLicenses` or `setUsageLocation` (writes, as opposed to reads). */
  writes(): GraphCall[] {
    return this.calls.filter((call) => call.method === 'assignLicenses' || call.method === 'setUsageLocation');
  }

  /** Every write: user licenses, usage locations, memberships and group licenses. */
  allWrites(): GraphCall[] {
    const kinds = [
      'assignLicenses',
      'setUsageLocation',
      'reprocessLicenseAssignment',
      'addGroupMembers',
      'removeGroupMembers',
      'assignGroupLicense',
    ];
    return this.calls.filter((call) => kinds.includes(call.method));
  }

  listSubscribedSkus(): Promise<TenantSku[]> {
    this.calls.push({ method: 'listSubscribedSkus' });
    return Promise.resolve(copy(this.skus));
  }

  listSubscriptions(): Promise<CompanySubscription[]> {
    this.calls.push({ method: 'listSubscriptions' });
    return Promise.resolve(copy(this.subscriptions));
  }

  listVerifiedDomains(): Promise<string[]> {
    this.calls.push({ method: 'listVerifiedDomains' });
    return Promise.resolve(this.verifiedDomains.map((domain) => domain.toLowerCase()));
  }

  listUsersHoldingSku(skuId: string): Promise<UserLicenseSnapshot[]> {
    this.calls.push({ method: 'listUsersHoldingSku', skuId });
    const holders = [...this.#users.values()].filter((user) =>
      user.assignedLicenses.some((license) => key(license.skuId) === key(skuId)),
    );
    return Promise.resolve(copy(holders));
  }

  getUsersByIds(ids: string[]): Promise<{ found: UserLicenseSnapshot[]; missing: string[] }> {
    this.calls.push({ method: 'getUsersByIds', ids: [...ids] });
    return Promise.resolve(this.#lookUp(ids, (id) => this.#read(id)));
  }

  getUsersDirect(ids: string[]): Promise<{ found: UserLicenseSnapshot[]; missing: string[] }> {
    this.calls.push({ method: 'getUsersDirect', ids: [...ids] });
    return Promise.resolve(this.#lookUp(ids, (id) => this.#read(id)));
  }

  getUsersByUpns(upns: string[]): Promise<{ found: UserLicenseSnapshot[]; missing: string[] }> {
    this.calls.push({ method: 'getUsersByUpns', upns: [...upns] });
    const byUpn = (upn: string) => [...this.#users.values()].find((user) => key(user.userPrincipalName) === key(upn));
    return Promise.resolve(this.#lookUp(upns, (upn) => (byUpn(upn) ? copy(byUpn(upn)) : undefined)));
  }

  listGroupUserMembers(groupId: string): Promise<UserLicenseSnapshot[]> {
    this.calls.push({ method: 'listGroupUserMembers', groupId });
    const members = this.#groups.get(key(groupId)) ?? this.#transitive(groupId);
    if (!members) {
      const error = graphError('readGroupMembers', {
        status: 404,
        code: 'Request_ResourceNotFound',
        message: `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
      });
      return Promise.reject(new GraphRequestError(error));
    }
    return Promise.resolve(this.#lookUp(members, (id) => this.user(id)).found);
  }

  setUsageLocation(userId: string, countryCode: string): Promise<void> {
    this.calls.push({ method: 'setUsageLocation', userId, countryCode });
    const failure = this.#usageLocationFailures.get(key(userId));
    if (failure) return Promise.reject(new GraphRequestError(failure));
    const user = this.#users.get(key(userId));
    if (!user) return Promise.reject(new GraphRequestError(this.#notFound('setUsageLocation', userId)));
    user.usageLocation = countryCode;
    return Promise.resolve();
  }

  /** Evaluates the user's groups again now, as Entra does on request; queued group work still waits. */
  reprocessLicenseAssignment(userId: string): Promise<void> {
    this.calls.push({ method: 'reprocessLicenseAssignment', userId });
    if (!this.#users.has(key(userId))) {
      return Promise.reject(new GraphRequestError(this.#notFound('reprocessLicenseAssignment', userId)));
    }
    this.#evaluate(userId);
    return Promise.resolve();
  }

  assignLicenses(items: AssignLicenseItem[], options?: AssignLicensesOptions): Promise<AssignLicenseResult[]> {
    this.calls.push(
      options
        ? { method: 'assignLicenses', items: copy(items), options }
        : { method: 'assignLicenses', items: copy(items) },
    );
    return Promise.resolve(items.map((item) => this.#assign(item)));
  }

  /** Roles the fake app lacks: checks for them come back missing (see denyPermission). */
  readonly #denied = new Set<string>();

  denyPermission(operation: WriteAccessCheck['operation']): void {
    this.#denied.add(operation);
  }

  checkWriteAccess(checks: WriteAccessCheck[]): Promise<MissingPermission[]> {
    this.calls.push({ method: 'checkWriteAccess', checks: copy(checks) });
    const missing = checks
      .filter((check) => this.#denied.has(check.operation))
      .map((check) => ({ operation: check.operation, permission: REQUIRED_PERMISSION[check.operation] }));
    return Promise.resolve(missing);
  }

  holdBudgetShare(share: number): () => void {
    this.calls.push({ method: 'holdBudgetShare', share });
    this.heldShares.push(share);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.heldShares.splice(this.heldShares.indexOf(share), 1);
    };
  }

  // ------------------------------------------------------------------------------------------ groups

  readonly #licensing = new Map<string, GroupFacts & { members: string[] }>();
  /** Groups (and single members) whose license changes are not applied yet. */
  readonly #pendingGroups = new Set<string>();
  readonly #pendingMembers = new Set<string>();
  /** Scripted per-member errors of a group assignment: `${groupId}|${userId}` → error code. */
  readonly #memberErrors = new Map<string, string>();

  /** Adds or replaces a licensing group (its licenses already applied to its members, as in a scenario). */
  putGroup(group: FakeGroup): void {
    this.#licensing.set(key(group.id), {
      id: group.id,
      displayName: group.displayName ?? '',
      groupTypes: group.groupTypes ?? [],
      membershipRule: group.membershipRule ?? null,
      onPremisesSyncEnabled: group.onPremisesSyncEnabled ?? null,
      isAssignableToRole: group.isAssignableToRole ?? false,
      assignedLicenses: copy(group.assignedLicenses ?? []),
      licenseProcessingState: group.licenseProcessingState ?? 'ProcessingComplete',
      members: [...group.members],
    });
  }

  group(groupId: string): (GroupFacts & { members: string[] }) | undefined {
    const group = this.#licensing.get(key(groupId));
    return group ? copy(group) : undefined;
  }

  /** The member's next processing of this group records this error instead of the license (until cleared). */
  failMember(groupId: string, userId: string, error: string | undefined): void {
    if (error) this.#memberErrors.set(`${key(groupId)}|${key(userId)}`, error);
    else this.#memberErrors.delete(`${key(groupId)}|${key(userId)}`);
  }

  /** Applies queued group license changes and membership changes, as Entra does later in the background. */
  processGroups(): void {
    const users = new Set<string>(this.#pendingMembers);
    for (const groupId of this.#pendingGroups) {
      const group = this.#licensing.get(groupId);
      if (!group) continue;
      for (const member of group.members) if (this.#users.has(key(member))) users.add(key(member));
      group.licenseProcessingState = 'ProcessingComplete';
    }
    this.#pendingGroups.clear();
    this.#pendingMembers.clear();
    for (const userId of users) this.#evaluate(userId);
  }

  getGroup(groupId: string): Promise<GroupFacts | undefined> {
    this.calls.push({ method: 'getGroup', groupId });
    const group = this.group(groupId);
    if (!group) return Promise.resolve(undefined);
    const { members: _members, ...facts } = group;
    return Promise.resolve(facts);
  }

  listGroupMembers(groupId: string): Promise<GroupMembers> {
    this.calls.push({ method: 'listGroupMembers', groupId });
    const group = this.#licensing.get(key(groupId));
    if (!group) return Promise.reject(new GraphRequestError(this.#groupNotFound(groupId)));
    const users = group.members.flatMap((id) => (this.#users.has(key(id)) ? [this.user(id)!] : []));
    const groups = group.members.filter((id) => this.#licensing.has(key(id))).map((id) => ({ id }));
    return Promise.resolve({ users, groups });
  }

  listMembersWithLicenseErrors(groupId: string): Promise<UserLicenseSnapshot[]> {
    this.calls.push({ method: 'listMembersWithLicenseErrors', groupId });
    const group = this.#licensing.get(key(groupId));
    if (!group) return Promise.reject(new GraphRequestError(this.#groupNotFound(groupId)));
    const users = group.members.flatMap((id) => (this.#users.has(key(id)) ? [this.user(id)!] : []));
    return Promise.resolve(
      users.filter((user) =>
        user.licenseAssignmentStates.some(
          (state) => state.assignedByGroup !== null && key(state.assignedByGroup) === key(groupId) && state.error,
        ),
      ),
    );
  }

  addGroupMembers(groupId: string, userIds: string[]): Promise<MembershipResult[]> {
    this.calls.push({ method: 'addGroupMembers', groupId, userIds: [...userIds] });
    return Promise.resolve(userIds.map((userId) => this.#membership(groupId, userId, true)));
  }

  removeGroupMembers(groupId: string, userIds: string[]): Promise<MembershipResult[]> {
    this.calls.push({ method: 'removeGroupMembers', groupId, userIds: [...userIds] });
    return Promise.resolve(userIds.map((userId) => this.#membership(groupId, userId, false)));
  }

  assignGroupLicense(groupId: string, add: AssignedLicense[], remove: string[]): Promise<void> {
    this.calls.push({ method: 'assignGroupLicense', groupId, add: copy(add), remove: [...remove] });
    const group = this.#licensing.get(key(groupId));
    if (!group) return Promise.reject(new GraphRequestError(this.#groupNotFound(groupId)));
    const removing = new Set(remove.map(key));
    const next = group.assignedLicenses.filter((license) => !removing.has(key(license.skuId)));
    for (const license of add) {
      const at = next.findIndex((held) => key(held.skuId) === key(license.skuId));
      if (at >= 0) next[at] = copy(license);
      else next.push(copy(license));
    }
    group.assignedLicenses = next;
    group.licenseProcessingState = 'QueuedForProcessing';
    this.#pendingGroups.add(key(groupId));
    return Promise.resolve();
  }

  #membership(groupId: string, userId: string, add: boolean): MembershipResult {
    const group = this.#licensing.get(key(groupId));
    if (!group) return { userId, ok: false, error: this.#groupNotFound(groupId) };
    const refusal = membershipRefusal(group);
    if (refusal) {
      const error =
        refusal === 'synced'
          ? graphError('addGroupMember', {
              status: 400,
              code: 'Request_BadRequest',
              message:
                'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
            })
          : graphError('addGroupMember', {
              status: 403,
              code: 'Authorization_RequestDenied',
              message: 'Insufficient privileges to complete the operation.',
            });
      return { userId, ok: false, error };
    }
    const isMember = group.members.some((id) => key(id) === key(userId));
    if (add && isMember) return { userId, ok: true, outcome: 'alreadyMember' };
    if (!add && !isMember) return { userId, ok: true, outcome: 'notMember' };
    group.members = add ? [...group.members, userId] : group.members.filter((id) => key(id) !== key(userId));
    this.#pendingMembers.add(key(userId));
    return { userId, ok: true, outcome: add ? 'added' : 'removed' };
  }

  /** Brings one user's group assignments in line with their groups: seats, usage location and scripted errors. */
  #evaluate(userId: string): void {
    const user = this.#users.get(key(userId));
    if (!user) return;
    const direct = user.licenseAssignmentStates.filter((state) => state.assignedByGroup === null);
    const fromGroups: LicenseAssignmentState[] = [];
    const heldBefore = new Set(user.assignedLicenses.map((license) => key(license.skuId)));
    for (const group of this.#licensing.values()) {
      if (!group.members.some((id) => key(id) === key(userId))) continue;
      for (const license of group.assignedLicenses) {
        // As in Entra, an assignment already in force stays; only new ones can fail.
        const inForce = user.licenseAssignmentStates.some(
          (state) =>
            state.assignedByGroup !== null &&
            key(state.assignedByGroup) === key(group.id) &&
            key(state.skuId) === key(license.skuId) &&
            state.state === 'Active',
        );
        const scripted = inForce ? undefined : this.#memberErrors.get(`${key(group.id)}|${key(userId)}`);
        const sku = this.sku(license.skuId);
        const noSeat =
          !heldBefore.has(key(license.skuId)) && sku !== undefined && sku.consumedUnits >= sku.prepaidUnits.enabled;
        const error =
          scripted ?? (noSeat ? 'CountViolation' : user.usageLocation ? null : 'ProhibitedInUsageLocationViolation');
        if (!error && !heldBefore.has(key(license.skuId))) {
          this.#seat(license.skuId, 1);
          heldBefore.add(key(license.skuId));
        }
        fromGroups.push({
          skuId: license.skuId,
          assignedByGroup: group.id,
          disabledPlans: [...license.disabledPlans],
          state: error ? 'Error' : 'Active',
          error,
        });
      }
    }
    const states = [...direct, ...fromGroups];
    const assigned = new Map<string, AssignedLicense>();
    for (const state of states) {
      if (state.state !== 'Active') continue;
      const held = assigned.get(key(state.skuId));
      if (!held) assigned.set(key(state.skuId), { skuId: state.skuId, disabledPlans: [...state.disabledPlans] });
      else held.disabledPlans = held.disabledPlans.filter((plan) => state.disabledPlans.includes(plan));
    }
    for (const license of user.assignedLicenses) if (!assigned.has(key(license.skuId))) this.#seat(license.skuId, -1);
    user.licenseAssignmentStates = states;
    user.assignedLicenses = [...assigned.values()];
  }

  /** Users reached through a licensing group and the groups nested in it, or undefined for an unknown group. */
  #transitive(groupId: string, seen = new Set<string>()): string[] | undefined {
    const group = this.#licensing.get(key(groupId));
    if (!group || seen.has(key(groupId))) return group ? [] : undefined;
    seen.add(key(groupId));
    return group.members.flatMap((id) =>
      this.#licensing.has(key(id)) ? (this.#transitive(id, seen) ?? []) : this.#users.has(key(id)) ? [id] : [],
    );
  }

  #groupNotFound(groupId: string): GraphErrorInfo {
    return graphError('readGroupMembers', {
      status: 404,
      code: 'Request_ResourceNotFound',
      message: `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
    });
  }

  #read(id: string): UserLicenseSnapshot | undefined {
    const stale = this.#staleReads.get(key(id));
    const next = stale?.shift();
    if (stale?.length === 0) this.#staleReads.delete(key(id));
    return next ?? this.user(id);
  }

  #lookUp(
    references: string[],
    find: (reference: string) => UserLicenseSnapshot | undefined,
  ): { found: UserLicenseSnapshot[]; missing: string[] } {
    const found: UserLicenseSnapshot[] = [];
    const missing: string[] = [];
    for (const reference of references) {
      const user = find(reference);
      if (user) found.push(user);
      else missing.push(reference);
    }
    return { found, missing };
  }

  #notFound(operation: GraphOperation, userId: string): GraphErrorInfo {
    return graphError(operation, {
      status: 404,
      code: 'Request_ResourceNotFound',
      message: `Resource '${userId}' does not exist or one of its queried reference-property objects are not present.`,
    });
  }

  /** One atomic assignLicense: remove, then add (replacing disabled plans of a license already held). */
  #assign(item: AssignLicenseItem): AssignLicenseResult {
    const once = this.#assignFailuresOnce.get(key(item.userId));
    this.#assignFailuresOnce.delete(key(item.userId));
    const failure = once ?? this.#assignFailures.get(key(item.userId));
    const user = this.#users.get(key(item.userId));
    if (failure || !user) {
      return {
        userId: item.userId,
        ok: false,
        error: failure ?? this.#notFound('assignLicense', item.userId),
        attempts: 1,
        throttled: 0,
      };
    }
    const removing = new Set(item.removeLicenses.map(key));
    const adding = new Map(item.addLicenses.map((license) => [key(license.skuId), license]));
    const fromGroups = user.licenseAssignmentStates.filter((state) => state.assignedByGroup !== null);
    const withState = new Set(user.licenseAssignmentStates.map((state) => key(state.skuId)));
    const directBefore = user.assignedLicenses.filter(
      (license) =>
        !withState.has(key(license.skuId)) ||
        user.licenseAssignmentStates.some(
          (state) => state.assignedByGroup === null && key(state.skuId) === key(license.skuId),
        ),
    );
    const held = (skuId: string): boolean => user.assignedLicenses.some((license) => key(license.skuId) === key(skuId));
    for (const license of directBefore) if (removing.has(key(license.skuId))) this.#seat(license.skuId, -1);
    for (const license of item.addLicenses) if (!held(license.skuId)) this.#seat(license.skuId, 1);
    const direct: AssignedLicense[] = [
      ...directBefore.filter((license) => !removing.has(key(license.skuId)) && !adding.has(key(license.skuId))),
      ...item.addLicenses.map((license) => ({ skuId: license.skuId, disabledPlans: [...license.disabledPlans] })),
    ];
    const inherited = user.assignedLicenses.filter(
      (license) =>
        fromGroups.some((state) => key(state.skuId) === key(license.skuId)) &&
        !direct.some((kept) => key(kept.skuId) === key(license.skuId)),
    );
    const assigned = [...direct, ...inherited];
    user.assignedLicenses = assigned;
    user.licenseAssignmentStates = [
      ...direct.map((license) => ({
        skuId: license.skuId,
        assignedByGroup: null,
        disabledPlans: [...license.disabledPlans],
        state: 'Active',
        error: 'None',
      })),
      ...fromGroups,
    ];
    return {
      userId: item.userId,
      ok: true,
      after: copy(assigned),
      requestId: nextRequestId(),
      attempts: 1,
      throttled: 0,
    };
  }

  #seat(skuId: string, change: number): void {
    const sku = this.sku(skuId);
    if (sku) sku.consumedUnits += change;
  }
}
