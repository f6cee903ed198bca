import { TIMER_APP, startTestHost } from './helpers';

/** The virtual clock starts at a chosen instant, so time-driven behaviour is the same whenever the tests run. */
describe('virtual clock start', () => {
  it('starts at the given instant: orchestrations see it and timer triggers count from it', async () => {
    const { host } = await startTestHost({ startAt: '2026-12-31T23:59:30+01:00' });
    try {
      host.clock.setAutoAdvance(false);
      expect(new Date(host.clock.now()).toISOString()).toBe('2026-12-31T22:59:30.000Z');
      const id = await host.startOrchestration('LongTimer');
      await host.waitForIdle();
      expect((await host.getInstance(id))?.runtimeStatus).toBe('Running');
      await host.clock.advanceBy(8 * 24 * 3600_000);
      const finished = await host.waitFor(id, (s) => s.runtimeStatus === 'Completed');
      expect(finished.output).toEqual({ start: '2026-12-31T22:59:30.000Z', end: '2027-01-08T22:59:30.000Z' });
      expect(finished.createdTime).toBe('2026-12-31T22:59:30.000Z');
    } finally {
      await host.stop();
    }

    const timers = await startTestHost({ appEntry: TIMER_APP, startAt: Date.UTC(2026, 2, 29, 0, 59) });
    try {
      timers.host.clock.setAutoAdvance(false);
      await timers.host.clock.advanceTo(Date.UTC(2026, 2, 30, 0, 0));
      const response = await fetch(`${timers.host.baseUrl}/runtime/webhooks/durabletask/instances`);
      const inputs = ((await response.json()) as { input: { next?: string } }[]).map((instance) => instance.input);
      // ScheduledStart ("0 0 0 * * *") fired once, at the first midnight after the start (the host hands over the
      // schedule status recorded before the run, whose next occurrence is the one being run).
      expect(inputs).toEqual([expect.objectContaining({ next: '2026-03-30T00:00:00.000Z' })]);
    } finally {
      await timers.host.stop();
    }
  });

  it.each([
    ['a date-time without an offset', '2026-03-02T09:00:00'],
    ['something else', 'next monday'],
    ['not a number', Number.NaN],
  ])('refuses %s', async (_what, startAt) => {
    await expect(startTestHost({ startAt })).rejects.toThrow(/is not an instant.*2026-03-02T09:00:00Z/);
  });

  it('is refused on the real clock, which cannot be moved', async () => {
    await expect(startTestHost({ clock: 'real', startAt: 0 })).rejects.toThrow(/startAt needs clock: 'virtual'/);
  });
});
