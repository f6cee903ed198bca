import { GraphError, badRequest, licenseErrors, notFound } from './errors';
import { SeededRandom } from './random';
import type {
  AssignedLicense,
  CapabilityStatus,
  FreeSeatFormula,
  LicenseChangeCause,
  Scenario,
  ScenarioLicense,
  ScenarioUser,
  LicenseRules,
  ServicePlanInfo,
} from './types';

export interface LicenseStateEntry {
  skuId: string;
  /** null when directly assigned. */
  assignedByGroup: string | null;
  disabledPlans: string[];
  state: 'Active' | 'ActiveWithError' | 'Disabled' | 'Error';
  /** "None" on success ([OBS] real payloads), otherwise CountViolation, MutuallyExclusiveViolation, ... */
  error: string;
  lastUpdatedDateTime: string;
}

export interface SimSku {
  /** `{tenantId}_{skuId}` as in every doc example. */
  id: string;
  skuId: string;
  skuPartNumber: string;
  displayName: string;
  appliesTo: 'User' | 'Company';
  capabilityStatus: CapabilityStatus;
  prepaidUnits: { enabled: number; warning: number; suspended: number; lockedOut: number };
  servicePlans: ServicePlanInfo[];
  planIds: Set<string>;
  subscriptionIds: string[];
  /** Users holding the SKU (direct or via a group): the `$filter` index and the source of `consumedUnits`. */
  holders: Set<SimUser>;
}

export interface SimSubscription {
  id: string;
  commerceSubscriptionId: string;
  skuId: string;
  skuPartNumber: string;
  status: CapabilityStatus;
  totalLicenses: number;
  isTrial: boolean;
  createdDateTime: string;
  nextLifecycleDateTime: string | null;
  ownerId: string | null;
  ownerTenantId: string | null;
  ownerType: string | null;
}

export interface SimDomain {
  id: string;
  authenticationType: 'Managed' | 'Federated';
  availabilityStatus: null;
  isAdminManaged: boolean;
  isDefault: boolean;
  isInitial: boolean;
  isRoot: boolean;
  isVerified: boolean;
  supportedServices: string[];
  passwordValidityPeriodInDays: number;
  passwordNotificationWindowInDays: number;
  state: null;
}

export interface SimUser {
  /** Creation order: the order of list results. */
  ordinal: number;
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  department: string | null;
  jobTitle: string | null;
  accountEnabled: boolean;
  usageLocation: string | null;
  userType: 'Member' | 'Guest';
  createdDateTime: string;
  licenseStates: LicenseStateEntry[];
  /** Derived from `licenseStates`; replaced (never mutated) on change so events can keep references. */
  assignedLicenses: readonly AssignedLicense[];
  /** Groups the user is a direct member of. */
  memberOf: Set<SimGroup>;
  /** SKUs the user lost, with when they were removed: `assignedPlans` keeps their plans as Deleted. Created on first removal only, to keep 100,000 users light. */
  removedSkus?: Map<string, string>;
}

export type LicenseProcessingState = 'QueuedForProcessing' | 'ProcessingInProgress' | 'ProcessingComplete';

export interface SimGroup {
  id: string;
  displayName: string;
  description: string | null;
  members: (SimUser | SimGroup)[];
  assignedLicenses: AssignedLicense[];
  licenseProcessingState: LicenseProcessingState;
  /** [DOC] `DynamicMembership` (rule-based membership), `Unified` (Microsoft 365 group); empty for security groups. */
  groupTypes: string[];
  membershipRule: string | null;
  /** [DOC] true: synced from on-premises AD, where its membership is managed. */
  onPremisesSyncEnabled: boolean | null;
  isAssignableToRole: boolean;
}

/** Why Graph refuses to change a group's membership, if it does. */
export type MembershipRefusal = 'dynamic' | 'synced' | 'roleAssignable';

export interface SimOrganization {
  id: string;
  displayName: string;
  defaultUsageLocation: string | null;
  countryLetterCode: string;
  createdDateTime: string;
}

export interface ChangeContext {
  cause: LicenseChangeCause;
  requestId?: string;
  appId?: string;
}

export type LicenseChangeListener = (
  user: SimUser,
  before: readonly AssignedLicense[],
  after: readonly AssignedLicense[],
  context: ChangeContext,
) => void;

export interface TenantOptions {
  now: () => number;
  freeSeatFormula: () => FreeSeatFormula;
  atomicAssignLicense: () => boolean;
  /** Whether writes must be remembered for replication lag (any lag setting above zero). */
  lagActive: () => boolean;
  /** Draws how long (ms, already scaled) a new write stays invisible to single reads and to lists. */
  drawLag: () => { readMs: number; listMs: number };
  onLicenseChange: LicenseChangeListener;
  /** A user's `licenseAssignmentStates` changed while `assignedLicenses` did not. */
  onLicenseStateChange?: (
    user: SimUser,
    before: readonly LicenseStateEntry[],
    after: readonly LicenseStateEntry[],
    context: ChangeContext,
  ) => void;
  onMembershipChange?: (group: SimGroup, user: SimUser, change: 'add' | 'remove', context: MembershipContext) => void;
  onGroupLicenseChange?: (
    group: SimGroup,
    before: readonly AssignedLicense[],
    after: readonly AssignedLicense[],
    requestId?: string,
  ) => void;
  onGroupProcessing?: (group: SimGroup, processed?: number, members?: number) => void;
}

export interface MembershipContext {
  cause: 'graph' | 'control';
  requestId?: string;
}

/** A write not yet visible everywhere: reads see `before` until `readAt`, lists until `listAt`. */
interface PendingWrite {
  at: number;
  readAt: number;
  listAt: number;
  /** A shallow copy of the user as it was before the write. */
  before: SimUser;
}

