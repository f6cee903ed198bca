/**
 * The one source of time for everything outside orchestrations (which read `context.df.currentUtcDateTime`).
 * Production uses the system clock; tests and the local runtime pass a virtual one through `createApp`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The clock's instant as a Date. */
export function currentDate(clock: Pick<Clock, 'now'>): Date {
  return new Date(clock.now());
}

/** The clock's instant as an ISO 8601 string. */
export function currentIso(clock: Pick<Clock, 'now'>): string {
  return new Date(clock.now()).toISOString();
}
