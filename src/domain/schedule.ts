/**
 * Scheduled bulk moves: a definition (a migration request template, when it recurs, the maintenance window it may run
 * in and its wave limits), validation with every problem named by field, and the pure time maths the timer uses.
 * No I/O and no clock: every function takes the instants it needs.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { parseMigrationRequest } from './request';
import type { MigrationRequest } from './types';
import { problemsFromIssue, uniqueProblems, type ParseResult, type Problem } from './validation';
import { isRecord } from './values';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * When waves may run: opens on each listed day at `start` and closes at `end` (local times in the schedule's time
 * zone). An `end` earlier than `start` closes on the next day ("Fri 22:00 → Sat 04:00"); `days` are opening days.
 */
export interface ScheduleWindow {
  days: Weekday[];
  start: string;
  end: string;
}

export interface ScheduleWave {
  /** Most users one occurrence changes (the migration's maxUsers). */
  maxUsers?: number;
  /** Most occurrences started; the schedule then reports itself finished. */
  maxOccurrences?: number;
}

export interface ScheduleDefinition {
  name: string;
  /** The migration request each occurrence starts (validated like POST /api/migrations, defaults applied). */
  request: MigrationRequest;
  /** NCRONTAB with seconds (6 fields, as in Azure Functions) or classic 5-field cron, in `timeZone`. */
  cron?: string;
  /** A one-off occurrence (ISO 8601 instant with offset). Exactly one of cron and startAt. */
  startAt?: string;
  /** IANA time zone for cron and window, e.g. Europe/Berlin. */
  timeZone: string;
  window?: ScheduleWindow;
  wave?: ScheduleWave;
  paused: boolean;
}

/** What happened to one occurrence (a cron tick or the one-off start). */
export interface OccurrenceRecord {
  /** ISO instant of the occurrence itself. */
  occurrence: string;
  outcome: 'started' | 'skipped';
  migrationId?: string;
  /** Started after a missed timer firing, while its window was still open. */
  late?: boolean;
  /** Why an occurrence was skipped, in plain words. */
  reason?: string;
  recordedAt: string;
}

export interface ScheduleFinished {
  at: string;
  reason: 'complete' | 'maxOccurrences';
  lastMigrationId?: string;
}

/** The run state of a schedule, as far as the time maths needs it. */
export interface ScheduleState {
  /** Occurrences at or before this instant have been considered (started or skipped). */
  evaluatedThrough?: string;
  occurrences: OccurrenceRecord[];
  finished?: ScheduleFinished;
}

export const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

