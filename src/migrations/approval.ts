/**
 * POST /api/migrations/{id}/approve and /reject: who decides is the signed-in principal (App Service
 * authentication); a body `by` is only a label, recorded as unverified when nobody is signed in. The deployment's
 * APPROVERS and the run's `approvers` restrict who may decide (403 otherwise), and `requireDifferentApprover` keeps
 * the requester from approving their own run. Exactly one decision wins: the record is written only if absent, and
 * only its writer raises the event; every other caller gets 409 with who decided and when.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { currentIso, type Clock } from '../clock';
import type { AppSettings } from '../config/settings';
import { mayDecide, type ApprovalPolicy, type Principal, type Verdict } from '../domain/approval';
import { errorMessage } from '../domain/values';
import { MigrationEvents, type ApprovalDecision } from '../domain/workflow';
import { GraphRequestError, type LicensingGraph } from '../graph';
import { principalOf } from '../http/principal';
import { problemResponse } from '../http/problem';
import type { DocumentStore } from '../storage/document-store';
import { MigrationDocuments, type ApprovalRecord, type StoredRequest } from '../storage/migration-documents';

export interface DecideDeps {
  client: DurableClient;
  store: DocumentStore;
  clock: Pick<Clock, 'now'>;
  graph: Pick<LicensingGraph, 'listGroupUserMembers'>;
  settings: Pick<AppSettings, 'approvals'>;
}

export function policyFor(stored: StoredRequest | undefined, settings: DecideDeps['settings']): ApprovalPolicy {
  const policy: ApprovalPolicy = {
    deploymentApprovers: settings.approvals.approvers,
    runApprovers: (stored?.request.approvers ?? []).map((a) => a.toLowerCase()),
    requireDifferentApprover:
      settings.approvals.requireDifferentApprover || stored?.request.requireDifferentApprover === true,
    origin: stored?.origin ?? 'http',
  };
  if (stored?.requestedBy) policy.requester = stored.requestedBy;
  return policy;
}

/**
 * Groups (of those asked) the principal is a transitive member of, from Microsoft Graph: the members of each group
 * (GroupMember.Read.All, which the app holds for groupId selectors anyway; no new permission).
 */
async function memberships(graph: DecideDeps['graph'], principal: Principal, groups: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (!principal.id) return found;
  const id = principal.id.toLowerCase();
  for (const group of groups) {
    let members: { id: string }[];
    try {
      members = await graph.listGroupUserMembers(group);
    } catch (error) {
      // A group that does not exist has no members; anything else is a failed look-up (503).
      if (error instanceof GraphRequestError && error.info.status === 404) continue;
      throw error;
    }
    if (members.some((member) => member.id.toLowerCase() === id)) found.add(group);
  }
  return found;
}

async function verdictFor(
  deps: DecideDeps,
  action: 'approve' | 'reject',
  principal: Principal | undefined,
  policy: ApprovalPolicy,
): Promise<Verdict> {
  const first = mayDecide(action, principal, policy);
  if (first.allowed !== 'lookup' || !principal) return first;
  return mayDecide(action, principal, policy, await memberships(deps.graph, principal, first.groups));
}

export function alreadyDecided(id: string, decision: ApprovalRecord | undefined): HttpResponseInit {
  const verdict = decision?.approved ? 'approved' : 'rejected';
  const who = decision?.by ? ` by ${decision.by}${decision.verified === false ? ' (unverified)' : ''}` : '';
  const when = decision?.at ? ` at ${decision.at}` : '';
  return problemResponse(409, 'Already decided', `Migration "${id}" was already ${verdict}${who}${when}.`, {
    decision,
  });
}

function decisionRecord(
  action: 'approve' | 'reject',
  principal: Principal | undefined,
  fields: { by?: string; reason?: string },
  at: string,
): ApprovalRecord {
  const record: ApprovalRecord = { approved: action === 'approve', at, verified: principal !== undefined };
  const label = fields.by?.trim().slice(0, 200) || undefined;
  const who = principal ? (principal.name ?? principal.id) : label;
  if (who) record.by = who.slice(0, 200);
  if (principal?.id) record.principalId = principal.id;
  if (principal && label && label.toLowerCase() !== who?.toLowerCase()) record.label = label;
  if (fields.reason) record.reason = fields.reason.slice(0, 500);
  return record;
}

/** Approve or reject a run that awaits approval (the caller has checked the status). */
export async function decide(
  deps: DecideDeps,
  request: HttpRequest,
  action: 'approve' | 'reject',
  id: string,
  fields: { by?: string; reason?: string },
): Promise<HttpResponseInit | { accepted: true }> {
  const principal = principalOf(request, deps.settings.approvals.trustPrincipalHeaders);
  const docs = new MigrationDocuments(deps.store, id);
  const policy = policyFor(await docs.request(), deps.settings);
  let verdict: Verdict;
  try {
    verdict = await verdictFor(deps, action, principal, policy);
  } catch (error) {
    return problemResponse(
      503,
      'Could not check the approver',
      `Looking up the approver's group membership in Microsoft Graph failed (${errorMessage(error)}); nothing was decided. Try again.`,
    );
  }
  if (verdict.allowed !== true) {
    const reason = verdict.allowed === false ? verdict.reason : 'the approver group membership could not be settled';
    return problemResponse(403, `Not allowed to ${action}`, `Migration "${id}": ${reason}. Nothing was decided.`);
  }
  const record = decisionRecord(action, principal, fields, currentIso(deps.clock));
  if (!(await docs.saveApproval(record))) return alreadyDecided(id, await docs.approval());
  const decision: ApprovalDecision = { approved: record.approved };
  if (record.by) decision.by = record.by;
  if (record.reason) decision.reason = record.reason;
  await deps.client.raiseEvent(id, MigrationEvents.approval, decision);
  return { accepted: true };
}
