/**
 * Who may decide a run that awaits approval. Pure: the caller passes the signed-in principal (from App Service
 * authentication), the policy (the deployment's and the run's) and, where a group's membership is not in the
 * principal's claims, the result of looking it up.
 *
 * Rules:
 * - A deployment list (APPROVERS) and a run's list (`approvers`) both apply: the decider must be on each list that is
 *   set. A run can narrow who decides, never widen what the deployment allows.
 * - A list entry is a UPN (matched case-insensitively against the principal's name and UPN claims) or an Entra group
 *   object id (matched against the principal's `groups` claims, else by a membership look-up).
 * - `requireDifferentApprover` (the setting or the run's field; either turns it on) forbids the principal who started
 *   the run from approving it (rejecting stays allowed). It needs to know who started the run: a run started without a
 *   signed-in principal cannot be approved under it. Scheduled runs have no requester and are not affected.
 * - Any list or rule needs a verified principal: a body `by` is only a label.
 */
import { friendlyProductName } from './friendly-names';
import { moveLabel } from './skus';
import type { PlanSummary, TenantSku } from './types';
import { isGuid } from './values';

/** The signed-in caller as App Service authentication reports it. */
export interface Principal {
  /** x-ms-client-principal-name: a UPN or e-mail address for Entra ID. */
  name?: string;
  /** x-ms-client-principal-id: the Entra object id. */
  id?: string;
  idp?: string;
  /** UPN-like claims (upn, preferred_username, email), lower-cased. */
  upns: string[];
  /** Group object ids from the `groups` claims, lower-cased. */
  groups: string[];
  /** False when the token says the user is in more groups than it lists (group overage), or lists none. */
  groupsComplete: boolean;
}

/** Who started a run: a verified principal, or a label given in the request (unverified). */
export interface Requester {
  name?: string;
  id?: string;
  verified: boolean;
}

export interface ApprovalPolicy {
  /** The deployment's APPROVERS (UPNs and group ids). Empty: no restriction. */
  deploymentApprovers: readonly string[];
  /** The run's `approvers`. Empty: no restriction. */
  runApprovers: readonly string[];
  requireDifferentApprover: boolean;
  /** Who started the run; undefined for scheduled runs. */
  requester?: Requester;
  origin: 'http' | 'schedule';
}

export type Verdict =
  | { allowed: true }
  | { allowed: false; reason: string }
  /** The decision depends on these groups' memberships, which the claims do not settle. */
  | { allowed: 'lookup'; groups: string[] };

const lower = (value: string): string => value.trim().toLowerCase();

/** The UPNs and group ids of a comma-separated setting or a list, trimmed, lower-cased, without blanks. */
export function approverList(value: string | readonly string[] | undefined): string[] {
  const items = typeof value === 'string' ? value.split(',') : (value ?? []);
  return [...new Set(items.map(lower).filter((item) => item !== ''))];
}

function namesOf(principal: Principal): Set<string> {
  return new Set([...(principal.name ? [lower(principal.name)] : []), ...principal.upns.map(lower)]);
}

/** Whether the principal matches the list: true, false, or the group ids still to look up. */
function matchList(
  principal: Principal,
  list: readonly string[],
  members: ReadonlySet<string> | undefined,
): boolean | string[] {
  const names = namesOf(principal);
  const unresolved: string[] = [];
  for (const entry of list) {
    if (isGuid(entry)) {
      if (principal.groups.includes(entry) || members?.has(entry)) return true;
      if (!principal.groupsComplete && members === undefined) unresolved.push(entry);
    } else if (names.has(entry)) return true;
  }
  return unresolved.length > 0 ? unresolved : false;
}

const describeList = (list: readonly string[]): string => list.join(', ');

/**
 * May this principal approve (or reject) the run? `memberOf` holds the group ids a look-up found the principal in;
 * leave it out before any look-up (the answer may then be 'lookup').
 */
