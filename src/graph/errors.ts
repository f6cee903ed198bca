import type { ErrorClass } from '../domain/types';
import { knownPlanName } from '../domain/plan-conflicts';
import { isRecord } from '../domain/values';
import { REQUIRED_PERMISSION, type GraphOperation } from './permissions';

export { REQUIRED_PERMISSION, type GraphOperation };

export interface GraphErrorInfo {
  errorClass: ErrorClass;
  /** HTTP status; 0 when no response arrived (connection reset, timeout, token failure). */
  status: number;
  /** Graph's `error.code`, or a layer code (`NetworkError`, `Timeout`, `CredentialUnavailable`, `Cancelled`). */
  code: string;
  /** Graph's `error.message`, verbatim. */
  message: string;
  requestId?: string;
  date?: string;
  /** What went wrong, in plain words. */
  reason: string;
  /** What to do about it. */
  action: string;
  missingPermission?: string;
}

export class GraphRequestError extends Error {
  constructor(readonly info: GraphErrorInfo) {
    super(`${info.reason} (${info.status || 'no response'} ${info.code}: ${info.message})`);
    this.name = 'GraphRequestError';
  }
}

export interface RawGraphFailure {
  status: number;
  code: string;
  message: string;
  requestId?: string;
  date?: string;
}

type Verdict = Pick<GraphErrorInfo, 'errorClass' | 'reason' | 'action' | 'missingPermission'>;

const SKU_IN_MESSAGE = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;

/** The service plans a Graph message names, by name where the product knows them, else by id. */
function planList(message: string): string {
  const ids = [...message.matchAll(new RegExp(SKU_IN_MESSAGE.source, 'gi'))].map((match) => match[1] ?? '');
  if (ids.length === 0) return 'two of its service plans';
  return ids.map((id) => knownPlanName(id) ?? `service plan ${id}`).join(' and ');
}

function skuOf(message: string): string {
  return SKU_IN_MESSAGE.exec(message)?.[1] ?? 'the SKU';
}

/** The documented and observed assignLicense refusals, matched on Graph's message because they all share one code. */
const MESSAGE_RULES: { test: RegExp; verdict: (message: string) => Verdict }[] = [
  {
    test: /does not have any available licenses/i,
    verdict: (m) => ({
      errorClass: 'userFixable',
      reason: `No free seats: every license of ${skuOf(m)} is assigned.`,
      action: 'Buy more licenses (or free some up) for the target subscription, then retry the failed users.',
    }),
  },
  {
    test: /invalid usage location/i,
    verdict: () => ({
      errorClass: 'userFixable',
      reason: 'The user has no valid usage location, which Microsoft requires before assigning a license.',
      action: "Set the user's usage location (or give the migration a default usageLocation), then retry.",
    }),
  },
  {
    test: /inherited from a group membership/i,
    verdict: () => ({
      errorClass: 'userFixable',
      reason: 'The license comes from a group, so it cannot be removed from the user directly.',
      action: "Change the group's license or remove the user from that group, then retry.",
    }),
  },
  {
    test: /mutually exclusive/i,
    verdict: (m) => ({
      errorClass: 'userFixable',
      reason: `The new license conflicts with a service plan the user already has: ${planList(m)} are mutually exclusive (MutuallyExclusiveViolation).`,
      action:
        'Remove the conflicting license in the same move (atomic strategy, or replace mode), or switch the conflicting plan off with disabledPlans, then retry.',
    }),
  },
  {
    test: /depends on the service plan/i,
    verdict: (m) => ({
      errorClass: 'userFixable',
      reason: `A service plan depends on another one the user would no longer have: ${planList(m)} (DependencyViolation).`,
      action:
        'Remove the dependent add-on first, or keep a license that brings its prerequisite (the first plan named needs the others), then retry.',
    }),
  },
  {
    test: /does not correspond to a valid company license/i,
    verdict: (m) => ({
      errorClass: 'permanent',
      reason: `The tenant has no subscription for ${skuOf(m)}.`,
      action: 'Check the SKU in the request; buy the subscription in this tenant if it is missing.',
    }),
  },
  {
    test: /cannot be assigned to a user/i,
    verdict: (m) => ({
      errorClass: 'permanent',
      reason: `${skuOf(m)} is a tenant-wide (Company) product and cannot be assigned to users.`,
      action: 'Pick a user-assignable SKU as the target.',
    }),
  },
  {
    test: /does not have a corresponding license/i,
    verdict: () => ({
      errorClass: 'permanent',
      reason: 'The user no longer holds the license to remove (changed since the plan was made).',
      action: "Re-run the migration: the plan re-reads the user's licenses and skips users already moved.",
    }),
  },
  {
    test: /is not part of the license|service plan .* not .* valid/i,
    verdict: () => ({
      errorClass: 'permanent',
      reason: 'A disabled plan is not part of the target SKU.',
      action: 'Fix the disabledPlans list of the move.',
    }),
  },
];

