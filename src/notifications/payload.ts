/**
 * What a notification says: one JSON document per event (format `json`), which the Teams card (format `teams`) is
 * drawn from. Documented in docs/notifications.md; `specVersion` changes when a field changes meaning.
 */
import type { ApprovalPlanSummary } from '../domain/approval';
import type { NotifyEvent } from '../domain/notify';
import type { MigrationStatus } from '../domain/status';
import type { MigrationCounts } from '../domain/types';
import { migrationLinks } from '../migrations/view';

export const PAYLOAD_SPEC_VERSION = '1';

export interface NotificationLinks {
  status: string;
  report: string;
  reportCsv: string;
  dashboard: string;
  approve?: string;
  reject?: string;
  recheck?: string;
  cancel?: string;
  rollback?: string;
  retry?: string;
  rollbackOf?: string;
  retryOf?: string;
}

export interface NotificationPayload {
  specVersion: string;
  /** The same for every attempt of this notification to this target: receivers drop repeats by it. */
  deliveryId: string;
  event: NotifyEvent;
  occurredAt: string;
  migration: {
    id: string;
    status: MigrationStatus;
    /** What the run says, in plain words. */
    message?: string;
    /** Why it waits (waitingForLicenses): "need 25, 5 free: buy 20 more … licenses (…)". */
    reason?: string;
    counts: MigrationCounts & { toChange: number };
    rollbackOf?: string;
    retryOf?: string;
  };
  /** What an approver decides on (awaitingApproval only). */
  plan?: ApprovalPlanSummary;
  /** Absent when the app does not know its public URL (a scheduled run without PUBLIC_BASE_URL). */
  links?: NotificationLinks;
}

export interface PayloadInput {
  deliveryId: string;
  event: NotifyEvent;
  occurredAt: string;
  migrationId: string;
  status: MigrationStatus;
  counts: MigrationCounts & { toChange: number };
  message?: string;
  reason?: string;
  rollbackOf?: string;
  retryOf?: string;
  plan?: ApprovalPlanSummary;
  baseUrl?: string;
}

/** The links that make sense for the event: approve/reject while awaiting approval, recheck while waiting, …. */
export function notificationLinks(input: PayloadInput): NotificationLinks | undefined {
  if (!input.baseUrl) return undefined;
  const all = migrationLinks(input.baseUrl, input.migrationId);
  const api = `${input.baseUrl.replace(/\/+$/, '')}/api`;
  const links: NotificationLinks = {
    status: all.self,
    report: all.report,
    reportCsv: all.reportCsv,
    dashboard: `${api}/dashboard`,
  };
  if (input.event === 'awaitingApproval') Object.assign(links, { approve: all.approve, reject: all.reject });
  if (input.event === 'waitingForLicenses') Object.assign(links, { recheck: all.recheck });
  if (input.event === 'awaitingApproval' || input.event === 'waitingForLicenses') links.cancel = all.cancel;
  if (input.event === 'completed' || input.event === 'completedWithErrors' || input.event === 'needsAttention') {
    links.rollback = `${all.self}/rollback`;
    links.retry = `${all.self}/retry`;
  }
  if (input.rollbackOf) links.rollbackOf = migrationLinks(input.baseUrl, input.rollbackOf).self;
  if (input.retryOf) links.retryOf = migrationLinks(input.baseUrl, input.retryOf).self;
  return links;
}

export function notificationPayload(input: PayloadInput): NotificationPayload {
  const migration: NotificationPayload['migration'] = {
    id: input.migrationId,
    status: input.status,
    counts: input.counts,
  };
  if (input.message !== undefined) migration.message = input.message;
  if (input.reason !== undefined) migration.reason = input.reason;
  if (input.rollbackOf !== undefined) migration.rollbackOf = input.rollbackOf;
  if (input.retryOf !== undefined) migration.retryOf = input.retryOf;
  const payload: NotificationPayload = {
    specVersion: PAYLOAD_SPEC_VERSION,
    deliveryId: input.deliveryId,
    event: input.event,
    occurredAt: input.occurredAt,
    migration,
  };
  if (input.plan) payload.plan = input.plan;
  const links = notificationLinks(input);
  if (links) payload.links = links;
  return payload;
}

/** One line saying what happened, for the card's title and logs. */
export function headline(payload: NotificationPayload): string {
  const id = payload.migration.id;
  const kind = payload.migration.rollbackOf ? 'rollback' : payload.migration.retryOf ? 'retry' : 'migration';
  switch (payload.event) {
    case 'awaitingApproval':
      return `license-shift: ${kind} ${id} awaits your approval`;
    case 'waitingForLicenses':
      return `license-shift: ${kind} ${id} is waiting for licenses`;
    case 'needsAttention':
      return `license-shift: ${kind} ${id} needs attention`;
    case 'completed':
      return `license-shift: ${kind} ${id} completed`;
    case 'completedWithErrors':
      return `license-shift: ${kind} ${id} completed with errors`;
    case 'failed':
      return `license-shift: ${kind} ${id} failed`;
    case 'cancelled':
      return `license-shift: ${kind} ${id} was cancelled`;
  }
}