interface RuleViolation {
  key: string;
  error: GraphError;
  kind: 'MutuallyExclusiveViolation' | 'DependencyViolation';
  /** The service plans involved. */
  plans: string[];
  /** For a dependency: the plans of which one is missing. */
  requires?: string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BLOCKING_STATUSES: ReadonlySet<CapabilityStatus> = new Set(['Suspended', 'LockedOut', 'Deleted']);

/** The directory: SKUs, subscriptions, domains, groups and users, with Graph's licensing rules. */
export class TenantState {
  tenantId = '';
  organization: SimOrganization = {
    id: '',
    displayName: '',
    defaultUsageLocation: null,
    countryLetterCode: 'US',
    createdDateTime: '',
  };
  readonly skus = new Map<string, SimSku>();
  readonly subscriptions: SimSubscription[] = [];
  readonly domains: SimDomain[] = [];
  readonly groups = new Map<string, SimGroup>();
  readonly users = new Map<string, SimUser>();
  readonly usersByUpn = new Map<string, SimUser>();
  /** Mutually exclusive service plan id pairs. */
  mutuallyExclusive: [string, string][] = [];
  /** Plan id → plan ids of which at least one must be enabled too. */
  dependencies = new Map<string, string[]>();
  /** Rules that hold whatever scenario is loaded (the profile's plan rules), by plan id. */
  private standingRules: LicenseRules = {};
  /** The loaded scenario's own `rules`, by plan id. */
  private scenarioRules: LicenseRules = {};

  private nextOrdinal = 0;
  private ids = new SeededRandom(0x5eed);
  /** For replication lag: per user, the writes not yet visible everywhere (oldest first). */
  private readonly recentChanges = new Map<SimUser, PendingWrite[]>();

  constructor(private readonly options: TenantOptions) {}

  // ------------------------------------------------------------------------------------------ loading

  load(scenario: Scenario): void {
    this.skus.clear();
    this.subscriptions.length = 0;
    this.domains.length = 0;
    this.groups.clear();
    this.users.clear();
    this.usersByUpn.clear();
    this.recentChanges.clear();
    this.nextOrdinal = 0;
    const created = new Date(this.options.now()).toISOString();
    // Ids a scenario leaves out are drawn from a fixed seed, so loading the same scenario again (reset) gives the same ids.
    this.ids = new SeededRandom(0x5eed);
    this.tenantId = scenario.tenantId ?? this.ids.uuid();
    this.organization = {
      id: scenario.organization?.id ?? this.tenantId,
      displayName: scenario.organization?.displayName ?? scenario.name ?? 'Simulated tenant',
      defaultUsageLocation: scenario.organization?.defaultUsageLocation ?? null,
      countryLetterCode: scenario.organization?.countryLetterCode ?? 'US',
      createdDateTime: created,
    };
    for (const d of scenario.domains) {
      this.domains.push({
        id: d.id,
        authenticationType: d.authenticationType ?? 'Managed',
        availabilityStatus: null,
        isAdminManaged: true,
        isDefault: d.isDefault ?? false,
        isInitial: d.isInitial ?? d.id.endsWith('.onmicrosoft.com'),
        isRoot: d.isRoot ?? true,
        isVerified: d.isVerified ?? true,
        supportedServices: d.supportedServices ?? ['Email', 'OfficeCommunicationsOnline'],
        passwordValidityPeriodInDays: 2147483647,
        passwordNotificationWindowInDays: 14,
        state: null,
      });
    }
    for (const s of scenario.skus) {
      const prepaid =
        typeof s.prepaidUnits === 'number'
          ? { enabled: s.prepaidUnits, warning: 0, suspended: 0, lockedOut: 0 }
          : {
              enabled: s.prepaidUnits.enabled,
              warning: s.prepaidUnits.warning ?? 0,
              suspended: s.prepaidUnits.suspended ?? 0,
              lockedOut: s.prepaidUnits.lockedOut ?? 0,
            };
      const sku: SimSku = {
        id: `${this.tenantId}_${s.skuId}`,
        skuId: s.skuId.toLowerCase(),
        skuPartNumber: s.skuPartNumber,
        displayName: s.displayName ?? s.skuPartNumber,
        appliesTo: s.appliesTo ?? 'User',
        capabilityStatus: s.capabilityStatus ?? 'Enabled',
        prepaidUnits: prepaid,
        servicePlans: s.servicePlans.map((p) => ({
          servicePlanId: p.servicePlanId.toLowerCase(),
          servicePlanName: p.servicePlanName,
          appliesTo: p.appliesTo ?? s.appliesTo ?? 'User',
          provisioningStatus: p.provisioningStatus ?? 'Success',
        })),
        planIds: new Set(s.servicePlans.map((p) => p.servicePlanId.toLowerCase())),
        subscriptionIds: [],
        holders: new Set(),
      };
      this.skus.set(sku.skuId, sku);
      const subs = s.subscriptions ?? [{ totalLicenses: prepaid.enabled + prepaid.warning + prepaid.suspended }];
      for (const sub of subs) {
        const id = sub.id ?? this.ids.uuid();
        sku.subscriptionIds.push(id);
        this.subscriptions.push({
          id,
          commerceSubscriptionId: sub.commerceSubscriptionId ?? this.ids.uuid(),
          skuId: sku.skuId,
          skuPartNumber: sku.skuPartNumber,
          status: sub.status ?? sku.capabilityStatus,
          totalLicenses: sub.totalLicenses,
          isTrial: sub.isTrial ?? false,
          createdDateTime: sub.createdDateTime ?? created,
          nextLifecycleDateTime: sub.nextLifecycleDateTime ?? null,
          ownerId: null,
          ownerTenantId: null,
          ownerType: null,
        });
      }
    }
    this.scenarioRules = {
      mutuallyExclusive: (scenario.rules?.mutuallyExclusive ?? []).map(([a, b]) => [
        this.resolvePlanRef(a),
        this.resolvePlanRef(b),
      ]),
      dependencies: (scenario.rules?.dependencies ?? []).map((d) => ({
        servicePlan: this.resolvePlanRef(d.servicePlan),
        requires: d.requires.map((r) => this.resolvePlanRef(r)),
      })),
    };
    this.combineRules();
    const stamp = created;
    for (const u of scenario.users) this.insertUser(u, stamp);
    const declared: [SimGroup, string[]][] = (scenario.groups ?? []).map((g) => {
      const group: SimGroup = {
        id: g.id ?? this.ids.uuid(),
        displayName: g.displayName,
        description: g.description ?? null,
        members: [],
        assignedLicenses: (g.licenses ?? []).map((l) => this.resolveLicense(l)),
        licenseProcessingState: 'ProcessingComplete',
        groupTypes: [...(g.groupTypes ?? [])],
        membershipRule: g.membershipRule ?? null,
        onPremisesSyncEnabled: g.onPremisesSyncEnabled ?? null,
        isAssignableToRole: g.isAssignableToRole ?? false,
      };
      this.groups.set(group.id, group);
      return [group, g.members];
    });
    // Members are linked after every group exists, so a group may list a group declared later.
    for (const [group, refs] of declared) {
      for (const ref of refs) {
        const member = this.findUser(ref) ?? this.groups.get(ref);
        if (!member) throw new Error(`Scenario group ${group.displayName}: unknown member ${ref}`);
        group.members.push(member);
        if ('userPrincipalName' in member) member.memberOf.add(group);
      }
    }
    // Scenario licenses are the starting truth: group licenses are active without seat checks.
    for (const user of this.users.values()) {
      for (const group of user.memberOf) {
        for (const l of group.assignedLicenses) {
          user.licenseStates.push(this.stateEntry(l.skuId, group.id, l.disabledPlans, stamp));
        }
      }
      this.refreshDerived(user, stamp);
    }
  }

