/**
 * Notifications: who is told what when a run needs someone or ends. A run (or a schedule's request template) names
 * `notify`: a list of targets, each a URL, the events it wants and a format. Pure: the URL rules and event keys here
 * are used at the edge (validation), by the orchestrator (which events to send) and by the delivery activity.
 */
import { z } from 'zod';
import type { MigrationStatus } from './status';
import { problemsFromIssue, type ParseResult, type Problem } from './validation';

export const NOTIFY_EVENTS = [
  'awaitingApproval',
  'waitingForLicenses',
  'needsAttention',
  'completed',
  'completedWithErrors',
  'failed',
  'cancelled',
] as const;

export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const NOTIFY_FORMATS = ['json', 'teams'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

export interface NotifyTarget {
  url: string;
  events: NotifyEvent[];
  format: NotifyFormat;
}

/** Most targets one run may name. */
export const MAX_NOTIFY_TARGETS = 10;

const LOOPBACK_HOSTS = new Set(['localhost', '::1', '[::1]']);

/** 127.0.0.0/8, ::1 and localhost: the only hosts that may be reached over plain http (tests, a local receiver). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Why a notification URL is refused whatever the deployment allows, or undefined when its shape is fine. */
export function notifyUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not an absolute URL such as https://example.webhook.office.com/…';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return `must use https (plain http only to a loopback address such as 127.0.0.1), not ${url.protocol.replace(':', '')}`;
}

/**
 * Whether the URL's host is on the deployment's allow-list (NOTIFY_ALLOWED_HOSTS): an exact host name, or
 * `*.example.com` for any host under example.com. Case does not matter; an empty list allows nothing.
 */
export function hostAllowed(text: string, allowList: readonly string[]): boolean {
  let host: string;
  try {
    host = new URL(text).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return allowList.some((entry) => {
    const allowed = entry
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '');
    if (allowed.startsWith('*.')) return host.endsWith(allowed.slice(1)) && host.length > allowed.length - 1;
    return allowed !== '' && host === allowed;
  });
}

/** The URL as it may be shown (status, report, logs): scheme, host and path only. Query strings carry secrets (Teams' `sig=`). */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    const path = url.pathname.length > 40 ? `${url.pathname.slice(0, 40)}…` : url.pathname;
    return `${url.protocol}//${url.host}${path}`;
  } catch {
    return '(invalid URL)';
  }
}

export const notifyTargetSchema = z.strictObject({
  url: z.string().superRefine((value, context) => {
    const problem = notifyUrlProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }),
  events: z
    .array(z.enum(NOTIFY_EVENTS, { error: `must be one of ${NOTIFY_EVENTS.join(', ')}` }))
    .min(1, { error: 'must name at least one event' })
    .default([...NOTIFY_EVENTS]),
  format: z.enum(NOTIFY_FORMATS, { error: 'must be "json" or "teams"' }).default('json'),
});

export const notifyListSchema = z
  .array(notifyTargetSchema)
  .max(MAX_NOTIFY_TARGETS, { error: `lists more than ${MAX_NOTIFY_TARGETS} targets` });

/** A list of targets (the NOTIFY_DEFAULT setting's JSON, say), with every problem named by its path. */
export function parseNotifyList(value: unknown, field = 'notify'): ParseResult<NotifyTarget[]> {
  const parsed = notifyListSchema.safeParse(value);
  if (parsed.success)
    return { ok: true, value: parsed.data.map((target) => ({ ...target, events: [...new Set(target.events)] })) };
  const problems: Problem[] = parsed.error.issues.flatMap((issue) =>
    problemsFromIssue(issue).map((problem) => ({
      ...problem,
      field: problem.field === 'body' ? field : `${field}${problem.field.startsWith('[') ? '' : '.'}${problem.field}`,
    })),
  );
  return { ok: false, problems };
}

/** Targets whose host the deployment does not allow, as problems naming each one's field. */
export function disallowedTargets(
  targets: readonly NotifyTarget[],
  allowList: readonly string[],
  field = 'notify',
): Problem[] {
  return targets.flatMap((target, index) =>
    hostAllowed(target.url, allowList)
      ? []
      : [
          {
            field: `${field}[${index}].url`,
            message: `(${redactUrl(target.url)}) names a host this deployment does not allow: add it to the NOTIFY_ALLOWED_HOSTS app setting${allowList.length === 0 ? ' (empty: no host is allowed)' : ` (now: ${allowList.join(', ')})`}`,
          },
        ],
  );
}

/** The event a finished run announces; `rejected` is announced to nobody (the decider knows). */
export function finishedEvent(status: MigrationStatus): NotifyEvent | undefined {
  switch (status) {
    case 'completed':
    case 'completedWithErrors':
    case 'needsAttention':
    case 'failed':
    case 'cancelled':
      return status;
    default:
      return undefined;
  }
}

/**
 * The idempotency key of one event of one run: the event itself, except `waitingForLicenses`, which is announced
 * once per change of reason and so carries the change's number (1 for the first reason, 2 after it changed, …).
 */
export function notificationKey(event: NotifyEvent, change?: number): string {
  return event === 'waitingForLicenses' ? `${event}-${change ?? 1}` : event;
}
