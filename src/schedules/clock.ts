/**
 * The clock schedules read. Azure: the wall clock. Tests on the local runtime's virtual clock point it at the host
 * clock, so due occurrences and windows follow simulated time. The override lives on the global object because the
 * local runtime loads the app in its own module registry.
 */
const OVERRIDE = Symbol.for('license-shift.schedules.testClock');
type WithOverride = typeof globalThis & { [OVERRIDE]?: () => Date };

export function scheduleNow(): Date {
  return (globalThis as WithOverride)[OVERRIDE]?.() ?? new Date();
}

export function setScheduleClockForTests(replacement: (() => Date) | undefined): void {
  (globalThis as WithOverride)[OVERRIDE] = replacement;
}