  private insertUser(u: ScenarioUser, stamp: string): SimUser {
    const upn = u.userPrincipalName;
    if (this.usersByUpn.has(upn.toLowerCase())) throw new Error(`Duplicate userPrincipalName ${upn}`);
    const user: SimUser = {
      ordinal: this.nextOrdinal++,
      id: u.id ?? this.ids.uuid(),
      userPrincipalName: upn,
      displayName: u.displayName ?? upn.split('@')[0] ?? upn,
      givenName: u.givenName ?? null,
      surname: u.surname ?? null,
      mail: u.mail === undefined ? (upn.includes('#EXT#') ? null : upn) : u.mail,
      department: u.department ?? null,
      jobTitle: u.jobTitle ?? null,
      accountEnabled: u.accountEnabled ?? true,
      usageLocation: u.usageLocation === undefined ? 'US' : u.usageLocation,
      userType: u.userType ?? (upn.includes('#EXT#') ? 'Guest' : 'Member'),
      createdDateTime: stamp,
      licenseStates: (u.licenses ?? []).map((l) => {
        const resolved = this.resolveLicense(l);
        return this.stateEntry(resolved.skuId, null, resolved.disabledPlans, stamp);
      }),
      assignedLicenses: [],
      memberOf: new Set(),
    };
    if (this.users.has(user.id)) throw new Error(`Duplicate user id ${user.id}`);
    this.users.set(user.id, user);
    this.usersByUpn.set(upn.toLowerCase(), user);
    return user;
  }

  /** Adds a user at run time (control API); licenses are taken as given, like scenario users. */
  addUser(u: ScenarioUser & { groups?: string[] }): SimUser {
    const stamp = new Date(this.options.now()).toISOString();
    const user = this.insertUser(u, stamp);
    const before = user.assignedLicenses;
    for (const ref of u.groups ?? []) {
      const group = this.groups.get(ref);
      if (!group) throw badRequest(`Unknown group ${ref}`);
      group.members.push(user);
      user.memberOf.add(group);
    }
    this.refreshDerived(user, stamp);
    this.evaluateGroupAssignments(user, stamp);
    this.notifyIfChanged(user, before, { cause: 'control' });
    return user;
  }

  removeUser(idOrUpn: string): void {
    const user = this.findUser(idOrUpn);
    if (!user) throw notFound(idOrUpn);
    const before = user.assignedLicenses;
    for (const sku of this.skus.values()) sku.holders.delete(user);
    for (const group of user.memberOf) group.members = group.members.filter((m) => m !== user);
    this.users.delete(user.id);
    this.usersByUpn.delete(user.userPrincipalName.toLowerCase());
    user.licenseStates = [];
    user.assignedLicenses = [];
    this.notifyIfChanged(user, before, { cause: 'control' });
  }

  /** Sets the rules that hold across scenario loads (plan ids). Scenario `rules` still apply on top. */
  setStandingRules(rules: LicenseRules): void {
    this.standingRules = rules;
    this.combineRules();
  }

  private combineRules(): void {
    const pairs = new Map<string, [string, string]>();
    for (const [a, b] of [
      ...(this.standingRules.mutuallyExclusive ?? []),
      ...(this.scenarioRules.mutuallyExclusive ?? []),
    ]) {
      const x = a.toLowerCase();
      const y = b.toLowerCase();
      pairs.set(x < y ? `${x}|${y}` : `${y}|${x}`, [x, y]);
    }
    this.mutuallyExclusive = [...pairs.values()];
    const dependencies = new Map<string, string[]>();
    for (const d of [...(this.standingRules.dependencies ?? []), ...(this.scenarioRules.dependencies ?? [])]) {
      const plan = d.servicePlan.toLowerCase();
      const requires = d.requires.map((r) => r.toLowerCase());
      dependencies.set(plan, [...new Set([...(dependencies.get(plan) ?? []), ...requires])]);
    }
    this.dependencies = dependencies;
  }

  private resolveLicense(l: ScenarioLicense): AssignedLicense {
    const sku = this.findSku(l.sku);
    if (!sku) throw new Error(`Scenario refers to unknown SKU ${l.sku}`);
    return {
      skuId: sku.skuId,
      disabledPlans: (l.disabledPlans ?? []).map((ref) => {
        const plan = sku.servicePlans.find(
          (p) => p.servicePlanId === ref.toLowerCase() || p.servicePlanName.toLowerCase() === ref.toLowerCase(),
        );
        if (!plan) throw new Error(`Scenario: plan ${ref} is not part of ${sku.skuPartNumber}`);
        return plan.servicePlanId;
      }),
    };
  }

