/**
 * Shared vocabulary of the migration workflow. Pure data: no I/O, safe to use from orchestrations.
 * Graph-shaped types are narrowed to the fields license-shift reads.
 */
import type { NotifyTarget } from './notify';

/**
 * Any other string Graph may send. `string & {}` keeps the named literals visible to editors and linters, where a
 * plain `| string` would swallow them.
 */
export type OtherString = string & {};

/** A license as Graph reports it on a user (`assignedLicenses[]`). */
export interface AssignedLicense {
  skuId: string;
  disabledPlans: string[];
}

/** One entry of a user's `licenseAssignmentStates`. */
export interface LicenseAssignmentState {
  skuId: string;
  /** null when directly assigned; otherwise the id of the group that assigns it. */
  assignedByGroup: string | null;
  disabledPlans: string[];
  state: 'Active' | 'ActiveWithError' | 'Disabled' | 'Error' | OtherString;
  /** "None" (or null) on success; otherwise CountViolation, MutuallyExclusiveViolation, ... */
  error: string | null;
  /** When Entra last evaluated this assignment (ISO), where Graph says. */
  lastUpdatedDateTime?: string;
}

/** The license state of one user, as read before and after a change. */
export interface UserLicenseSnapshot {
  id: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  usageLocation: string | null;
  assignedLicenses: AssignedLicense[];
  licenseAssignmentStates: LicenseAssignmentState[];
}

export interface ServicePlan {
  servicePlanId: string;
  servicePlanName: string;
  appliesTo?: string;
  provisioningStatus?: string;
}

export type CapabilityStatus = 'Enabled' | 'Warning' | 'Suspended' | 'LockedOut' | 'Deleted';

/** A SKU the tenant has (`subscribedSkus[]`). */
export interface TenantSku {
  skuId: string;
  skuPartNumber: string;
  appliesTo: 'User' | 'Company' | OtherString;
  capabilityStatus: CapabilityStatus | OtherString;
  consumedUnits: number;
  prepaidUnits: { enabled: number; warning: number; suspended: number; lockedOut: number };
  servicePlans: ServicePlan[];
  subscriptionIds?: string[];
}

/** How a user set is chosen for one move. Exactly one selector. */
export type UserSelector = { all: true } | { upns: string[] } | { ids: string[] } | { groupId: string };

/** One move of a validated request, with SKU references as the caller wrote them (id or part number). */
export interface MoveRequest {
  from?: string;
  to: string;
  users: UserSelector;
  /** Target service plans to switch off, by id or name. */
  disabledPlans: string[];
  /** Plans the user had off on the source stay off on the target (matched by id, else by name). */
  keepDisabledPlans: boolean;
  /**
   * Change the product this licensing group assigns; its direct members follow (docs/group-moves.md). `users` is then
   * `{ groupId }` of the same group.
   */
  group?: string;
  /** Give `to` through this group instead of directly: users join it, and lose the source once `to` is inherited. */
  assignVia?: { group: string };
  /** With `assignVia`, users whose `from` comes from groups: 'block' leaves them alone, 'leave' takes them out. */
  sourceGroups?: SourceGroupsPolicy;
}

export type SourceGroupsPolicy = 'block' | 'leave';

export type MigrationMode = 'swap' | 'replace';
export type MigrationStrategy = 'atomic' | 'overlap';

/** A validated `POST /api/migrations` body with defaults applied. */
export interface MigrationRequest {
  id?: string;
  /** The tenant to act in (a registered tenant's id); absent: the deployment's own tenant. */
  tenantId?: string;
  moves: MoveRequest[];
  mode: MigrationMode;
  strategy: MigrationStrategy;
  dryRun: boolean;
  requireApproval: boolean;
  /** How long to wait for an approval, ISO 8601 duration. */
  approvalTimeout: string;
  acknowledgeDataLoss: boolean;
  usageLocation?: string;
  includeDisabledUsers: boolean;
  waitForLicenses: { timeout: string; pollInterval: string };
  batchSize: number;
  maxFailureRate: number;
  /** Optional cap on how many users this run changes (used by scheduled waves). */
  maxUsers?: number;
  /**
   * Instant (ISO 8601) after which no new batch is started, e.g. the end of a scheduled wave's maintenance window.
   * Users not reached stay on their source license and are reported as not started; the next wave picks them up.
   */
  notAfter?: string;
  /** Who is told when the run needs someone or ends (webhooks); absent: the deployment's NOTIFY_DEFAULT. */
  notify?: NotifyTarget[];
  /** Who may approve or reject (UPNs, Entra group ids), on top of the deployment's APPROVERS. */
  approvers?: string[];
  /** The principal who started the run may not approve it (on top of the REQUIRE_DIFFERENT_APPROVER setting). */
  requireDifferentApprover?: boolean;
}

/** What the plan decided for one user. */
export type UserDecision =
  | {
      kind: 'change';
      /** Licenses to add, with the disabled plans each should carry. */
      add: AssignedLicense[];
      /** SKU ids to remove in the same atomic call (empty in overlap mode until cleanup). */
      remove: string[];
      /** SKU ids to remove in cleanup (overlap strategy only). */
      removeLater: string[];
      /**
       * Overlap with plans that clash with the source's: `add` carries the target with those plans switched off, and
       * cleanup re-adds it as planned here in the same call that removes the source, so service never drops.
       */
      addLater?: AssignedLicense[];
      /** Usage location to set before assigning, when the user has none and the request gives one. */
      setUsageLocation?: string;
      /** What the change does, in plain words for the report ("move from … to …; … stays: it comes from group …"). */
      reason?: string;
      /** The change goes through groups (docs/group-moves.md), not through this user's own assignLicense. */
      groupMove?: GroupMoveStep;
      /**
       * Only while the user still holds exactly these licenses (a rollback without `force`): a user changed by someone
       * else after planning is left alone when the batch runs. Absent: the change applies whatever the user holds.
       */
      onlyIfHolding?: AssignedLicense[];
    }
  | { kind: 'skip'; reason: string }
  | { kind: 'blocked'; reason: string; code: BlockReasonCode };

