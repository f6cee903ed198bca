import type { Clock } from '../clock';
import type { TokenCredential } from '@azure/identity';
import type { AssignedLicense, TenantSku, UserLicenseSnapshot } from '../domain/types';
import type { GraphErrorInfo } from './errors';
import type { GroupLicensingGraph } from './groups';

/** A purchase (`/directory/subscriptions`), narrowed to what the purchase check reads. */
export interface CompanySubscription {
  id: string;
  commerceSubscriptionId: string | null;
  skuId: string;
  skuPartNumber: string;
  /** Enabled, Warning, Suspended, LockedOut or Deleted. */
  status: string;
  totalLicenses: number;
  isTrial: boolean;
  createdDateTime: string | null;
  nextLifecycleDateTime: string | null;
}

/** One user's change: everything in one atomic `assignLicense` call. */
export interface AssignLicenseItem {
  userId: string;
  addLicenses: AssignedLicense[];
  /** SKU ids to remove. */
  removeLicenses: string[];
}

export type AssignLicenseResult =
  | {
      userId: string;
      ok: true;
      /** The user's `assignedLicenses` after the change, as Graph reported it. */
      after: AssignedLicense[];
      requestId: string;
      /** How many times the write was sent (1 unless throttled or failed transiently). */
      attempts: number;
      /** How many of those attempts Graph throttled (429). */
      throttled: number;
    }
  | { userId: string; ok: false; error: GraphErrorInfo; attempts: number; throttled: number };

export interface AssignLicensesOptions {
  /**
   * Fraction (0–1] of the tenant's write and resource-unit budget this call may use. The orchestrator gives each
   * of N batch activities running at once `1/N`, so activities on different machines never exceed the budget together.
   */
  budgetShare?: number | 'held';
  /** Users per `$batch` request (1–20, default 20): the migration request's `batchSize`. */
  batchSize?: number;
  /** Stops sending new requests; items not yet written come back as retryable `Cancelled` failures. */
  signal?: AbortSignal;
}

/** A write the run is about to make, checked before anyone is touched. */
export type WriteAccessCheck =
  | { operation: 'assignLicense'; userId: string }
  /** `usageLocation` is the user's current one, so the check changes nothing. */
  | { operation: 'setUsageLocation'; userId: string; usageLocation: string }
  /**
   * Membership writes to a group. `memberId` is a user who is a member already (adding them again changes nothing),
   * or, for a group without members, one who is not (removing them changes nothing).
   */
  | { operation: 'addGroupMember' | 'removeGroupMember'; groupId: string; memberId: string; isMember: boolean }
  /** The group's own licenses; the check sends an assignLicense that adds and removes nothing. */
  | { operation: 'assignGroupLicense'; groupId: string };

export interface MissingPermission {
  operation: WriteAccessCheck['operation'];
  /** The least-privileged application role to grant. */
  permission: string;
  requestId?: string;
}

export interface LicensingGraph extends GroupLicensingGraph {
  listSubscribedSkus(): Promise<TenantSku[]>;
  listSubscriptions(): Promise<CompanySubscription[]>;
  /** Lower-cased verified domain names of the tenant. */
  listVerifiedDomains(): Promise<string[]>;
  listUsersHoldingSku(skuId: string): Promise<UserLicenseSnapshot[]>;
  getUsersByIds(ids: string[]): Promise<{ found: UserLicenseSnapshot[]; missing: string[] }>;
  /** Users by id, each read directly: less behind recent writes than a list query (use it to check a write). */
  getUsersDirect(ids: string[]): Promise<{ found: UserLicenseSnapshot[]; missing: string[] }>;
  getUsersByUpns(upns: string[]): Promise<{ found: UserLicenseSnapshot[]; missing: string[] }>;
  /** Transitive members of a group that are users. */
  listGroupUserMembers(groupId: string): Promise<UserLicenseSnapshot[]>;
  setUsageLocation(userId: string, countryCode: string): Promise<void>;
  /**
   * Asks Entra to evaluate the user's group-based licenses again now. A usage location set after a group recorded
   * `ProhibitedInUsageLocationViolation` for the user is not picked up until then.
   */
  reprocessLicenseAssignment(userId: string): Promise<void>;
  /** The writes among these the app's identity is not allowed to make (empty when all are allowed). */
  checkWriteAccess(checks: WriteAccessCheck[]): Promise<MissingPermission[]>;
  /** One result per input item, in input order. */
  assignLicenses(items: AssignLicenseItem[], opts?: AssignLicensesOptions): Promise<AssignLicenseResult[]>;
  /**
   * Claims a share of the tenant's budget for a whole unit of work (reads, writes and bookkeeping), not only while
   * `assignLicenses` runs, so time spent reading or saving does not leave the budget idle. Pass `budgetShare: 'held'`
   * to `assignLicenses` calls made inside it. Returns the release function.
   */
  holdBudgetShare(share: number): () => void;
}

/** Retry limits; defaults suit production, tests shorten them. */
export interface RetryPolicy {
  /** Most transient failures (5xx, reset, timeout) tolerated per request or per user before giving up. */
  maxTransientFailures: number;
  /** Most 429s tolerated per request or per user before giving up. */
  maxThrottled: number;
  /** First backoff after a transient failure, ms; doubled each time with full jitter. */
  baseDelayMs: number;
  /** Longest backoff, ms. */
  maxDelayMs: number;
  /** Backoff for a 429 without Retry-After, ms. */
  defaultRetryAfterMs: number;
}

export interface LicensingGraphDeps {
  credential?: TokenCredential;
  fetch?: typeof fetch;
  /** Time for pacing, back-off and timeouts; the system clock by default. */
  clock?: Clock;
  random?: () => number;
  log?: (msg: string) => void;
  /** Per-request timeout (ms, real time); a request without an answer by then counts as a transient failure. */
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}
