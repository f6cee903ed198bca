import type { SeededRandom } from './random';
import type { LatencyClass } from './api';
import type { LatencyDistribution, LatencyModel } from './types';

/**
 * Realistic defaults (configurable): directory reads answer in tens of milliseconds, collection pages a bit
 * slower, license writes in hundreds of milliseconds. Log-normal, so there is a long tail.
 */
export const REALISTIC_LATENCY: LatencyModel = {
  read: { medianMs: 45, p95Ms: 120 },
  list: { medianMs: 90, p95Ms: 260 },
  write: { medianMs: 280, p95Ms: 750 },
};

export const NO_LATENCY: LatencyModel = {
  read: { medianMs: 0, p95Ms: 0 },
  list: { medianMs: 0, p95Ms: 0 },
  write: { medianMs: 0, p95Ms: 0 },
};

/** z for the 95th percentile of a standard normal distribution. */
const Z95 = 1.6448536269514722;

export function sampleLatency(distribution: LatencyDistribution, random: SeededRandom): number {
  if (distribution.medianMs <= 0) return 0;
  const sigma =
    distribution.p95Ms > distribution.medianMs ? Math.log(distribution.p95Ms / distribution.medianMs) / Z95 : 0;
  return distribution.medianMs * Math.exp(sigma * random.normal());
}

export function latencyFor(model: LatencyModel, kind: LatencyClass, random: SeededRandom, timeScale: number): number {
  return sampleLatency(model[kind], random) / timeScale;
}