/** How a user's change goes through groups, as the group stage carries it out. */
export type GroupMoveStep =
  | {
      /** The user's licensing group changes its product; the user follows it. */
      kind: 'product';
      /** Index of the group unit in the plan. */
      unit: number;
      groupId: string;
      groupName: string;
      /** SKU ids the user no longer holds once the move is done (the group's old product, unless also held otherwise). */
      removes: string[];
    }
  | {
      /** The user joins the group that assigns the target, then loses the source. */
      kind: 'join';
      unit: number;
      groupId: string;
      groupName: string;
      /** False when the user is a direct member already. */
      join: boolean;
      /** Groups the user leaves once the target is inherited (sourceGroups: 'leave'). */
      leave: GroupRef[];
      /** SKU ids assigned directly that are removed once the target is inherited. */
      removeDirect: string[];
      /**
       * The target conflicts with the source (E1 and E3): group licensing records the target in error
       * (MutuallyExclusiveViolation) until the user leaves the source group, and then assigns it on the same pass.
       */
      expectConflict: boolean;
      /** SKU ids the user no longer holds once the move is done (none when converting to group-based). */
      removes: string[];
    }
  | {
      /**
       * A rollback of a move into a group (docs/group-moves.md, "Rollback"): the user gets the source back first
       * (rejoining the groups the original took it out of, the direct assignment it removed), and only once that is
       * held leaves the group the original added it to.
       */
      kind: 'restore';
      unit: number;
      /** The group the original moved the user into. */
      groupId: string;
      groupName: string;
      /** Groups to rejoin (the original took the user out of them). */
      join: GroupRef[];
      /** Direct assignments to give back (the original removed them), with their disabled plans as they were. */
      addDirect: AssignedLicense[];
      /** Groups to leave once the source is back (the original added the user to them). */
      leave: GroupRef[];
      /** SKU ids assigned directly by the original, removed once the source is back. */
      removeDirect: string[];
      /**
       * The restored license clashes with the one from the group being left (E1 and E3): group licensing records it in
       * error (MutuallyExclusiveViolation) until the user leaves that group, and then assigns it on the same pass.
       */
      expectConflict: boolean;
      /** SKU ids the user no longer holds once the restore is done (none when undoing a conversion). */
      removes: string[];
    };

/** A group named in a plan or a record. */
export interface GroupRef {
  groupId: string;
  groupName: string;
}

export type BlockReasonCode =
  | 'inheritedFromGroup'
  | 'groupRefused'
  | 'nestedOnly'
  | 'noUsageLocation'
  | 'foreignDomain'
  | 'accountDisabled'
  | 'userNotFound'
  | 'sourceNotHeld'
  | 'conflictingLicense'
  /** A rollback of a run that did not record what its group steps changed: that part cannot be restored automatically. */
  | 'notRecorded';

/** One user's line in the plan. */
export interface PlannedUser {
  userId: string;
  userPrincipalName: string;
  /** Index of the move in the request. */
  move: number;
  decision: UserDecision;
  /** Licenses the user held when planned (what rollback restores and the report shows). */
  before: AssignedLicense[];
}

/** Service plans a move loses (a downgrade), and whether any of them hold data. */
export interface DowngradeWarning {
  move: number;
  fromSkuPartNumber: string;
  toSkuPartNumber: string;
  lostPlans: { servicePlanId: string; servicePlanName: string; holdsData: boolean }[];
}

export interface ResolvedMove {
  move: number;
  fromSkuId?: string;
  fromSkuPartNumber?: string;
  toSkuId: string;
  toSkuPartNumber: string;
  /** Target plan ids switched off for everyone in this move. */
  disabledPlanIds: string[];
  /** The move goes through a group: its product changes ('product'), or users join it ('join'). */
  group?: { kind: 'product' | 'join'; groupId: string };
}

/** Small summary the orchestrator keeps; the full plan lives in blob storage. */
export interface PlanSummary {
  planRef: string;
  moves: ResolvedMove[];
  total: number;
  toChange: number;
  skipped: number;
  blocked: number;
  /** Seats needed per target SKU id. */
  seatsNeeded: Record<string, number>;
  downgrades: DowngradeWarning[];
  /** True when a move loses data-holding plans and the request did not acknowledge it. */
  needsDataLossAcknowledgement: boolean;
  /** Batches of user ids, stored alongside the plan: `batchCount` of at most `batchSize`. */
  batchCount: number;
}

export type UserOutcome = 'moved' | 'skipped' | 'blocked' | 'failed';

export type ErrorClass = 'retryable' | 'userFixable' | 'permanent';

/** One row of the report. */
export interface ReportRow {
  userPrincipalName: string;
  userId: string;
  move: number;
  moveLabel: string;
  action: string;
  outcome: UserOutcome;
  reason: string;
  /** Why the plan blocked the user (outcome 'blocked'). */
  blockCode?: BlockReasonCode;
  errorClass?: ErrorClass;
  graphErrorCode?: string;
  requestId?: string;
  before: AssignedLicense[];
  after: AssignedLicense[];
}

export type { MigrationStatus } from './status';

export interface MigrationCounts {
  total: number;
  done: number;
  moved: number;
  skipped: number;
  failed: number;
  blocked: number;
}
