/**
 * Delivering one notification to one target, at most once. The record of the notification (run, event key, target)
 * is written only if absent before anything is sent; a replay, a retried activity or a restart that finds it does not
 * send again. Attempts are retried with back-off only after an attempt that certainly did not deliver (the receiver
 * answered 408, 429 or 5xx, or the connection was never made); an attempt whose outcome is unknown (no answer in time,
 * a connection cut after the request went out, the app stopping mid-attempt) is not repeated. Every attempt carries
 * the same delivery id, so a receiver can still drop a repeat.
 */
import { createHash } from 'node:crypto';
import { currentIso, type Clock } from '../clock';
import type { NotifySettings } from '../config/settings';
import { hostAllowed, redactUrl, type NotifyTarget } from '../domain/notify';
import { errorMessage } from '../domain/values';
import type { MigrationDocuments, NotificationRecord } from '../storage/migration-documents';
import type { StructuredLogger } from '../telemetry';
import { notificationPayload, type PayloadInput } from './payload';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature, TIMESTAMP_HEADER } from './sign';
import { teamsMessage } from './teams';

/** Waits after a failed attempt (5 attempts in all); a longer Retry-After is honoured up to MAX_RETRY_AFTER_MS. */
export const BACKOFF_MS: readonly number[] = [1_000, 4_000, 15_000, 30_000];
const MAX_RETRY_AFTER_MS = 60_000;
/** How long one attempt may take (real time, like a request timeout). */
export const ATTEMPT_TIMEOUT_MS = 10_000;

