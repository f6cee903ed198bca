/**
 * ISO 8601 durations for request fields (timeouts, poll intervals).
 *
 * Hand-written on purpose: the small npm parsers we looked at (tinyduration, iso8601-duration) match an
 * unanchored pattern ("xP1D" and "P1DT" pass) and accept negative components, so they would need a full
 * grammar check in front of them anyway. Years and months are refused because their length in
 * milliseconds depends on the calendar date, which a timeout must not.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

const NUMBER = String.raw`\d+(?:[.,]\d+)?`;
const DURATION_PATTERN = new RegExp(
  `^P(?:(?<weeks>${NUMBER})W)?(?:(?<days>${NUMBER})D)?` +
    `(?:T(?:(?<hours>${NUMBER})H)?(?:(?<minutes>${NUMBER})M)?(?:(?<seconds>${NUMBER})S)?)?$`,
);
const CALENDAR_PATTERN = /^P(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?/;

const UNITS = [
  { group: 'weeks', ms: WEEK },
  { group: 'days', ms: DAY },
  { group: 'hours', ms: HOUR },
  { group: 'minutes', ms: MINUTE },
  { group: 'seconds', ms: SECOND },
] as const;

/** Longest duration accepted: far beyond any sensible timeout, and keeps arithmetic exact. */
const MAX_MS = 10 * 366 * DAY;

/**
 * Milliseconds in an ISO 8601 duration such as "PT72H", "P7D", "PT1M30S" or "PT0.5S".
 * Throws an Error whose message says what is wrong and shows a valid example.
 */
export function parseIsoDuration(text: string): number {
  const trimmed = text.trim().toUpperCase();
  const match = DURATION_PATTERN.exec(trimmed);
  if (!match?.groups || trimmed === 'P' || trimmed.endsWith('T')) {
    const calendar = CALENDAR_PATTERN.exec(trimmed);
    if (calendar && /[YM]/.test(calendar[0].slice(1))) {
      throw new Error(
        `"${text}" uses years or months, whose length varies; give it in weeks, days, hours, minutes or seconds (e.g. P30D)`,
      );
    }
    throw new Error(`"${text}" is not an ISO 8601 duration such as PT1M, PT72H or P7D`);
  }
  const present = UNITS.filter((unit) => match.groups?.[unit.group] !== undefined);
  let total = 0;
  present.forEach((unit, index) => {
    const value = (match.groups?.[unit.group] ?? '0').replace(',', '.');
    if (value.includes('.') && index !== present.length - 1) {
      throw new Error(`"${text}" has a fraction before its last part; only the smallest unit may have a fraction`);
    }
    total += Number(value) * unit.ms;
  });
  if (!Number.isFinite(total) || total > MAX_MS) {
    throw new Error(`"${text}" is longer than ten years`);
  }
  return Math.round(total);
}

/** Human wording of a length of time, two most significant units: "2 h 5 min", "3 d", "45 s", "250 ms". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / SECOND) * SECOND;
  for (const [size, label] of [
    [DAY, 'd'],
    [HOUR, 'h'],
    [MINUTE, 'min'],
    [SECOND, 's'],
  ] as const) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count} ${label}`);
  }
  // Only the two most significant units are shown; drop trailing zero parts ("3 d 0 h" → "3 d").
  return parts
    .slice(0, 2)
    .filter((part, index) => index === 0 || !part.startsWith('0 '))
    .join(' ');
}

/** ISO 8601 wording of a whole number of seconds or more, e.g. 4_500_000 → "PT1H15M". */
export function toIsoDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.round(ms / SECOND));
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (days === 0 && time === '') return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