  private resolvePlanRef(ref: string): string {
    if (GUID.test(ref)) return ref.toLowerCase();
    for (const sku of this.skus.values()) {
      const plan = sku.servicePlans.find((p) => p.servicePlanName.toLowerCase() === ref.toLowerCase());
      if (plan) return plan.servicePlanId;
    }
    throw new Error(`Scenario rule refers to unknown service plan ${ref}`);
  }

  private stateEntry(skuId: string, group: string | null, disabledPlans: string[], stamp: string): LicenseStateEntry {
    return {
      skuId,
      assignedByGroup: group,
      disabledPlans: [...disabledPlans],
      state: 'Active',
      error: 'None',
      lastUpdatedDateTime: stamp,
    };
  }

  // ------------------------------------------------------------------------------------------ look-ups

  findUser(idOrUpn: string): SimUser | undefined {
    return this.users.get(idOrUpn) ?? this.usersByUpn.get(idOrUpn.toLowerCase());
  }

  findSku(ref: string): SimSku | undefined {
    const lower = ref.toLowerCase();
    const direct = this.skus.get(lower);
    if (direct) return direct;
    for (const sku of this.skus.values()) {
      if (sku.skuPartNumber.toLowerCase() === lower || sku.id.toLowerCase() === lower) return sku;
    }
    return undefined;
  }

  /** S < 50 users, M 50–500, L > 500 ([DOC] throttling limits). */
  get size(): 'S' | 'M' | 'L' {
    const n = this.users.size;
    return n < 50 ? 'S' : n <= 500 ? 'M' : 'L';
  }

  /** Seats in use now (what seat checks use). */
  consumedUnits(sku: SimSku): number {
    return sku.holders.size;
  }

  /** Seats in use as lists and `subscribedSkus` report them (behind by the replication lag). */
  reportedConsumedUnits(sku: SimSku): number {
    let consumed = sku.holders.size;
    for (const user of this.recentlyChangedUsers()) {
      const heldThen = this.laggedLicenses(user).some((l) => l.skuId === sku.skuId);
      const heldNow = sku.holders.has(user);
      if (heldThen && !heldNow) consumed++;
      if (!heldThen && heldNow) consumed--;
    }
    return consumed;
  }

  freeSeats(sku: SimSku): number {
    const { enabled, warning } = sku.prepaidUnits;
    const formula = this.options.freeSeatFormula();
    const usable =
      formula === 'enabled' ? enabled : formula === 'enabledMinusWarning' ? enabled - warning : enabled + warning;
    return usable - this.consumedUnits(sku);
  }

  /**
   * The user as a replica serving this kind of read sees it: as it was before the oldest write not yet visible to
   * that kind of read. `read` is a GET of one user; `list` is a collection (users, group members) or a count.
   */
  view(user: SimUser, kind: 'read' | 'list'): SimUser {
    const changes = this.recentChanges.get(user);
    if (!changes) return user;
    const now = this.options.now();
    for (const c of changes) {
      if ((kind === 'read' ? c.readAt : c.listAt) > now) return c.before;
    }
    return user;
  }

  /** The user's licenses as lists see them. */
  laggedLicenses(user: SimUser): readonly AssignedLicense[] {
    return this.view(user, 'list').assignedLicenses;
  }

  /** Users with a write that lists do not see yet (they may still look as they were). */
  recentlyChangedUsers(): SimUser[] {
    if (this.recentChanges.size === 0) return [];
    const now = this.options.now();
    const result: SimUser[] = [];
    for (const [user, changes] of this.recentChanges) {
      // Both visibility times only grow along the list, so visible writes are all at its front.
      while (changes.length > 0 && (changes[0]?.readAt ?? 0) <= now && (changes[0]?.listAt ?? 0) <= now) {
        changes.shift();
      }
      if (changes.length === 0) this.recentChanges.delete(user);
      else if (changes.some((c) => c.listAt > now)) result.push(user);
    }
    return result;
  }

  /** A copy of the user to remember as "before this write", when replication lag is on. */
  private snapshot(user: SimUser): SimUser | undefined {
    if (!this.options.lagActive()) return undefined;
    return { ...user, removedSkus: user.removedSkus ? new Map(user.removedSkus) : undefined };
  }

  /** Remembers a write so reads and lists keep showing `before` for their lag. Writes become visible in order. */
  private rememberWrite(user: SimUser, before: SimUser | undefined): void {
    if (!before) return;
    const at = this.options.now();
    const lag = this.options.drawLag();
    const list = this.recentChanges.get(user) ?? [];
    const previous = list[list.length - 1];
    list.push({
      at,
      readAt: Math.max(previous?.readAt ?? 0, at + lag.readMs),
      listAt: Math.max(previous?.listAt ?? 0, at + lag.listMs),
      before,
    });
    this.recentChanges.set(user, list);
  }

  /** `PATCH /users/{id}` after validation: the change is subject to replication lag like a license change. */
  updateUser(user: SimUser, changes: Record<string, unknown>): void {
    const before = this.snapshot(user);
    for (const [name, value] of Object.entries(changes)) (user as unknown as Record<string, unknown>)[name] = value;
    this.rememberWrite(user, before);
  }

  // ------------------------------------------------------------------------------------------ assignLicense

