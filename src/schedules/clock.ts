/**
 * The clock schedules read. Azure: the wall clock. Tests on the local runtime's virtual clock point it at the host
 * clock, so due occurrences and windows follow simulated time.
 */
let clock: () => Date = () => new Date();

export function scheduleNow(): Date {
  return clock();
}

export function setScheduleClockForTests(replacement: (() => Date) | undefined): void {
  clock = replacement ?? (() => new Date());
}