/** Sorts a Graph failure into retryable, user-fixable or permanent, with a reason and an action in plain words. */
export function classifyGraphError(failure: RawGraphFailure, operation: GraphOperation): GraphErrorInfo {
  return { ...failure, ...verdictFor(failure, operation) };
}

function verdictFor({ status, code, message }: RawGraphFailure, operation: GraphOperation): Verdict {
  if (status === 0) {
    return {
      errorClass: 'retryable',
      reason:
        code === 'Timeout' ? 'Graph did not answer in time.' : 'The connection to Graph failed before an answer came.',
      action: 'Retried automatically; if it persists, check network access to Graph and retry later.',
    };
  }
  if (status === 429) {
    return {
      errorClass: 'retryable',
      reason: 'Graph throttled the request (too many requests for this app and tenant).',
      action: 'Retried automatically; if it persists, lower GRAPH_WRITE_BUDGET or run fewer migrations at once.',
    };
  }
  if (status >= 500 || status === 424 || status === 408) {
    return {
      errorClass: 'retryable',
      reason: `Graph had a temporary failure (${status}).`,
      action: 'Retried automatically; if it persists, check the Microsoft 365 service health and retry later.',
    };
  }
  if (status === 401) {
    return {
      errorClass: 'permanent',
      reason: 'Graph rejected the credential (token missing, expired or for the wrong tenant or audience).',
      action: 'Check GRAPH_AUTH, AZURE_CLIENT_ID and AZURE_TENANT_ID and that the identity belongs to this tenant.',
    };
  }
  if (status === 403) {
    const permission = REQUIRED_PERMISSION[operation];
    return {
      errorClass: 'permanent',
      reason: `The app is not allowed to do this: it lacks the Graph application permission ${permission}.`,
      action: `Grant ${permission} (application permission, admin consent) to the app's identity, then retry.`,
      missingPermission: permission,
    };
  }
  if (status === 404 || code === 'Request_ResourceNotFound') {
    return {
      errorClass: 'permanent',
      reason:
        operation === 'readGroupMembers' ? 'The group does not exist in this tenant.' : 'The user does not exist.',
      action: 'Check the id or user principal name; the object may have been deleted.',
    };
  }
  for (const rule of MESSAGE_RULES) {
    if (rule.test.test(message)) return rule.verdict(message);
  }
  return {
    errorClass: 'permanent',
    reason: `Graph refused the request (${status} ${code}).`,
    action: 'Read the Graph message; fix the request or the object, then retry.',
  };
}

/** Parses Graph's error body `{ error: { code, message, innerError: { date, request-id } } }`, tolerating junk. */
export function failureFromBody(status: number, body: unknown, headers: HeaderSource | undefined): RawGraphFailure {
  const header = (name: string): string | undefined => headerValue(headers, name);
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const inner = error && isRecord(error.innerError) ? error.innerError : undefined;
  return {
    status,
    code: stringOr(error?.code, `Http${status}`),
    message: stringOr(error?.message, typeof body === 'string' && body !== '' ? body : `HTTP ${status}`),
    requestId: stringOr(inner?.['request-id'], header('request-id') ?? '') || undefined,
    date: stringOr(inner?.date, header('date') ?? '') || undefined,
  };
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

/** Response headers as fetch gives them, or as a `$batch` item carries them (a plain object). */
export type HeaderSource = { get(name: string): string | null } | Record<string, string>;

export function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof headers.get === 'function')
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

/** A value the caller passed that cannot be sent; refused before any request. */
export function invalidArgument(message: string): GraphRequestError {
  return new GraphRequestError({
    errorClass: 'permanent',
    status: 400,
    code: 'InvalidArgument',
    message,
    reason: message,
    action: 'Fix the value; nothing was sent to Graph.',
  });
}