  /** `POST /users/{id}/assignLicense` with the documented validation order and all-or-nothing semantics. */
  assignLicense(userKey: string, body: unknown, context: ChangeContext): SimUser {
    const { add, remove } = parseAssignLicenseBody(body);
    const user = this.findUser(userKey);
    if (!user) throw notFound(userKey);
    for (const skuId of remove) if (!this.skus.has(skuId.toLowerCase())) throw licenseErrors.unknownSku(skuId);
    for (const l of add) {
      const sku = this.skus.get(l.skuId.toLowerCase());
      if (!sku) throw licenseErrors.unknownSku(l.skuId);
      if (sku.appliesTo !== 'User') throw licenseErrors.notForUsers(l.skuId);
      for (const plan of l.disabledPlans) {
        if (!sku.planIds.has(plan.toLowerCase())) throw licenseErrors.invalidDisabledPlan(plan, l.skuId);
      }
    }
    if (add.length > 0 && !user.usageLocation) throw licenseErrors.invalidUsageLocation();
    for (const skuId of remove) {
      const id = skuId.toLowerCase();
      const direct = user.licenseStates.some((s) => s.skuId === id && s.assignedByGroup === null);
      if (!direct) {
        const inherited = user.licenseStates.some((s) => s.skuId === id);
        throw inherited ? licenseErrors.inheritedFromGroup() : licenseErrors.notHeld();
      }
    }
    const stamp = new Date(this.options.now()).toISOString();
    const before = user.assignedLicenses;
    const removeIds = new Set(remove.map((s) => s.toLowerCase()));
    const afterRemoval = user.licenseStates.filter((s) => !(s.assignedByGroup === null && removeIds.has(s.skuId)));
    if (!this.options.atomicAssignLicense() && removeIds.size > 0) {
      // Non-atomic mode: removals land before the additions are checked, as if they were two calls.
      const snapshot = this.snapshot(user);
      const beforeStates = user.licenseStates;
      user.licenseStates = afterRemoval;
      this.refreshDerived(user, stamp);
      this.notifyIfChanged(user, before, context, snapshot, beforeStates);
    }
    const heldAfterRemoval = new Set(deriveAssigned(afterRemoval).map((l) => l.skuId));
    for (const l of add) {
      const sku = this.skus.get(l.skuId.toLowerCase()) as SimSku;
      // A SKU the user keeps holding (re-added to change disabled plans, or also inherited) needs no new seat.
      if (heldAfterRemoval.has(sku.skuId)) continue;
      if (BLOCKING_STATUSES.has(sku.capabilityStatus) || this.freeSeats(sku) <= 0) {
        throw licenseErrors.noAvailableLicenses(sku.skuId);
      }
    }
    const next = afterRemoval.filter(
      (s) => !(s.assignedByGroup === null && add.some((l) => l.skuId.toLowerCase() === s.skuId)),
    );
    for (const l of add) {
      next.push(
        this.stateEntry(
          l.skuId.toLowerCase(),
          null,
          l.disabledPlans.map((p) => p.toLowerCase()),
          stamp,
        ),
      );
    }
    const ruleError = this.newRuleViolation(deriveAssigned(user.licenseStates), deriveAssigned(next));
    if (ruleError) throw ruleError;
    const snapshot = this.snapshot(user);
    const beforeStates = user.licenseStates;
    user.licenseStates = next;
    const beforeApply = user.assignedLicenses;
    this.refreshDerived(user, stamp);
    this.notifyIfChanged(user, beforeApply, context, snapshot, beforeStates);
    return user;
  }

  /** Rule violations present after the change that were not present before it. */
  private newRuleViolation(before: readonly AssignedLicense[], after: readonly AssignedLicense[]): GraphError | null {
    const was = new Set(this.ruleViolations(before).map((v) => v.key));
    return this.ruleViolations(after).find((v) => !was.has(v.key))?.error ?? null;
  }

  private ruleViolations(licenses: readonly AssignedLicense[]): RuleViolation[] {
    if (this.mutuallyExclusive.length === 0 && this.dependencies.size === 0) return [];
    const enabled = this.enabledPlans(licenses);
    const found: RuleViolation[] = [];
    for (const [a, b] of this.mutuallyExclusive) {
      if (enabled.has(a) && enabled.has(b)) {
        found.push({
          key: `x:${a}:${b}`,
          error: licenseErrors.mutuallyExclusive(a, b),
          kind: 'MutuallyExclusiveViolation',
          plans: [a, b],
        });
      }
    }
    for (const [plan, requires] of this.dependencies) {
      if (enabled.has(plan) && !requires.some((r) => enabled.has(r))) {
        found.push({
          key: `d:${plan}`,
          error: licenseErrors.dependency(plan, requires),
          kind: 'DependencyViolation',
          plans: [plan],
          requires,
        });
      }
    }
    return found;
  }

  private enabledPlans(licenses: readonly AssignedLicense[]): Set<string> {
    const enabled = new Set<string>();
    for (const l of licenses) {
      const sku = this.skus.get(l.skuId);
      if (!sku) continue;
      const off = new Set(l.disabledPlans);
      for (const p of sku.servicePlans) if (!off.has(p.servicePlanId)) enabled.add(p.servicePlanId);
    }
    return enabled;
  }

  // ------------------------------------------------------------------------------------------ group licensing

  /** `POST /groups/{id}/assignLicense`: records the change; members are processed later (202 semantics). */
  assignGroupLicense(groupId: string, body: unknown, requestId?: string): SimGroup {
    const { add, remove } = parseAssignLicenseBody(body);
    const group = this.groups.get(groupId);
    if (!group) throw notFound(groupId);
    for (const l of add) {
      const sku = this.skus.get(l.skuId.toLowerCase());
      if (!sku) throw licenseErrors.unknownSku(l.skuId);
      for (const plan of l.disabledPlans) {
        if (!sku.planIds.has(plan.toLowerCase())) throw licenseErrors.invalidDisabledPlan(plan, l.skuId);
      }
    }
    for (const skuId of remove) {
      if (!group.assignedLicenses.some((l) => l.skuId === skuId.toLowerCase())) throw licenseErrors.notHeld();
    }
    const removeIds = new Set(remove.map((s) => s.toLowerCase()));
    const next = group.assignedLicenses.filter((l) => !removeIds.has(l.skuId));
    for (const l of add) {
      const skuId = l.skuId.toLowerCase();
      const entry = { skuId, disabledPlans: l.disabledPlans.map((p) => p.toLowerCase()) };
      const existing = next.findIndex((x) => x.skuId === skuId);
      if (existing >= 0) next[existing] = entry;
      else next.push(entry);
    }
    const before = group.assignedLicenses;
    group.assignedLicenses = next;
    // A call that changes nothing still queues processing (members in error are tried again), but is no change.
    if (!sameLicenses(before, next)) this.options.onGroupLicenseChange?.(group, before, next, requestId);
    this.setProcessingState(group, 'QueuedForProcessing');
    return group;
  }

