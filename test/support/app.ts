import { join } from 'node:path';
import type { FunctionsHost, FunctionsHostOptions } from '../../emulators/functions';
import type { AppOptions } from '../../src/app';
import type { Clock } from '../../src/clock';

/** The app's composition root, which tests load through the same door the Functions host uses. */
export const APP_MODULE = join(__dirname, '../../src/app.ts');

/**
 * The app's clock on the local runtime: the host's clock (virtual in most tests) for the time of day, and real
 * sleeps, because activities run in real time.
 */
export function hostClock(host: FunctionsHost): Clock {
  return {
    now: () => host.clock.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** `createApp` with the host's settings and clock, plus whatever the test swaps in (telemetry, say). */
export function composeApp(
  overrides: Omit<Partial<AppOptions>, 'env'> = {},
): NonNullable<FunctionsHostOptions['compose']> {
  return {
    exportName: 'createApp',
    argument: (host) => ({ env: process.env, clock: hostClock(host), ...overrides }) satisfies AppOptions,
  };
}
