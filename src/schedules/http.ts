/**
 * The schedules HTTP API: `GET /api/schedules`, `GET|PUT|DELETE /api/schedules/{name}`,
 * `POST /api/schedules/{name}/pause|resume`. Handlers take their dependencies; `src/functions/schedules.ts` only
 * registers them.
 */
import type { NotifySettings } from '../config/settings';
import { notifyProblems } from '../migrations/http';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { currentDate, type Clock } from '../clock';
import type { Problem } from '../domain/request';
import {
  nextOccurrence,
  parseScheduleDefinition,
  SCHEDULE_NAME_PATTERN,
  windowAt,
  type OccurrenceRecord,
  type ScheduleDefinition,
  type ScheduleFinished,
} from '../domain/schedule';
import { readJsonBody, requestOrigin } from '../http/body';
import { problemResponse, validationProblemResponse, type ValidationProblemOptions } from '../http/problem';
import type { ScheduleRecord, ScheduleRepository } from './repository';

export interface ScheduleHttpDeps {
  repository: ScheduleRepository;
  clock: Pick<Clock, 'now'>;
  /** The deployment's notification rules: a template's `notify` must name allowed hosts. */
  notify?: NotifySettings;
}

/** Schedules are small: a template naming users by list can still be large, as for POST /api/migrations. */
export const MAX_SCHEDULE_BODY_BYTES = 8 * 1024 * 1024;
export const INVALID_SCHEDULE_TYPE = 'urn:license-shift:problem:invalid-schedule';

export interface ScheduleView {
  name: string;
  /** `active` (waiting for or running its waves), `paused` or `finished`. */
  status: 'active' | 'paused' | 'finished';
  definition: ScheduleDefinition;
  createdAt: string;
  updatedAt: string;
  /** The next occurrence (cron tick or one-off start), while the schedule is active. */
  nextOccurrence?: string;
  /** The next few occurrences (up to 5), while the schedule is active. */
  nextOccurrences?: string[];
  /** The maintenance window now: open (until closesAt) or closed (until opensAt). */
  window?: { open: boolean; closesAt?: string; opensAt?: string };
  occurrencesStarted: number;
  lastOccurrence?: OccurrenceRecord;
  /** The migration of the latest started occurrence: GET /api/migrations/{id} has its progress. */
  lastMigrationId?: string;
  finished?: ScheduleFinished;
  /** Every started occurrence and the latest skipped ones, oldest first (GET of one schedule only). */
  occurrences?: OccurrenceRecord[];
  links: { self: string; pause: string; resume: string; lastMigration?: string };
}

export function toScheduleView(record: ScheduleRecord, baseUrl: string, now: Date, details: boolean): ScheduleView {
  const { definition, state } = record;
  const status = state.finished ? 'finished' : definition.paused ? 'paused' : 'active';
  const started = state.occurrences.filter((o) => o.outcome === 'started');
  const self = `${baseUrl.replace(/\/+$/, '')}/api/schedules/${encodeURIComponent(definition.name)}`;
  const view: ScheduleView = {
    name: definition.name,
    status,
    definition,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    occurrencesStarted: started.length,
    links: { self, pause: `${self}/pause`, resume: `${self}/resume` },
  };
  if (status === 'active') {
    const upcoming = nextOccurrences(definition, now, 5);
    if (upcoming[0]) view.nextOccurrence = upcoming[0];
    if (upcoming.length > 0) view.nextOccurrences = upcoming;
  }
  if (definition.window) {
    const window = windowAt(definition, now);
    view.window = { open: window.open };
    if (window.closesAt) view.window.closesAt = window.closesAt.toISOString();
    if (window.opensAt) view.window.opensAt = window.opensAt.toISOString();
  }
  const last = state.occurrences.at(-1);
  if (last) view.lastOccurrence = last;
  const lastStarted = started.at(-1);
  if (lastStarted?.migrationId) {
    view.lastMigrationId = lastStarted.migrationId;
    view.links.lastMigration = `${baseUrl.replace(/\/+$/, '')}/api/migrations/${encodeURIComponent(lastStarted.migrationId)}`;
  }
  if (state.finished) view.finished = state.finished;
  if (details) view.occurrences = state.occurrences;
  return view;
}

