/**
 * What the single-run status and the report add to a run from its documents: the runs it is linked to (rollback,
 * retry, both ways), what may be done now, who may approve it and on what plan, and the notifications it sent. Read
 * for one run at a time (GET /api/migrations/{id}, …/report), never for the list.
 */
import type { AppSettings } from '../config/settings';
import { approvalPlanSummary, approverList, type ApprovalPlanSummary } from '../domain/approval';
import { isFinished } from '../domain/status';
import type { DocumentStore } from '../storage/document-store';
import {
  MigrationDocuments,
  type ApprovalRecord,
  type NotificationRecord,
  type StoredRequest,
} from '../storage/migration-documents';
import { migrationLinks, type MigrationView } from './view';

export type MigrationAction = 'approve' | 'reject' | 'recheck' | 'cancel' | 'rollback' | 'retry';

export interface ApprovalView {
  /** The deployment's APPROVERS and the run's `approvers`: a decider must be on each list that is set. */
  approvers: { deployment: string[]; run: string[] };
  requireDifferentApprover: boolean;
  /** Who started the run; `verified` false when it is only a label from the request. */
  requestedBy?: StoredRequest['requestedBy'];
  /** The decision, once made (who, verified or not, when, why). */
  decision?: ApprovalRecord;
  /** What the approver decides on: moves, seats per target, services that hold data and are lost. */
  plan?: ApprovalPlanSummary;
}

export interface RelatedDeps {
  store: DocumentStore;
  settings: Pick<AppSettings, 'approvals'>;
}

export function actionsFor(view: MigrationView, dryRun: boolean): MigrationAction[] {
  const actions: MigrationAction[] = [];
  if (view.status === 'awaitingApproval') actions.push('approve', 'reject');
  if (view.status === 'waitingForLicenses') actions.push('recheck');
  if (!isFinished(view.status)) actions.push('cancel');
  if (isFinished(view.status) && !dryRun) {
    if (view.counts.moved > 0) actions.push('rollback');
    if (view.counts.failed > 0 || view.counts.blocked > 0) actions.push('retry');
  }
  return actions;
}

async function approvalView(
  docs: MigrationDocuments,
  stored: StoredRequest,
  view: MigrationView,
  settings: RelatedDeps['settings'],
): Promise<ApprovalView> {
  const approval: ApprovalView = {
    approvers: { deployment: settings.approvals.approvers, run: approverList(stored.request.approvers) },
    requireDifferentApprover:
      settings.approvals.requireDifferentApprover || stored.request.requireDifferentApprover === true,
  };
  if (stored.requestedBy) approval.requestedBy = stored.requestedBy;
  const planned = !['pending', 'planning'].includes(view.status);
  const [decision, plan] = await Promise.all([docs.approval(), planned ? docs.plan() : Promise.resolve(undefined)]);
  if (decision) approval.decision = decision;
  if (plan) approval.plan = approvalPlanSummary(plan.summary, plan.skus);
  return approval;
}

/** The view of one run with its links to other runs, its possible actions and (approval runs) the approval. */
export async function withRelated(deps: RelatedDeps, view: MigrationView, baseUrl: string): Promise<MigrationView> {
  const docs = new MigrationDocuments(deps.store, view.id);
  const [stored, linked] = await Promise.all([docs.request(), docs.linked()]);
  const result: MigrationView = { ...view, links: { ...view.links } };
  const link = (id: string) => migrationLinks(baseUrl, id).self;
  if (stored?.rollback) {
    result.rollbackOf = stored.rollback.of;
    result.links.rollbackOf = link(stored.rollback.of);
  }
  if (stored?.retryOf) {
    result.retryOf = stored.retryOf;
    result.links.retryOf = link(stored.retryOf);
  }
  const rolledBackBy = linked.filter((l) => l.kind === 'rollback').map((l) => l.migrationId);
  const retriedBy = linked.filter((l) => l.kind === 'retry').map((l) => l.migrationId);
  if (rolledBackBy.length > 0) {
    result.rolledBackBy = rolledBackBy;
    result.links.rolledBackBy = rolledBackBy.map(link);
  }
  if (retriedBy.length > 0) {
    result.retriedBy = retriedBy;
    result.links.retriedBy = retriedBy.map(link);
  }
  result.actions = actionsFor(view, stored?.request.dryRun ?? false);
  if (stored?.request.requireApproval) result.approval = await approvalView(docs, stored, view, deps.settings);
  return result;
}

/** The notifications of a run as the report shows them (targets without their query string). */
export function notificationRows(records: NotificationRecord[]): Omit<NotificationRecord, 'key'>[] {
  return records.map(({ key: _key, ...row }) => row);
}

/** Fields the report adds: linked runs and notifications. */
export async function relatedReportFields(
  store: DocumentStore,
  id: string,
): Promise<{
  rollbackOf?: string;
  retryOf?: string;
  rolledBackBy?: string[];
  retriedBy?: string[];
  notifications: Omit<NotificationRecord, 'key'>[];
}> {
  const docs = new MigrationDocuments(store, id);
  const [stored, linked, notifications] = await Promise.all([docs.request(), docs.linked(), docs.notifications()]);
  const fields: Awaited<ReturnType<typeof relatedReportFields>> = { notifications: notificationRows(notifications) };
  if (stored?.rollback) fields.rollbackOf = stored.rollback.of;
  if (stored?.retryOf) fields.retryOf = stored.retryOf;
  const rolledBackBy = linked.filter((l) => l.kind === 'rollback').map((l) => l.migrationId);
  const retriedBy = linked.filter((l) => l.kind === 'retry').map((l) => l.migrationId);
  if (rolledBackBy.length > 0) fields.rolledBackBy = rolledBackBy;
  if (retriedBy.length > 0) fields.retriedBy = retriedBy;
  return fields;
}