  /** Records a group's processing state (and tells the event log when it changed). */
  setProcessingState(group: SimGroup, state: LicenseProcessingState, processed?: number, members?: number): void {
    const changed = group.licenseProcessingState !== state;
    group.licenseProcessingState = state;
    if (changed || state === 'ProcessingInProgress') this.options.onGroupProcessing?.(group, processed, members);
  }

  /** The direct user members of a group, in membership order (the ones its licenses reach). */
  directUserMembers(group: SimGroup): SimUser[] {
    return group.members.filter((m): m is SimUser => 'userPrincipalName' in m);
  }

  /** Applies a group's licenses to some of its direct members (one slice of a processing run). */
  processGroupMembers(group: SimGroup, members: readonly SimUser[], context: ChangeContext): void {
    const stamp = new Date(this.options.now()).toISOString();
    for (const member of members) {
      // A member that left or was deleted meanwhile is not processed for this group.
      if (this.users.get(member.id) !== member || !member.memberOf.has(group)) continue;
      this.evaluateMember(member, stamp, context);
    }
  }

  /** Direct members of the group whose assignment from it is in error ([DOC] group: membersWithLicenseErrors). */
  membersWithLicenseErrors(group: SimGroup): SimUser[] {
    return this.directUserMembers(group).filter((user) =>
      user.licenseStates.some((s) => s.assignedByGroup === group.id && s.error !== 'None'),
    );
  }

  /** Applies a group's licenses to its direct members (nested groups do not inherit: [DOC] service limits). */
  processGroup(group: SimGroup, context: ChangeContext = { cause: 'groupProcessing' }): void {
    const members = this.directUserMembers(group);
    this.setProcessingState(group, 'ProcessingInProgress', 0, members.length);
    this.processGroupMembers(group, members, context);
    this.setProcessingState(group, 'ProcessingComplete', members.length, members.length);
  }

  private evaluateMember(member: SimUser, stamp: string, context: ChangeContext): void {
    const before = member.assignedLicenses;
    const beforeStates = member.licenseStates;
    const snapshot = this.snapshot(member);
    this.evaluateGroupAssignments(member, stamp);
    this.notifyIfChanged(member, before, context, snapshot, beforeStates);
  }

  /**
   * Adds a user to or removes one from a group (what a directory sync or an admin does). Group licenses follow at
   * once: the user's group assignments are re-evaluated in the same step.
   */
  setGroupMembership(groupId: string, userKey: string, member: boolean): SimUser {
    const group = this.groups.get(groupId);
    if (!group) throw notFound(groupId);
    const user = this.findUser(userKey);
    if (!user) throw notFound(userKey);
    if (member && !user.memberOf.has(group)) {
      group.members.push(user);
      user.memberOf.add(group);
      this.options.onMembershipChange?.(group, user, 'add', { cause: 'control' });
    } else if (!member && user.memberOf.has(group)) {
      group.members = group.members.filter((m) => m !== user);
      user.memberOf.delete(group);
      this.options.onMembershipChange?.(group, user, 'remove', { cause: 'control' });
    }
    return this.evaluateUser(user, { cause: 'groupProcessing' });
  }

  /**
   * Changes a group's membership without touching licenses (`POST /groups/{id}/members/$ref`, `DELETE
   * .../members/{id}/$ref`): the member's group licenses follow when the group is processed (`evaluateUser`).
   * Throws Graph's errors for an unknown group or member, a duplicate add or a missing member.
   */
  changeMembership(
    group: SimGroup,
    user: SimUser,
    member: boolean,
    context: MembershipContext = { cause: 'graph' },
    mayChangeRoleAssignable = false,
  ): void {
    const refusal = membershipRefusal(group);
    if (refusal === 'dynamic' || (refusal === 'roleAssignable' && !mayChangeRoleAssignable)) {
      throw membershipErrors.insufficientPrivileges();
    }
    if (refusal === 'synced') throw membershipErrors.onPremisesMastered();
    if (member) {
      if (user.memberOf.has(group)) throw membershipErrors.alreadyMember();
      group.members.push(user);
      user.memberOf.add(group);
    } else {
      if (!user.memberOf.has(group)) throw notFound(user.id);
      group.members = group.members.filter((m) => m !== user);
      user.memberOf.delete(group);
    }
    this.options.onMembershipChange?.(group, user, member ? 'add' : 'remove', context);
  }

  /** Brings one user's group licenses in line with their groups now (group processing for one member). */
  evaluateUser(user: SimUser, context: ChangeContext): SimUser {
    this.evaluateMember(user, new Date(this.options.now()).toISOString(), context);
    return user;
  }

  /** `POST /users/{id}/reprocessLicenseAssignment`. */
  reprocess(userKey: string, context: ChangeContext): SimUser {
    const user = this.findUser(userKey);
    if (!user) throw notFound(userKey);
    return this.evaluateUser(user, context);
  }

