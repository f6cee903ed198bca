import { DEFAULT_TEST_START, nextUtcTime, TEST_START_INSTANT, TEST_START_MS, testStart } from './clock';

describe('the test start instant', () => {
  it('is the default unless LICENSE_SHIFT_TEST_START moves it', () => {
    const expected = process.env.LICENSE_SHIFT_TEST_START?.trim() || DEFAULT_TEST_START;
    expect(TEST_START_MS).toBe(Date.parse(expected));
    expect(TEST_START_INSTANT).toBe(new Date(expected).toISOString());
    expect(testStart().getTime()).toBe(TEST_START_MS);
  });

  it.each(['2026-03-02T09:00:00', 'tomorrow', '2026-03-02'])('refuses %s (no offset, or no time)', (value) => {
    const saved = process.env.LICENSE_SHIFT_TEST_START;
    process.env.LICENSE_SHIFT_TEST_START = value;
    try {
      jest.isolateModules(() => {
        expect(() => jest.requireActual<typeof import('./clock')>('./clock')).toThrow(
          `LICENSE_SHIFT_TEST_START=${value} is not an ISO 8601 date-time with an offset`,
        );
      });
    } finally {
      if (saved === undefined) delete process.env.LICENSE_SHIFT_TEST_START;
      else process.env.LICENSE_SHIFT_TEST_START = saved;
    }
  });

  it('finds the next time of day in UTC, strictly after the instant', () => {
    const at = (iso: string) => Date.parse(iso);
    expect(nextUtcTime(at('2026-03-02T00:30:00Z'), '01:00')).toBe(at('2026-03-02T01:00:00Z'));
    expect(nextUtcTime(at('2026-03-02T01:00:00Z'), '01:00')).toBe(at('2026-03-03T01:00:00Z'));
    expect(nextUtcTime(at('2026-12-31T23:59:00Z'), '01:00')).toBe(at('2027-01-01T01:00:00Z'));
    expect(() => nextUtcTime(0, '1am')).toThrow(/HH:mm/);
  });
});
