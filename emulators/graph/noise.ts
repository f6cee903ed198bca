import { GraphError } from './errors';
import type { SeededRandom } from './random';
import type { NoiseConfig } from './types';

/**
 * Background trouble that has nothing to do with the caller's own pace. Graph documents that identity endpoints may
 * answer 429 "even when the following limits are not reached, in situations when the services are under an
 * important load" (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits), and
 * that 503 may come with a Retry-After (https://learn.microsoft.com/graph/errors).
 */
export const REALISTIC_NOISE: NoiseConfig = {
  throttleRate: 0.015,
  throttleRetryAfterSeconds: { min: 1, max: 30 },
  unavailableRate: 0.003,
  unavailableRetryAfterShare: 0.5,
  resetRate: 0.002,
};

export const NO_NOISE: NoiseConfig = {
  throttleRate: 0,
  throttleRetryAfterSeconds: { min: 1, max: 30 },
  unavailableRate: 0,
  unavailableRetryAfterShare: 0,
  resetRate: 0,
};

/**
 * 429 messages seen from directory endpoints; `{app}` is the caller's app id. Sources: the throttling page's sample
 * (https://learn.microsoft.com/graph/throttling), GET /users in https://github.com/dafthack/GraphRunner/pull/11, and
 * a directory read in https://github.com/jsa2/AADAppAudit/issues/9. ("Your request is throttled temporarily. Please
 * try after N seconds." is left out: its only documented source is device registration, not Graph.)
 */
export const BACKGROUND_THROTTLE_MESSAGES: readonly string[] = [
  'Please retry again later.',
  'Too many requests from Identifier:{app} under category:throttle.aad.ags.appId.large. Please try again later.',
  'Too many requests from Identifier:{app} under category:aadgraph.app.tenant_large. Please try again later.',
];

export type NoiseDecision =
  | { kind: 'throttle'; retryAfterSeconds: number; message: string }
  | { kind: 'unavailable'; retryAfterSeconds?: number };

/**
 * One draw per request from the noise stream (separate from latency and faults, so turning noise on does not change
 * the other seeded samples). The same seed and the same request order give the same noise.
 */
export function drawNoise(config: NoiseConfig, random: SeededRandom, appId: string): NoiseDecision | undefined {
  if (config.throttleRate <= 0 && config.unavailableRate <= 0) return undefined;
  const roll = random.next();
  if (roll < config.throttleRate) {
    const { min, max } = config.throttleRetryAfterSeconds;
    const seconds = min + random.int(Math.max(1, max - min + 1));
    const message = random.pick(BACKGROUND_THROTTLE_MESSAGES).replace('{app}', appId);
    return { kind: 'throttle', retryAfterSeconds: seconds, message };
  }
  if (roll < config.throttleRate + config.unavailableRate) {
    const withRetry = random.next() < config.unavailableRetryAfterShare;
    return withRetry ? { kind: 'unavailable', retryAfterSeconds: 1 + random.int(10) } : { kind: 'unavailable' };
  }
  return undefined;
}

/** A connection reset for a whole HTTP request, drawn from the same stream. */
export function drawReset(config: NoiseConfig, random: SeededRandom): boolean {
  return config.resetRate > 0 && random.next() < config.resetRate;
}

/** [OBS] 503 body as reported from Graph (e.g. microsoftgraph/microsoft-graph-docs-contrib#6045). */
export const serviceUnavailable = (headers: Record<string, string>): GraphError =>
  new GraphError(503, 'serviceNotAvailable', 'Service unavailable', headers);
