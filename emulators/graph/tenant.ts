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

export interface SimGroup {
  id: string;
  displayName: string;
  description: string | null;
  members: (SimUser | SimGroup)[];
  assignedLicenses: AssignedLicense[];
  licenseProcessingState: 'QueuedForProcessing' | 'ProcessingInProgress' | 'ProcessingComplete';
}

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
  replicationLagMs: () => number;
  onLicenseChange: LicenseChangeListener;
}

interface RuleViolation {
  key: string;
  error: GraphError;
  kind: 'MutuallyExclusiveViolation' | 'DependencyViolation';
  /** The service plans involved. */
  plans: string[];
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

  private nextOrdinal = 0;
  private ids = new SeededRandom(0x5eed);
  /** For replication lag: per user, license sets before each recent change (oldest first). */
  private readonly recentChanges = new Map<SimUser, { at: number; before: readonly AssignedLicense[] }[]>();

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
    this.mutuallyExclusive = (scenario.rules?.mutuallyExclusive ?? []).map(([a, b]) => [
      this.resolvePlanRef(a),
      this.resolvePlanRef(b),
    ]);
    this.dependencies = new Map(
      (scenario.rules?.dependencies ?? []).map((d) => [
        this.resolvePlanRef(d.servicePlan),
        d.requires.map((r) => this.resolvePlanRef(r)),
      ]),
    );
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
    if (this.options.replicationLagMs() <= 0) return consumed;
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

  /** The user's licenses as lists see them: the state before any change younger than the replication lag. */
  laggedLicenses(user: SimUser): readonly AssignedLicense[] {
    const lag = this.options.replicationLagMs();
    if (lag <= 0) return user.assignedLicenses;
    const changes = this.recentChanges.get(user);
    if (!changes) return user.assignedLicenses;
    const horizon = this.options.now() - lag;
    const pending = changes.find((c) => c.at > horizon);
    return pending ? pending.before : user.assignedLicenses;
  }

  /** Users with a change younger than the replication lag (they may still look as they were). */
  recentlyChangedUsers(): SimUser[] {
    const lag = this.options.replicationLagMs();
    if (lag <= 0) {
      this.recentChanges.clear();
      return [];
    }
    const horizon = this.options.now() - lag;
    const result: SimUser[] = [];
    for (const [user, changes] of this.recentChanges) {
      while (changes.length > 0 && (changes[0]?.at ?? 0) <= horizon) changes.shift();
      if (changes.length === 0) this.recentChanges.delete(user);
      else result.push(user);
    }
    return result;
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
      user.licenseStates = afterRemoval;
      this.refreshDerived(user, stamp);
      this.notifyIfChanged(user, before, context);
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
    user.licenseStates = next;
    const beforeApply = user.assignedLicenses;
    this.refreshDerived(user, stamp);
    this.notifyIfChanged(user, beforeApply, context);
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
  assignGroupLicense(groupId: string, body: unknown): SimGroup {
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
    group.assignedLicenses = next;
    group.licenseProcessingState = 'QueuedForProcessing';
    return group;
  }

  /** Applies a group's licenses to its direct members (nested groups do not inherit: [DOC] service limits). */
  processGroup(group: SimGroup, context: ChangeContext = { cause: 'groupProcessing' }): void {
    group.licenseProcessingState = 'ProcessingInProgress';
    const stamp = new Date(this.options.now()).toISOString();
    for (const member of group.members) {
      if (!('userPrincipalName' in member)) continue;
      const before = member.assignedLicenses;
      this.evaluateGroupAssignments(member, stamp);
      this.notifyIfChanged(member, before, context);
    }
    group.licenseProcessingState = 'ProcessingComplete';
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
    } else if (!member && user.memberOf.has(group)) {
      group.members = group.members.filter((m) => m !== user);
      user.memberOf.delete(group);
    }
    const before = user.assignedLicenses;
    this.evaluateGroupAssignments(user, new Date(this.options.now()).toISOString());
    this.notifyIfChanged(user, before, { cause: 'groupProcessing' });
    return user;
  }

  /** `POST /users/{id}/reprocessLicenseAssignment`. */
  reprocess(userKey: string, context: ChangeContext): SimUser {
    const user = this.findUser(userKey);
    if (!user) throw notFound(userKey);
    const before = user.assignedLicenses;
    this.evaluateGroupAssignments(user, new Date(this.options.now()).toISOString());
    this.notifyIfChanged(user, before, context);
    return user;
  }

  /**
   * Brings a user's group-based entries in line with the groups' licenses. Active entries stay active; new or
   * failed ones are (re)tried, group by group, all-or-nothing per group ([DOC] resolve-problems).
   */
  private evaluateGroupAssignments(user: SimUser, stamp: string): void {
    const wanted = new Map<string, SimGroup>();
    for (const g of user.memberOf) wanted.set(g.id, g);
    let states = user.licenseStates.filter((s) => {
      if (s.assignedByGroup === null) return true;
      const g = wanted.get(s.assignedByGroup);
      return g !== undefined && g.assignedLicenses.some((l) => l.skuId === s.skuId);
    });
    for (const group of wanted.values()) {
      const pending = group.assignedLicenses.filter(
        (l) => !states.some((s) => s.assignedByGroup === group.id && s.skuId === l.skuId && s.state === 'Active'),
      );
      if (pending.length === 0) continue;
      const others = states.filter(
        (s) => !(s.assignedByGroup === group.id && pending.some((l) => l.skuId === s.skuId)),
      );
      const candidate = [...others, ...pending.map((l) => this.stateEntry(l.skuId, group.id, l.disabledPlans, stamp))];
      const failure = this.groupFailure(user, others, candidate, pending);
      if (failure) {
        states = [
          ...others,
          ...pending.map((l) => ({
            ...this.stateEntry(l.skuId, group.id, l.disabledPlans, stamp),
            state: 'Error' as const,
            error: l.skuId === failure.skuId ? failure.error : 'Other',
          })),
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

  private notifyIfChanged(user: SimUser, before: readonly AssignedLicense[], context: ChangeContext): void {
    const after = user.assignedLicenses;
    if (sameLicenses(before, after)) return;
    if (this.options.replicationLagMs() > 0) {
      const list = this.recentChanges.get(user) ?? [];
      list.push({ at: this.options.now(), before });
      this.recentChanges.set(user, list);
    }
    this.options.onLicenseChange(user, before, after, context);
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