  /**
   * Brings a user's group-based entries in line with the groups' licenses, group by group, all-or-nothing per group
   * ([DOC] https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems). New or failed assignments are (re)tried and end `Error` on failure; an assignment
   * already in force whose change fails keeps its old plans and becomes `ActiveWithError`, as does one whose removal
   * would break a dependency.
   */
  private evaluateGroupAssignments(user: SimUser, stamp: string): void {
    const wanted = new Map<string, SimGroup>();
    for (const g of user.memberOf) wanted.set(g.id, g);
    let states = this.dropUnwanted(user.licenseStates, wanted, stamp);
    for (const group of wanted.values()) {
      const pending = group.assignedLicenses.filter(
        (l) =>
          !states.some(
            (s) =>
              s.assignedByGroup === group.id &&
              s.skuId === l.skuId &&
              s.state === 'Active' &&
              samePlans(s.disabledPlans, l.disabledPlans),
          ),
      );
      if (pending.length === 0) continue;
      const isPending = (s: LicenseStateEntry): boolean =>
        s.assignedByGroup === group.id && pending.some((l) => l.skuId === s.skuId);
      const others = states.filter((s) => !isPending(s));
      const candidate = [...others, ...pending.map((l) => this.stateEntry(l.skuId, group.id, l.disabledPlans, stamp))];
      const failure = this.groupFailure(user, states, candidate, pending);
      if (failure) {
        const current = states;
        states = [
          ...others,
          ...pending.map((l): LicenseStateEntry => {
            const error = l.skuId === failure.skuId ? failure.error : 'Other';
            const inForce = current.find((s) => isPending(s) && s.skuId === l.skuId && isActive(s));
            return inForce
              ? { ...inForce, state: 'ActiveWithError', error, lastUpdatedDateTime: stamp }
              : { ...this.stateEntry(l.skuId, group.id, l.disabledPlans, stamp), state: 'Error', error };
          }),
        ];
      } else {
        states = candidate;
      }
      // Seat counts must see this group's result before the next group is tried.
      user.licenseStates = states;
      this.refreshDerived(user, stamp);
    }
    user.licenseStates = states;
    this.refreshDerived(user, stamp);
  }

  /**
   * Removes group assignments the user no longer gets (left the group, or the group dropped the SKU). One whose
   * removal would leave an enabled plan without the plan it depends on stays, `ActiveWithError` with
   * `DependencyViolation` ([DOC] resolve-problems, "Other products depend on this license").
   */
  private dropUnwanted(
    states: readonly LicenseStateEntry[],
    wanted: ReadonlyMap<string, SimGroup>,
    stamp: string,
  ): LicenseStateEntry[] {
    const isWanted = (s: LicenseStateEntry): boolean =>
      s.assignedByGroup === null ||
      (wanted.get(s.assignedByGroup)?.assignedLicenses.some((l) => l.skuId === s.skuId) ?? false);
    let kept = states.filter(isWanted);
    if (kept.length === states.length) return kept;
    let removable = states.filter((s) => !isWanted(s) && isActive(s));
    const was = new Set(this.ruleViolations(deriveAssigned(states)).map((v) => v.key));
    for (;;) {
      const required = new Set(
        this.ruleViolations(deriveAssigned(kept))
          .filter((v) => v.kind === 'DependencyViolation' && !was.has(v.key))
          .flatMap((v) => v.requires ?? []),
      );
      const blocking = removable.filter((s) => {
        const off = new Set(s.disabledPlans);
        return [...(this.skus.get(s.skuId)?.planIds ?? [])].some((p) => required.has(p) && !off.has(p));
      });
      if (blocking.length === 0) return kept;
      kept = [
        ...kept,
        ...blocking.map((s): LicenseStateEntry => ({
          ...s,
          state: 'ActiveWithError',
          error: 'DependencyViolation',
          lastUpdatedDateTime: stamp,
        })),
      ];
      removable = removable.filter((s) => !blocking.includes(s));
    }
  }

  /** Why a group's pending licenses cannot be applied, or null. `current` is the user's state before the attempt. */
  private groupFailure(
    user: SimUser,
    current: LicenseStateEntry[],
    candidate: LicenseStateEntry[],
    pending: AssignedLicense[],
  ): { skuId: string; error: string } | null {
    const held = new Set(deriveAssigned(current).map((l) => l.skuId));
    for (const l of pending) {
      const sku = this.skus.get(l.skuId);
      if (!sku) return { skuId: l.skuId, error: 'Other' };
      if (!held.has(sku.skuId) && (BLOCKING_STATUSES.has(sku.capabilityStatus) || this.freeSeats(sku) <= 0)) {
        return { skuId: l.skuId, error: 'CountViolation' };
      }
      if (!user.usageLocation && !this.organization.defaultUsageLocation) {
        return { skuId: l.skuId, error: 'ProhibitedInUsageLocationViolation' };
      }
    }
    const was = new Set(this.ruleViolations(deriveAssigned(current)).map((v) => v.key));
    const fresh = this.ruleViolations(deriveAssigned(candidate)).find((v) => !was.has(v.key));
    if (!fresh) return null;
    // The error lands on the group SKU that brings one of the offending plans.
    const culprit = pending.find((l) => fresh.plans.some((p) => this.skus.get(l.skuId)?.planIds.has(p))) ?? pending[0];
    return { skuId: culprit?.skuId ?? '', error: fresh.kind };
  }

  // ------------------------------------------------------------------------------------------ control

  setSkuSeats(ref: string, enabled: number): SimSku {
    const sku = this.findSku(ref);
    if (!sku) throw notFound(ref);
    sku.prepaidUnits = { ...sku.prepaidUnits, enabled };
    const subs = this.subscriptions.filter((s) => s.skuId === sku.skuId);
    const last = subs[subs.length - 1];
    if (last) last.totalLicenses = Math.max(0, enabled - subs.slice(0, -1).reduce((n, s) => n + s.totalLicenses, 0));
    return sku;
  }

  /** Changes a SKU's status; units move between the prepaidUnits buckets the way the lifecycle describes. */
  setSkuStatus(ref: string, status: CapabilityStatus): SimSku {
    const sku = this.findSku(ref);
    if (!sku) throw notFound(ref);
    const p = sku.prepaidUnits;
    const total = p.enabled + p.warning + p.suspended + p.lockedOut;
    sku.capabilityStatus = status;
    sku.prepaidUnits =
      status === 'Enabled'
        ? { enabled: total, warning: 0, suspended: 0, lockedOut: 0 }
        : status === 'Warning'
          ? { enabled: 0, warning: total, suspended: 0, lockedOut: 0 }
          : status === 'Suspended'
            ? { enabled: 0, warning: 0, suspended: total, lockedOut: 0 }
            : status === 'LockedOut'
              ? { enabled: 0, warning: 0, suspended: 0, lockedOut: total }
              : { enabled: 0, warning: 0, suspended: 0, lockedOut: 0 };
    for (const s of this.subscriptions) if (s.skuId === sku.skuId) s.status = status;
    return sku;
  }

