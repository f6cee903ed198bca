/**
 * Signing `json` notifications. The convention of GitHub's webhooks (an HMAC-SHA256 of the body, hex, as
 * `sha256=<hex>`), with the timestamp signed too, as Stripe's and the Standard Webhooks scheme do, so a captured
 * delivery cannot be replayed later:
 *
 *   X-License-Shift-Timestamp: <unix seconds>
 *   X-License-Shift-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * A receiver recomputes it over the raw body (before parsing), compares in constant time, rejects timestamps more than
 * a few minutes off, and drops repeats by X-License-Shift-Delivery (see docs/notifications.md).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-License-Shift-Signature';
export const TIMESTAMP_HEADER = 'X-License-Shift-Timestamp';
export const DELIVERY_HEADER = 'X-License-Shift-Delivery';
export const EVENT_HEADER = 'X-License-Shift-Event';

export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** What a receiver does: true when the signature matches and the timestamp is within `toleranceSeconds` of `nowMs`. */
export function verifySignature(options: {
  secret: string;
  timestamp: string | null;
  body: string;
  header: string | null;
  nowMs: number;
  toleranceSeconds?: number;
}): boolean {
  const { secret, body, header, nowMs, toleranceSeconds = 300 } = options;
  const timestamp = Number(options.timestamp);
  if (!header || !Number.isInteger(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signature(secret, timestamp, body), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
