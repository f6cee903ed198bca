/**
 * The licensing part of Microsoft Graph as plain data, for activity tests: SKUs, purchases, domains, users and
 * groups held in memory. `assignLicenses` applies each change as Graph would (atomically per user, seats counted);
 * tests can make items fail with the error infos `classifyGraphError` gives for real Graph answers, serve stale reads
 * (directory lag), and read back every call.
 */
import type { AssignedLicense, TenantSku, UserLicenseSnapshot } from '../../src/domain/types';
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
  type LicensingGraph,
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
  | { method: 'assignLicenses'; items: AssignLicenseItem[]; options?: AssignLicensesOptions }
  | { method: 'holdBudgetShare'; share: number };

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

  /** Pages of `top` holders; `next` is the offset of the next page. */
  async listUsersHoldingSkuPage(
    skuId: string,
    options: { top: number; next?: string },
  ): Promise<{ users: UserLicenseSnapshot[]; next?: string }> {
    const holders = await this.listUsersHoldingSku(skuId);
    const start = Number(options.next ?? '0');
    const users = holders.slice(start, start + options.top);
    return start + options.top < holders.length ? { users, next: String(start + options.top) } : { users };
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
    const members = this.#groups.get(key(groupId));
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