export interface DeliveryDeps {
  docs: MigrationDocuments;
  clock: Clock;
  settings: NotifySettings;
  log: StructuredLogger;
  fetch?: typeof fetch;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'alreadyHandled';

/** The delivery id of one notification to one target: the same on every attempt and every re-run. */
export function deliveryId(migrationId: string, key: string): string {
  const hex = createHash('sha256').update(`${migrationId}\u0000${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16] ?? '0', 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Connection errors before anything was sent: the receiver cannot have the notification. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

type Attempt =
  | { kind: 'delivered'; result: string }
  | { kind: 'retry'; result: string; retryAfterMs?: number }
  | { kind: 'failed'; result: string };

function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : undefined;
}

async function attempt(
  send: typeof fetch,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<Attempt> {
  let response: Response;
  try {
    response = await send(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
  } catch (error) {
    const code = errorCode(error);
    if (code && NEVER_SENT.has(code)) return { kind: 'retry', result: `not reached (${code})` };
    return {
      kind: 'failed',
      result: `no answer (${code ?? errorMessage(error)}): not sent again, since the receiver may have it`,
    };
  }
  await response.body?.cancel().catch(() => undefined);
  const result = `HTTP ${response.status}`;
  if (response.status >= 200 && response.status < 300) return { kind: 'delivered', result };
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    const after = retryAfterMs(response.headers.get('retry-after'));
    return after === undefined ? { kind: 'retry', result } : { kind: 'retry', result, retryAfterMs: after };
  }
  return {
    kind: 'failed',
    result: response.status >= 300 && response.status < 400 ? `${result} (redirects are not followed)` : result,
  };
}

function refusal(target: NotifyTarget, settings: NotifySettings): string | undefined {
  if (!hostAllowed(target.url, settings.allowedHosts)) return 'its host is not in NOTIFY_ALLOWED_HOSTS (any more)';
  if (target.format === 'json' && !settings.signingSecret)
    return 'json notifications are signed, and NOTIFY_SIGNING_SECRET is not set';
  return undefined;
}

/** The body and headers of one notification to one target. */
function request(target: NotifyTarget, input: PayloadInput, settings: NotifySettings, nowMs: number) {
  const payload = notificationPayload(input);
  const body = JSON.stringify(target.format === 'teams' ? teamsMessage(payload) : payload);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    [DELIVERY_HEADER]: input.deliveryId,
    [EVENT_HEADER]: input.event,
  };
  if (target.format === 'json' && settings.signingSecret) {
    const timestamp = Math.floor(nowMs / 1000);
    headers[TIMESTAMP_HEADER] = String(timestamp);
    headers[SIGNATURE_HEADER] = signature(settings.signingSecret, timestamp, body);
  }
  return { body, headers };
}

/** Claims the notification, or finds how an earlier attempt left it. */
async function claim(deps: DeliveryDeps, fresh: NotificationRecord): Promise<NotificationRecord | 'alreadyHandled'> {
  if (await deps.docs.claimNotification(fresh)) return fresh;
  const existing = await deps.docs.notification(fresh.key);
  if (!existing || existing.state !== 'retrying') {
    if (existing?.state === 'sending') {
      // The app stopped while an attempt was under way: it may have arrived, so it is not sent again.
      const now = currentIso(deps.clock);
      const lastResult = 'the app stopped while sending: not sent again, since the receiver may have it';
      await deps.docs.saveNotification({ ...existing, state: 'failed', lastResult, updatedAt: now });
    }
    return 'alreadyHandled';
  }
  return existing;
}

/** Sends one notification to one target, at most once across re-runs; records every step. */
export async function deliver(
  deps: DeliveryDeps,
  target: NotifyTarget,
  key: string,
  input: Omit<PayloadInput, 'deliveryId' | 'occurredAt'>,
): Promise<DeliveryOutcome> {
  const now = currentIso(deps.clock);
  const id = deliveryId(input.migrationId, key);
  const fresh: NotificationRecord = {
    key,
    event: input.event,
    target: redactUrl(target.url),
    format: target.format,
    deliveryId: id,
    state: 'sending',
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
  if (input.reason !== undefined) fresh.reason = input.reason;
  const refused = refusal(target, deps.settings);
  if (refused) fresh.state = 'refused';
  const claimed = await claim(deps, refused ? { ...fresh, lastResult: `not sent: ${refused}` } : fresh);
  if (claimed === 'alreadyHandled') return 'alreadyHandled';
  if (refused) {
    deps.log.warn('Notification refused', {
      migrationId: input.migrationId,
      key,
      target: fresh.target,
      reason: refused,
    });
    return 'failed';
  }
  return send(deps, target, claimed, { ...input, deliveryId: id, occurredAt: claimed.createdAt });
}

async function send(
  deps: DeliveryDeps,
  target: NotifyTarget,
  start: NotificationRecord,
  input: PayloadInput,
): Promise<DeliveryOutcome> {
  let record = start;
  const post = deps.fetch ?? fetch;
  for (;;) {
    record = { ...record, state: 'sending', attempts: record.attempts + 1, updatedAt: currentIso(deps.clock) };
    await deps.docs.saveNotification(record);
    const { body, headers } = request(target, input, deps.settings, deps.clock.now());
    const outcome = await attempt(post, target.url, body, headers);
    const updatedAt = currentIso(deps.clock);
    const wait = BACKOFF_MS[record.attempts - 1];
    if (outcome.kind === 'retry' && wait !== undefined) {
      record = { ...record, state: 'retrying', lastResult: outcome.result, updatedAt };
      await deps.docs.saveNotification(record);
      await deps.clock.sleep(Math.max(wait, outcome.retryAfterMs ?? 0));
      continue;
    }
    const delivered = outcome.kind === 'delivered';
    record = { ...record, state: delivered ? 'delivered' : 'failed', lastResult: outcome.result, updatedAt };
    await deps.docs.saveNotification(record);
    const fields = {
      migrationId: input.migrationId,
      key: record.key,
      target: record.target,
      attempts: record.attempts,
      result: outcome.result,
    };
    if (delivered) deps.log.info('Notification delivered', fields);
    else deps.log.warn('Notification not delivered', fields);
    return delivered ? 'delivered' : 'failed';
  }
}