  // ------------------------------------------------------------------------------------------ derived data

  private refreshDerived(user: SimUser, stamp: string): void {
    const next = deriveAssigned(user.licenseStates);
    const prevIds = new Set(user.assignedLicenses.map((l) => l.skuId));
    const nextIds = new Set(next.map((l) => l.skuId));
    for (const id of prevIds) if (!nextIds.has(id)) this.skus.get(id)?.holders.delete(user);
    for (const id of nextIds) if (!prevIds.has(id)) this.skus.get(id)?.holders.add(user);
    for (const id of prevIds) {
      if (nextIds.has(id)) continue;
      (user.removedSkus ??= new Map()).set(id, stamp);
    }
    for (const id of nextIds) user.removedSkus?.delete(id);
    user.assignedLicenses = next;
  }

  /**
   * Records a license write: the event when the licenses changed, and (with replication lag) the state before it,
   * also when only `licenseAssignmentStates` changed.
   */
  private notifyIfChanged(
    user: SimUser,
    before: readonly AssignedLicense[],
    context: ChangeContext,
    snapshot?: SimUser,
    beforeStates?: readonly LicenseStateEntry[],
  ): void {
    const after = user.assignedLicenses;
    const changed = !sameLicenses(before, after);
    const statesBefore = beforeStates ?? snapshot?.licenseStates;
    const statesChanged = statesBefore !== undefined && !sameStates(statesBefore, user.licenseStates);
    if (snapshot && (changed || statesChanged)) {
      this.rememberWrite(user, snapshot);
    }
    if (changed) this.options.onLicenseChange(user, before, after, context);
    else if (statesChanged) this.options.onLicenseStateChange?.(user, statesBefore, user.licenseStates, context);
  }
}

/** One `assignedLicenses` entry per SKU from the active states; a plan enabled by any assignment is enabled. */
export function deriveAssigned(states: readonly LicenseStateEntry[]): AssignedLicense[] {
  const bySku = new Map<string, AssignedLicense>();
  for (const s of states) {
    if (s.state !== 'Active' && s.state !== 'ActiveWithError') continue;
    const existing = bySku.get(s.skuId);
    if (!existing) bySku.set(s.skuId, { skuId: s.skuId, disabledPlans: [...s.disabledPlans] });
    else existing.disabledPlans = existing.disabledPlans.filter((p) => s.disabledPlans.includes(p));
  }
  return [...bySku.values()];
}

export function sameLicenses(a: readonly AssignedLicense[], b: readonly AssignedLicense[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const key = (l: AssignedLicense): string => `${l.skuId}:${[...l.disabledPlans].sort().join(',')}`;
  const left = new Set(a.map(key));
  return b.every((l) => left.has(key(l)));
}

function isActive(s: LicenseStateEntry): boolean {
  return s.state === 'Active' || s.state === 'ActiveWithError';
}

function samePlans(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((p) => b.includes(p));
}

function sameStates(a: readonly LicenseStateEntry[], b: readonly LicenseStateEntry[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const key = (s: LicenseStateEntry): string =>
    `${s.skuId}|${s.assignedByGroup ?? ''}|${s.state}|${s.error}|${[...s.disabledPlans].sort().join(',')}`;
  const left = new Set(a.map(key));
  return b.every((s) => left.has(key(s)));
}

/** [OBS] Graph's answers to membership changes through `members/$ref`. */
const membershipErrors = {
  alreadyMember: (): GraphError =>
    badRequest("One or more added object references already exist for the following modified properties: 'members'."),
  /**
   * [OBS] Microsoft's troubleshooting article "403 error when adding a user to a group by using Microsoft Graph API":
   * dynamic groups cannot have members written over Graph, and role-assignable groups also need
   * RoleManagement.ReadWrite.Directory; both answer 403 Authorization_RequestDenied.
   */
  insufficientPrivileges: (): GraphError =>
    new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
  /** [OBS for synced users; CONF that groups answer the same] an on-premises-mastered object cannot be written. */
  onPremisesMastered: (): GraphError =>
    badRequest(
      'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
    ),
};

/** Why membership writes to this group are refused, if they are ([DOC] group resource properties). */
export function membershipRefusal(group: SimGroup): MembershipRefusal | undefined {
  if (group.groupTypes.some((t) => t.toLowerCase() === 'dynamicmembership')) return 'dynamic';
  if (group.onPremisesSyncEnabled === true) return 'synced';
  if (group.isAssignableToRole) return 'roleAssignable';
  return undefined;
}

function parseAssignLicenseBody(body: unknown): { add: AssignedLicense[]; remove: string[] } {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const missing = ['addLicenses', 'removeLicenses'].filter((k) => record[k] === undefined || record[k] === null);
  if (missing.length > 0) throw licenseErrors.missingParameters(missing);
  const addRaw = record.addLicenses;
  const removeRaw = record.removeLicenses;
  if (!Array.isArray(addRaw) || !Array.isArray(removeRaw)) {
    throw badRequest("Invalid value for parameter 'addLicenses' or 'removeLicenses': a collection is expected.");
  }
  const add = addRaw.map((item: unknown) => {
    const entry = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    const skuId = entry.skuId;
    const disabled = entry.disabledPlans ?? [];
    if (typeof skuId !== 'string' || !GUID.test(skuId) || !Array.isArray(disabled)) {
      throw badRequest(`Invalid value specified for property 'skuId' of resource 'AssignedLicense'.`);
    }
    return { skuId: skuId.toLowerCase(), disabledPlans: disabled.map((p) => String(p).toLowerCase()) };
  });
  const remove = removeRaw.map((item: unknown) => {
    if (typeof item !== 'string' || !GUID.test(item)) {
      throw badRequest(`Invalid value specified for property 'removeLicenses' of resource 'User'.`);
    }
    return item.toLowerCase();
  });
  return { add, remove };
}