export function mayDecide(
  action: 'approve' | 'reject',
  principal: Principal | undefined,
  policy: ApprovalPolicy,
  memberOf?: ReadonlySet<string>,
): Verdict {
  const lists = [policy.deploymentApprovers, policy.runApprovers].filter((list) => list.length > 0);
  const differentRequired = action === 'approve' && policy.requireDifferentApprover && policy.origin === 'http';
  if (!principal) {
    if (lists.length === 0 && !differentRequired) return { allowed: true };
    return {
      allowed: false,
      reason:
        'this run may only be decided by a signed-in approver, and the request carries no signed-in principal: ' +
        'open the API through App Service authentication (docs/deploy.md, "Sign-in for approvals"); a body "by" is only a label',
    };
  }
  const lookups: string[] = [];
  for (const list of lists) {
    const match = matchList(principal, list, memberOf);
    if (match === false) {
      return {
        allowed: false,
        reason: `${principal.name ?? principal.id ?? 'the signed-in user'} is not one of the approvers of this run (${describeList(list)})`,
      };
    }
    if (Array.isArray(match)) lookups.push(...match);
  }
  if (lookups.length > 0) return { allowed: 'lookup', groups: [...new Set(lookups)] };
  if (differentRequired) return differentApprover(principal, policy.requester);
  return { allowed: true };
}

function differentApprover(principal: Principal, requester: Requester | undefined): Verdict {
  if (!requester?.verified) {
    return {
      allowed: false,
      reason:
        'requireDifferentApprover is on, and this run was started without a signed-in principal, so nobody can be shown ' +
        'to be someone else than the requester: start it again through App Service authentication',
    };
  }
  const sameId =
    requester.id !== undefined && principal.id !== undefined && lower(requester.id) === lower(principal.id);
  const sameName = requester.name !== undefined && namesOf(principal).has(lower(requester.name));
  if (sameId || sameName) {
    return {
      allowed: false,
      reason: `requireDifferentApprover is on: ${requester.name ?? requester.id ?? 'the requester'} started this run and may not approve it (rejecting is allowed); ask another approver`,
    };
  }
  return { allowed: true };
}

/** What an approver sees beside Approve and Reject: what the run will do, the seats it takes and what it loses. */
export interface ApprovalPlanSummary {
  total: number;
  toChange: number;
  skipped: number;
  blocked: number;
  moves: { move: number; label: string; from?: string; to: string }[];
  /** Seats each target needs (licenses the users do not hold yet). */
  seats: { skuId: string; name: string; needed: number }[];
  /** Moves that lose services holding data (Exchange, SharePoint, OneDrive, Teams, …), by plan name. */
  dataLoss: { move: number; from: string; to: string; plans: string[] }[];
  /** Every service plan a move loses, data-holding or not. */
  lostPlans: number;
  needsDataLossAcknowledgement: boolean;
}

export function approvalPlanSummary(summary: PlanSummary, skus: TenantSku[]): ApprovalPlanSummary {
  const partNumber = (skuId: string) =>
    skus.find((sku) => sku.skuId.toLowerCase() === skuId.toLowerCase())?.skuPartNumber ?? skuId;
  return {
    total: summary.total,
    toChange: summary.toChange,
    skipped: summary.skipped,
    blocked: summary.blocked,
    moves: summary.moves.map((move) => ({
      move: move.move,
      label: moveLabel(move),
      ...(move.fromSkuPartNumber ? { from: move.fromSkuPartNumber } : {}),
      to: move.toSkuPartNumber,
    })),
    seats: Object.entries(summary.seatsNeeded)
      .filter(([, needed]) => needed > 0)
      .map(([skuId, needed]) => ({ skuId, name: friendlyProductName(partNumber(skuId)), needed })),
    dataLoss: summary.downgrades
      .map((d) => ({
        move: d.move,
        from: d.fromSkuPartNumber,
        to: d.toSkuPartNumber,
        plans: d.lostPlans.filter((plan) => plan.holdsData).map((plan) => plan.servicePlanName),
      }))
      .filter((d) => d.plans.length > 0),
    lostPlans: summary.downgrades.reduce((sum, d) => sum + d.lostPlans.length, 0),
    needsDataLossAcknowledgement: summary.needsDataLossAcknowledgement,
  };
}