export const scheduleSchema = z.strictObject({
  name: z.string().regex(SCHEDULE_NAME_PATTERN, {
    error: 'must start with a letter or digit and have at most 40 letters, digits, _ or -',
  }),
  request: z.unknown().optional(),
  cron: z.string().optional(),
  startAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 instant with a time zone, e.g. 2026-12-05T01:00:00Z' })
    .optional(),
  timeZone: z.string().default('UTC'),
  window: z
    .strictObject({
      days: z
        .array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` }))
        .min(1, { error: 'must list at least one day' }),
      start: z.string().regex(HH_MM, { error: 'must be a local time HH:mm, e.g. 01:00' }),
      end: z.string().regex(HH_MM, { error: 'must be a local time HH:mm, e.g. 05:00' }),
    })
    .optional(),
  wave: z
    .strictObject({
      maxUsers: z
        .number()
        .int({ error: 'must be a whole number' })
        .positive({ error: 'must be at least 1' })
        .optional(),
      maxOccurrences: z
        .number()
        .int({ error: 'must be a whole number' })
        .positive({ error: 'must be at least 1' })
        .optional(),
    })
    .optional(),
  paused: z.boolean().default(false),
});

/**
 * Validates a schedule definition (already JSON-parsed). `name` is the name from the URL: the body may omit it or
 * must repeat it. With `now`, a one-off `startAt` in the past is a problem. Never throws.
 */
export function parseScheduleDefinition(
  body: unknown,
  options: { name?: string; now?: Date } = {},
): ParseResult<ScheduleDefinition> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ field: 'body', message: 'expected a JSON object (a schedule definition)' }] };
  }
  const raw = { ...(body as Record<string, unknown>) };
  const problems: Problem[] = [];
  if (options.name !== undefined) {
    if (raw.name === undefined) raw.name = options.name;
    else if (raw.name !== options.name) {
      problems.push({
        field: 'name',
        message: `(${JSON.stringify(raw.name)}) differs from the name in the URL ("${options.name}")`,
      });
    }
  }
  const parsed = scheduleSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...problemsFromIssue(issue));
  }

  const request = requestTemplate(raw.request, problems);
  problems.push(...timingProblems(raw, options.now), ...windowProblems(raw.window));

  if (problems.length > 0 || !parsed.success || !request) return { ok: false, problems: uniqueProblems(problems) };
  const data = parsed.data;
  const definition: ScheduleDefinition = { name: data.name, request, timeZone: data.timeZone, paused: data.paused };
  if (data.cron !== undefined) definition.cron = data.cron.trim();
  if (data.startAt !== undefined) definition.startAt = new Date(data.startAt).toISOString();
  if (data.window) definition.window = { days: data.window.days, start: data.window.start, end: data.window.end };
  if (data.wave) {
    const wave: ScheduleWave = {};
    if (data.wave.maxUsers !== undefined) wave.maxUsers = data.wave.maxUsers;
    if (data.wave.maxOccurrences !== undefined) wave.maxOccurrences = data.wave.maxOccurrences;
    definition.wave = wave;
  }
  return { ok: true, value: definition };
}

function cronProblem(expression: string, timeZone: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `("${expression}") must have 6 fields (second minute hour day month weekday, as in Azure Functions) or 5`;
  }
  // Occurrence ids have minute precision, so a schedule may fire at most once a minute.
  if (fields.length === 6 && !/^\d{1,2}$/.test(fields[0]!)) {
    return `("${expression}") must fire at one fixed second of the minute (e.g. "0 0 1 * * *"): waves are at most once a minute`;
  }
  try {
    const cron = occurrenceCron(expression, timeZone);
    if (!cron.nextRun(new Date(Date.UTC(2000, 0, 1)))) return `("${expression}") never fires`;
  } catch (error) {
    return `("${expression}") is not a valid cron expression: ${(error as Error).message}`;
  }
  return undefined;
}

function occurrenceCron(expression: string, timeZone: string): Cron {
  return cachedCron(expression, timeZone, '5-or-6-parts');
}

const cronCache = new Map<string, Cron>();
const CRON_CACHE_SIZE = 256;

/** Parsed patterns are reused: the timer evaluates the same few schedules every few minutes. */
function cachedCron(pattern: string, timeZone: string, mode: '5-or-6-parts' | '6-part'): Cron {
  const key = `${mode}\u0000${timeZone}\u0000${pattern}`;
  let cron = cronCache.get(key);
  if (!cron) {
    cron = new Cron(pattern, { paused: true, timezone: timeZone, mode });
    if (cronCache.size >= CRON_CACHE_SIZE) cronCache.delete(cronCache.keys().next().value!);
    cronCache.set(key, cron);
  }
  return cron;
}

function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const MAX_DUE_OCCURRENCES = 100;

/**
 * Occurrences in (from, to] not yet recorded in `state`, oldest first (at most the latest 100). Nothing is due for a
 * paused or finished schedule. Windows and wave limits are the caller's business (see the timer).
 */
export function dueOccurrences(def: ScheduleDefinition, state: ScheduleState, from: Date, to: Date): Date[] {
  if (def.paused || state.finished || to.getTime() <= from.getTime()) return [];
  // Compared at minute precision, like the occurrence ids the records are stored under.
  const recorded = new Set(state.occurrences.map((record) => occurrenceKey(new Date(record.occurrence))));
  const due: Date[] = [];
  if (def.startAt !== undefined) {
    const at = Date.parse(def.startAt);
    if (at > from.getTime() && at <= to.getTime()) due.push(new Date(at));
  } else if (def.cron !== undefined) {
    const cron = occurrenceCron(def.cron, def.timeZone);
    let next = cron.nextRun(from);
    while (next && next.getTime() <= to.getTime()) {
      due.push(next);
      if (due.length > MAX_DUE_OCCURRENCES) due.shift();
      next = cron.nextRun(next);
    }
  }
  return due.filter((at) => !recorded.has(occurrenceKey(at)));
}

/** The next occurrence after `after` (undefined for a past one-off or a cron that never fires again). */
export function nextOccurrence(def: ScheduleDefinition, after: Date): Date | undefined {
  if (def.startAt !== undefined) {
    const at = Date.parse(def.startAt);
    return at > after.getTime() ? new Date(at) : undefined;
  }
  if (def.cron === undefined) return undefined;
  return occurrenceCron(def.cron, def.timeZone).nextRun(after) ?? undefined;
}

export interface WindowState {
  open: boolean;
  /** When the open window closes (no new batch starts from then on). Absent when there is no window. */
  closesAt?: Date;
  /** When closed: when the window next opens. */
  opensAt?: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whether the schedule's window is open at `instant`. Local times follow the time zone's rules, including daylight
 * saving time: a start or end that does not exist that day (spring forward) moves to the first valid time after the
 * gap; one that occurs twice (fall back) is its first occurrence. A window emptied by the gap stays closed.
 */
export function windowAt(def: Pick<ScheduleDefinition, 'window' | 'timeZone'>, instant: Date): WindowState {
  const window = def.window;
  if (!window) return { open: true };
  const { opening, closing } = windowCrons(window, def.timeZone);
  const at = instant.getTime();
  // Windows last less than a day and open at most once a local day, so only the latest opening can contain `at`.
  const candidates = opening.nextRuns(3, new Date(at - DAY_MS - 2 * 60 * 60 * 1000));
  const latest = candidates.filter((candidate) => candidate.getTime() <= at).at(-1);
  if (latest) {
    const closesAt = closing.nextRun(new Date(latest.getTime() - 1000));
    if (closesAt && closesAt.getTime() > latest.getTime() && at < closesAt.getTime()) {
      return { open: true, closesAt };
    }
  }
  const opensAt = nextOpening(opening, closing, instant);
  return opensAt ? { open: false, opensAt } : { open: false };
}

function nextOpening(opening: Cron, closing: Cron, after: Date): Date | undefined {
  let candidate = opening.nextRun(after);
  // Skip openings whose window is empty (both ends inside the same DST gap).
  for (let i = 0; candidate && i < 8; i++) {
    const closesAt = closing.nextRun(new Date(candidate.getTime() - 1000));
    if (closesAt && closesAt.getTime() > candidate.getTime()) return candidate;
    candidate = opening.nextRun(candidate);
  }
  return undefined;
}

function windowCrons(window: ScheduleWindow, timeZone: string): { opening: Cron; closing: Cron } {
  const [startHour, startMinute] = window.start.split(':').map(Number);
  const [endHour, endMinute] = window.end.split(':').map(Number);
  const days = window.days.map((day) => day.toUpperCase()).join(',');
  return {
    opening: cachedCron(`0 ${startMinute} ${startHour} * * ${days}`, timeZone, '6-part'),
    // Any day: a window that opens late on its day closes on the next one.
    closing: cachedCron(`0 ${endMinute} ${endHour} * * *`, timeZone, '6-part'),
  };
}

/** `yyyyMMddTHHmm` in UTC: unambiguous across daylight saving changes, and sorts in time order. */
export function occurrenceKey(occurrence: Date): string {
  const iso = occurrence.toISOString(); // 2026-12-05T01:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

/** The instant an occurrence key stands for (the inverse of `occurrenceKey`). */
export function occurrenceFromKey(key: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})$/.exec(key);
  if (!match) return undefined;
  const [, year, month, day, hour, minute] = match.map(Number) as [number, number, number, number, number, number];
  return new Date(Date.UTC(year, month - 1, day, hour, minute));
}

/** The deterministic migration id of an occurrence: a repeated or concurrent timer firing starts nothing twice. */
export function occurrenceMigrationId(scheduleName: string, occurrence: Date): string {
  return `sched-${scheduleName}-${occurrenceKey(occurrence)}`;
}

function prefixField(prefix: string, field: string): string {
  if (field === 'body') return prefix;
  return field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`;
}

/** The migration request each occurrence starts: valid, and without the fields the schedule sets itself. */
function requestTemplate(raw: unknown, problems: Problem[]): MigrationRequest | undefined {
  if (raw === undefined) {
    problems.push({ field: 'request', message: 'is required: the migration request each occurrence starts' });
    return undefined;
  }
  const template = parseMigrationRequest(raw);
  if (!template.ok) problems.push(...template.problems.map((p) => ({ ...p, field: prefixField('request', p.field) })));
  if (isRecord(raw)) {
    if (raw.id !== undefined) {
      problems.push({
        field: 'request.id',
        message: 'is chosen by the schedule for each occurrence (sched-<name>-<occurrence>); remove it',
      });
    }
    if (raw.maxUsers !== undefined) {
      problems.push({ field: 'request.maxUsers', message: 'is set per occurrence from wave.maxUsers; move it there' });
    }
    if (raw.dryRun === true) {
      problems.push({ field: 'request.dryRun', message: 'cannot be true for a schedule: a dry run moves nobody' });
    }
  }
  return template.ok ? template.value : undefined;
}

/** Time zone, cron or one-off start: exactly one of the two, valid, and a one-off start not in the past. */
function timingProblems(raw: Record<string, unknown>, now: Date | undefined): Problem[] {
  const problems: Problem[] = [];
  const timeZone = typeof raw.timeZone === 'string' ? raw.timeZone : 'UTC';
  const timeZoneValid = isValidTimeZone(timeZone);
  if (!timeZoneValid) {
    problems.push({
      field: 'timeZone',
      message: `("${timeZone}") is not an IANA time zone such as Europe/Berlin or UTC`,
    });
  }
  if (raw.cron === undefined && raw.startAt === undefined) {
    problems.push({
      field: 'cron',
      message: 'or startAt is required: a cron expression for recurring waves, or startAt for a one-off run',
    });
  } else if (raw.cron !== undefined && raw.startAt !== undefined) {
    problems.push({ field: 'startAt', message: 'cannot be combined with cron: give one of them' });
  }
  if (typeof raw.cron === 'string') {
    const problem = cronProblem(raw.cron, timeZoneValid ? timeZone : 'UTC');
    if (problem) problems.push({ field: 'cron', message: problem });
  }
  if (now && typeof raw.startAt === 'string' && Date.parse(raw.startAt) < now.getTime()) {
    problems.push({ field: 'startAt', message: `(${raw.startAt}) is in the past` });
  }
  return problems;
}

function windowProblems(window: unknown): Problem[] {
  if (!isRecord(window)) return [];
  const problems: Problem[] = [];
  const { start, end, days } = window;
  if (typeof start === 'string' && start === end) {
    problems.push({
      field: 'window.end',
      message: 'equals window.start; for waves at any time of day, leave the window out',
    });
  }
  if (Array.isArray(days)) {
    days.forEach((day, index) => {
      if (days.indexOf(day) !== index)
        problems.push({ field: `window.days[${index}]`, message: `repeats ${String(day)}` });
    });
  }
  return problems;
}
