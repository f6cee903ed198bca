import fc from 'fast-check';
import { formatDuration, parseIsoDuration, toIsoDuration } from '../../src/domain/duration';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseIsoDuration', () => {
  it.each([
    ['PT1M', MINUTE],
    ['PT72H', 72 * HOUR],
    ['P7D', 7 * DAY],
    ['P30D', 30 * DAY],
    ['P2W', 14 * DAY],
    ['P1DT2H3M4S', DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND],
    ['PT0.5S', 500],
    ['PT1,5H', 1.5 * HOUR],
    ['pt10m', 10 * MINUTE],
    ['PT0S', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', 'P1DT', '1D', 'xP1D', 'P-1D', 'PT1H1H', 'P1H', 'PT1D', '72h', 'P1.5DT1H'])(
    'rejects %j with a message showing a valid example',
    (text) => {
      expect(() => parseIsoDuration(text)).toThrow(/ISO 8601 duration|fraction/);
    },
  );

  it.each(['P1Y', 'P1M', 'P1Y2M', 'P1MT1H', 'P0.5Y'])('rejects %s: years and months have no fixed length', (text) => {
    expect(() => parseIsoDuration(text)).toThrow(/years or months/);
  });

  it('rejects absurdly long durations', () => {
    expect(() => parseIsoDuration('P99999999D')).toThrow(/longer than ten years/);
  });

  it('round-trips every whole-second duration through toIsoDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * 365 * 86_400 }), (seconds) => {
        expect(parseIsoDuration(toIsoDuration(seconds * SECOND))).toBe(seconds * SECOND);
      }),
    );
  });

  it('adds its parts: days, hours, minutes and seconds in any combination', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            D: fc.integer({ min: 0, max: 400 }),
            H: fc.integer({ min: 0, max: 1000 }),
            M: fc.integer({ min: 0, max: 1000 }),
            S: fc.integer({ min: 0, max: 100_000 }),
          },
          { requiredKeys: [] },
        ),
        (parts) => {
          const time = (['H', 'M', 'S'] as const)
            .filter((unit) => parts[unit] !== undefined)
            .map((unit) => `${parts[unit]}${unit}`)
            .join('');
          const text = `P${parts.D !== undefined ? `${parts.D}D` : ''}${time ? `T${time}` : ''}`;
          if (text === 'P') {
            expect(() => parseIsoDuration(text)).toThrow();
            return;
          }
          const expected =
            (parts.D ?? 0) * DAY + (parts.H ?? 0) * HOUR + (parts.M ?? 0) * MINUTE + (parts.S ?? 0) * SECOND;
          expect(parseIsoDuration(text)).toBe(expected);
        },
      ),
    );
  });

  it('never throws anything but an Error with a message, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          expect(parseIsoDuration(text)).toBeGreaterThanOrEqual(0);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(/duration|years or months|fraction|ten years/);
        }
      }),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [250, '250 ms'],
    [45 * SECOND, '45 s'],
    [2 * HOUR + 5 * MINUTE, '2 h 5 min'],
    [2 * HOUR + 5 * MINUTE + 59 * SECOND, '2 h 5 min'],
    [72 * HOUR, '3 d'],
    [3 * DAY + 4 * HOUR, '3 d 4 h'],
    [90 * SECOND, '1 min 30 s'],
    [-1, 'unknown'],
  ])('%d ms reads "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('toIsoDuration', () => {
  it.each([
    [0, 'PT0S'],
    [MINUTE, 'PT1M'],
    [72 * HOUR, 'P3D'],
    [DAY + HOUR + 1000, 'P1DT1H1S'],
  ])('%d ms is %s', (ms, text) => {
    expect(toIsoDuration(ms)).toBe(text);
  });
});
