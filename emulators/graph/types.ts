/**
 * Public vocabulary of the Graph tenant simulator: scenario files, settings, faults, events and violations.
 * Kept free of behaviour so tests and other emulators can import it cheaply.
 */

export type CapabilityStatus = 'Enabled' | 'Warning' | 'Suspended' | 'LockedOut' | 'Deleted';
export const CAPABILITY_STATUSES: readonly CapabilityStatus[] = [
  'Enabled',
  'Warning',
  'Suspended',
  'LockedOut',
  'Deleted',
];

export interface AssignedLicense {
  skuId: string;
  disabledPlans: string[];
}

export interface ServicePlanInfo {
  servicePlanId: string;
  servicePlanName: string;
  appliesTo: 'User' | 'Company';
  provisioningStatus: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Scenario files (JSON). SKU references in users and groups may be a skuId or a skuPartNumber.

export interface ScenarioSubscription {
  id?: string;
  commerceSubscriptionId?: string;
  totalLicenses: number;
  status?: CapabilityStatus;
  isTrial?: boolean;
  createdDateTime?: string;
  nextLifecycleDateTime?: string | null;
}

export interface ScenarioSku {
  skuId: string;
  skuPartNumber: string;
  /** Friendly product name (not a Graph field; kept for the README, the demo UI and reports). */
  displayName?: string;
  appliesTo?: 'User' | 'Company';
  capabilityStatus?: CapabilityStatus;
  /** A number means `{ enabled: n }`. */
  prepaidUnits: number | { enabled: number; warning?: number; suspended?: number; lockedOut?: number };
  servicePlans: {
    servicePlanId: string;
    servicePlanName: string;
    appliesTo?: 'User' | 'Company';
    provisioningStatus?: string;
  }[];
  subscriptions?: ScenarioSubscription[];
}

export interface ScenarioDomain {
  id: string;
  isDefault?: boolean;
  isInitial?: boolean;
  isVerified?: boolean;
  isRoot?: boolean;
  authenticationType?: 'Managed' | 'Federated';
  supportedServices?: string[];
}

export interface ScenarioLicense {
  /** skuId or skuPartNumber. */
  sku: string;
  /** Service plan ids or names to switch off. */
  disabledPlans?: string[];
}

export interface ScenarioUser {
  id?: string;
  userPrincipalName: string;
  displayName?: string;
  givenName?: string;
  surname?: string;
  mail?: string | null;
  department?: string | null;
  jobTitle?: string | null;
  accountEnabled?: boolean;
  usageLocation?: string | null;
  userType?: 'Member' | 'Guest';
  /** Directly assigned licenses. */
  licenses?: ScenarioLicense[];
}

export interface ScenarioGroup {
  id?: string;
  displayName: string;
  description?: string | null;
  /** User ids, user principal names or ids of other groups (nested groups do not inherit licenses). */
  members: string[];
  licenses?: ScenarioLicense[];
  /**
   * [DOC] group resource: `DynamicMembership` makes the membership rule-based (written by the directory, never over
   * Graph); `Unified` is a Microsoft 365 group. The simulator does not evaluate rules: `members` is the rule's result.
   */
  groupTypes?: string[];
  /** [DOC] the rule of a dynamic group, e.g. `(user.department -eq "Sales")`. */
  membershipRule?: string | null;
  /** [DOC] true when the group is synced from on-premises Active Directory (its membership is managed there). */
  onPremisesSyncEnabled?: boolean | null;
  /** [DOC] a role-assignable group: changing its members also needs RoleManagement.ReadWrite.Directory. */
  isAssignableToRole?: boolean;
}

export interface LicenseRules {
  /** Pairs of service plan ids (or names) that cannot be enabled together on one user. */
  mutuallyExclusive?: [string, string][];
  /** A plan (id or name) that needs at least one of `requires` enabled on the same user. */
  dependencies?: { servicePlan: string; requires: string[] }[];
}

/** `realistic` (default): Graph's documented unkindness on; `deterministic`: the exact, noise-free simulator. */
export type SimulatorProfile = 'realistic' | 'deterministic';

export interface Scenario {
  name?: string;
  /** Profile to start with when the simulator is not given one (see README, Profiles). */
  profile?: SimulatorProfile;
  tenantId?: string;
  organization?: {
    id?: string;
    displayName?: string;
    defaultUsageLocation?: string | null;
    countryLetterCode?: string;
  };
  domains: ScenarioDomain[];
  skus: ScenarioSku[];
  groups?: ScenarioGroup[];
  users: ScenarioUser[];
  rules?: LicenseRules;
}

// ---------------------------------------------------------------------------------------------------------------
// Settings

/** How many seats of a SKU are free. [UNCONFIRMED] which formula Graph enforces; `enabled` is the conservative one. */
export type FreeSeatFormula = 'enabled' | 'enabledMinusWarning' | 'enabledPlusWarning';

export interface LatencyDistribution {
  /** Median latency in ms (before the time scale). */
  medianMs: number;
  /** 95th percentile in ms; with the median it defines a log-normal distribution. */
  p95Ms: number;
}

export interface LatencyModel {
  /** GET of one object (user, sku, group, organization). */
  read: LatencyDistribution;
  /** GET of a collection page. */
  list: LatencyDistribution;
  /** POST/PATCH (assignLicense, usageLocation, reprocess). */
  write: LatencyDistribution;
}

export interface ThrottleConfig {
  enabled: boolean;
  /** Resource units per app+tenant per `ruWindowMs`, by tenant size ([DOC] S 3,500 / M 5,000 / L 8,000 per 10 s). */
  resourceUnitsPerAppTenant: { S: number; M: number; L: number };
  ruWindowMs: number;
  /** [DOC] 3,000 writes per 2 min 30 s per app+tenant. */
  writesPerAppTenant: number;
  writeWindowMs: number;
  /** [DOC] 18,000 writes per 5 min per tenant (all apps). */
  writesPerTenant: number;
  tenantWriteWindowMs: number;
  /** [DOC] 150,000 RU per 20 s per app (all tenants). */
  resourceUnitsPerApp: number;
  appRuWindowMs: number;
  /** [DOC] 35,000 writes per 5 min per app (all tenants). */
  writesPerApp: number;
  appWriteWindowMs: number;
  /** [DOC] global: 130,000 requests per 10 s per app. */
  requestsPerAppGlobal: number;
  globalWindowMs: number;
  /** [DOC] "usage keeps being logged while throttled": throttled requests still spend tokens. */
  chargeThrottledRequests: boolean;
  /** Overrides the size derived from the user count (S < 50, M 50–500, L > 500). */
  tenantSize?: 'S' | 'M' | 'L';
}

/** Behaviours the reference marks [UNCONFIRMED] or that tests want to switch. */
export interface SimulatorSettings {
  freeSeatFormula: FreeSeatFormula;
  /** One assignLicense call is all-or-nothing (default). When false, removals apply even if an add fails. */
  atomicAssignLicense: boolean;
  /** Lists (`/users`, group members) and `consumedUnits` lag behind writes by at least this long (ms, before scaling). */
  replicationLagMs: number;
  /** A GET of one user may show the state before a write for a random 0 to this many ms after it (before scaling). */
  readLagMaxMs: number;
  /** Lists and `consumedUnits` lag a further random 0 to this many ms behind each write (before scaling). */
  listLagMaxMs: number;
  /** `?$count=true` without `ConsistencyLevel: eventual`: `ignore` as Graph does, or `reject` with a 400. */
  countWithoutConsistencyLevel: 'ignore' | 'reject';
  /** Answer 403 `Authorization_RequestDenied` when the caller lacks the endpoint's application role. */
  enforcePermissions: boolean;
  /** Shuffle `$batch` responses (order is not guaranteed by Graph). */
  shuffleBatchResponses: boolean;
  /** Envelope status of a `$batch` whose items were throttled: 200 [OBS] or 424 (throttling.md). */
  batchThrottledEnvelopeStatus: 200 | 424;
  /** Time before a group license change is applied to members (ms, before scaling). */
  groupProcessingDelayMs: number;
  /**
   * Once processing starts, the time it takes per member (ms, before scaling): members are processed a few at a time,
   * so `licenseProcessingState` stays `ProcessingInProgress` while they are. 0 processes every member at once.
   */
  groupMemberProcessingMs: number;
  /** Reject requests without a bearer token (401). */
  requireAuth: boolean;
  /** Record every request in the event log (license changes are always recorded). */
  recordRequests: boolean;
}

/** Background trouble unrelated to the caller's pace (realistic profile). Rates are chances per request, 0–1. */
export interface NoiseConfig {
  /** 429 below the documented limits. */
  throttleRate: number;
  /** Retry-After of those 429s: a whole number of seconds in [min, max] (before scaling). */
  throttleRetryAfterSeconds: { min: number; max: number };
  /** 503 `serviceNotAvailable`. */
  unavailableRate: number;
  /** Share of those 503s that carry a Retry-After (1–10 s before scaling). */
  unavailableRetryAfterShare: number;
  /** Connection reset without an answer (top-level requests only). */
  resetRate: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Faults

export interface FaultRule {
  /** Only requests with this method (case-insensitive). */
  method?: string;
  /** Substring of the request path (after `/v1.0`), or a regular expression written as `/.../`. */
  path?: string;
  /** Only requests about this user (id or UPN appearing in the path). */
  user?: string;
  /**
   * error: answer with `status` (500/503/504...) without touching state; drop: destroy the connection;
   * timeout: never answer (the connection is held for `delayMs`, default 120 s scaled, then destroyed);
   * slow: add `delayMs` to the latency, then process normally.
   */
  kind: 'error' | 'drop' | 'timeout' | 'slow';
  status?: number;
  /** Retry-After (seconds, before scaling) to send with an error fault. */
  retryAfterSeconds?: number;
  delayMs?: number;
  /** Chance per matching request, 0–1 (default 1). */
  probability?: number;
  /** How many times the rule fires before it expires (default: unlimited). */
  times?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Events

export type LicenseChangeCause = 'assignLicense' | 'groupProcessing' | 'reprocess' | 'control';

export interface LicenseChangeEvent {
  kind: 'license';
  seq: number;
  /** Simulator clock, ms. */
  at: number;
  userId: string;
  userPrincipalName: string;
  before: readonly AssignedLicense[];
  after: readonly AssignedLicense[];
  cause: LicenseChangeCause;
  requestId?: string;
  appId?: string;
  /** The user's `licenseAssignmentStates` after the change (direct and per group). */
  states?: readonly LicenseStateRecord[];
}

export interface RequestEvent {
  kind: 'request';
  seq: number;
  at: number;
  method: string;
  path: string;
  status: number;
  /** Resource units charged. */
  ru: number;
  writeCost: number;
  appId: string;
  requestId: string;
  /** Set on items of a `$batch`: the request id of the batch. */
  batchRequestId?: string;
  /** `x-ms-throttle-scope` when the request was throttled. */
  throttleScope?: string;
  /** Set when a fault rule produced the response. */
  fault?: FaultRule['kind'];
  /**
   * Set when background noise produced the response (realistic profile). Such a request never reached the
   * directory: it changed nothing and was not charged to the throttling budgets.
   */
  noise?: NoiseKind;
}

export type NoiseKind = 'throttle' | 'unavailable' | 'reset';

/** One `licenseAssignmentStates` entry as events record it. */
export interface LicenseStateRecord {
  skuId: string;
  assignedByGroup: string | null;
  disabledPlans: readonly string[];
  state: string;
  error: string;
}

/**
 * A change of a user's `licenseAssignmentStates` that left `assignedLicenses` as they were (a direct assignment
 * removed while a group still gives the SKU, a group assignment added next to a direct one, an error recorded).
 * Changes that also change `assignedLicenses` are `license` events, which carry the states too.
 */
export interface LicenseStateEvent {
  kind: 'licenseState';
  seq: number;
  at: number;
  userId: string;
  userPrincipalName: string;
  before: readonly LicenseStateRecord[];
  after: readonly LicenseStateRecord[];
  cause: LicenseChangeCause;
  requestId?: string;
}

/** A member added to or removed from a group (over Graph, or by the control API as a sync would). */
export interface MembershipEvent {
  kind: 'membership';
  seq: number;
  at: number;
  groupId: string;
  userId: string;
  change: 'add' | 'remove';
  cause: 'graph' | 'control';
  requestId?: string;
}

/** A group's own licenses changed (`POST /groups/{id}/assignLicense`). */
export interface GroupLicenseEvent {
  kind: 'groupLicense';
  seq: number;
  at: number;
  groupId: string;
  before: readonly AssignedLicense[];
  after: readonly AssignedLicense[];
  requestId?: string;
}

/** A group's `licenseProcessingState` changed. */
export interface GroupProcessingEvent {
  kind: 'groupProcessing';
  seq: number;
  at: number;
  groupId: string;
  state: 'QueuedForProcessing' | 'ProcessingInProgress' | 'ProcessingComplete';
  /** Members processed so far (ProcessingInProgress, ProcessingComplete). */
  processed?: number;
  members?: number;
}

export type SimulatorEvent =
  LicenseChangeEvent | RequestEvent | LicenseStateEvent | MembershipEvent | GroupLicenseEvent | GroupProcessingEvent;

export interface Violation {
  kind: 'unlicensedGap' | 'writeBudget' | 'unlicensed' | 'serviceGap';
  message: string;
  /** Start of the offending interval (simulator clock, ms). */
  at: number;
  until: number;
  userId?: string;
  appId?: string;
  /** For unlicensedGap and unlicensed: SKUs the user lost. */
  lostSkuIds?: string[];
  /** For serviceGap: the service plans of which the user held none in the interval. */
  planIds?: string[];
  /** For writeBudget: writes counted in the window and the limit. */
  count?: number;
  limit?: number;
}