function nextOccurrences(definition: ScheduleDefinition, after: Date, count: number): string[] {
  const occurrences: string[] = [];
  let next = nextOccurrence(definition, after);
  while (next && occurrences.length < count) {
    occurrences.push(next.toISOString());
    next = nextOccurrence(definition, next);
  }
  return occurrences;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const invalidSchedule = (instance: string): ValidationProblemOptions => ({
  type: INVALID_SCHEDULE_TYPE,
  title: 'The schedule definition is not valid',
  consequence: 'Nothing was saved.',
  instance,
});

function invalid(problems: Problem[], instance: string): HttpResponseInit {
  return validationProblemResponse(problems, invalidSchedule(instance));
}

const notFound = (name: string) =>
  problemResponse(404, 'Schedule not found', `There is no schedule named "${name}". GET /api/schedules lists them.`);

function scheduleName(request: HttpRequest): { ok: true; name: string } | { ok: false; response: HttpResponseInit } {
  const name = request.params.name ?? '';
  if (SCHEDULE_NAME_PATTERN.test(name)) return { ok: true, name };
  return {
    ok: false,
    response: invalid(
      [{ field: 'name', message: 'must start with a letter or digit and have at most 40 letters, digits, _ or -' }],
      request.url,
    ),
  };
}

export async function listSchedulesHandler(deps: ScheduleHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const now = currentDate(deps.clock);
  const views: ScheduleView[] = [];
  for (const name of await deps.repository.names()) {
    const record = await deps.repository.get(name);
    if (record) views.push(toScheduleView(record, requestOrigin(request), now, false));
  }
  return json(200, { schedules: views });
}

export async function getScheduleHandler(deps: ScheduleHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const name = scheduleName(request);
  if (!name.ok) return name.response;
  const record = await deps.repository.get(name.name, { details: true });
  if (!record) return notFound(name.name);
  return json(200, toScheduleView(record, requestOrigin(request), currentDate(deps.clock), true));
}

export async function putScheduleHandler(deps: ScheduleHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const name = scheduleName(request);
  if (!name.ok) return name.response;
  const body = await readJsonBody(request, {
    maxBytes: MAX_SCHEDULE_BODY_BYTES,
    tooLargeAdvice: 'Name the users by group or by "all" rather than by a long list.',
    invalid: invalidSchedule(request.url),
  });
  if (!body.ok) return body.response;
  const now = currentDate(deps.clock);
  const parsed = parseScheduleDefinition(body.value, { name: name.name, now });
  if (!parsed.ok) return invalid(parsed.problems, request.url);
  const refused = deps.notify ? notifyProblems(parsed.value.request.notify, deps.notify, 'request.notify') : [];
  if (refused.length > 0) return invalid(refused, request.url);
  const { created } = await deps.repository.put(parsed.value, now);
  const record = await deps.repository.get(name.name, { details: true });
  const view = toScheduleView(record!, requestOrigin(request), now, true);
  return json(created ? 201 : 200, view, created ? { Location: view.links.self } : {});
}

export async function deleteScheduleHandler(deps: ScheduleHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const name = scheduleName(request);
  if (!name.ok) return name.response;
  if (!(await deps.repository.delete(name.name))) return notFound(name.name);
  return { status: 204 };
}

export async function pauseScheduleHandler(
  deps: ScheduleHttpDeps,
  request: HttpRequest,
  paused: boolean,
): Promise<HttpResponseInit> {
  const name = scheduleName(request);
  if (!name.ok) return name.response;
  const now = currentDate(deps.clock);
  if (!(await deps.repository.setPaused(name.name, paused, now))) return notFound(name.name);
  const record = await deps.repository.get(name.name, { details: true });
  return json(200, toScheduleView(record!, requestOrigin(request), now, true));
}
