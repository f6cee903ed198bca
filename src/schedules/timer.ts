/**
 * What the schedule timer does on each firing, for every schedule in turn:
 * 1. nothing for a finished or paused schedule;
 * 2. if the latest wave's migration ended with nothing left to move, mark the schedule finished (once) and emit
 *    Schedule.Finished; likewise when `wave.maxOccurrences` waves have run and the last one ended;
 * 3. otherwise take the occurrences due since the last look. Only the latest can start — older ones are skipped as
 *    missed (a later wave picks up their users). It starts only inside the window (a late start when the timer missed
 *    it but the window is still open), never while the previous wave still runs, and with a deterministic migration
 *    id, so a duplicate firing or a second instance starts nothing twice. Skipped occurrences are recorded with why.
 */
import { FINISHED_STATUSES, SUCCESSFUL_STATUSES, type MigrationStatus } from '../domain/status';
import type { MigrationRequest } from '../domain/types';
import { errorMessage } from '../domain/values';
import {
  dueOccurrences,
  occurrenceMigrationId,
  windowAt,
  type OccurrenceRecord,
  type ScheduleFinished,
} from '../domain/schedule';
import { TelemetryEvents, type Telemetry } from '../telemetry';
import type { ScheduleRecord, ScheduleRepository } from './repository';

/**
 * An occurrence started more than this after its time counts as late (a missed or delayed timer firing). A few minutes
 * of delay are normal: the timer only looks every MIGRATION_SCHEDULE (5 minutes by default).
 */
const LATE_AFTER_MS = 15 * 60_000;

export interface MigrationSnapshot {
  status: MigrationStatus;
  /** Users still to move after the run (its maxUsers cap, a closed window, a cancel). Known once it ended. */
  remaining?: number;
}

export interface ScheduleTimerDeps {
  repository: ScheduleRepository;
  startMigration(
    request: MigrationRequest,
    options: { id: string; origin: 'schedule'; scheduleName: string },
  ): Promise<{ id: string; created: boolean }>;
  migration(id: string): Promise<MigrationSnapshot | undefined>;
  telemetry: Telemetry;
  now(): Date;
  log(line: string): void;
}

export type ScheduleAction =
  | { schedule: string; action: 'started'; migrationId: string; occurrence: string; late: boolean; created: boolean }
  | { schedule: string; action: 'skipped'; occurrence: string; reason: string }
  | { schedule: string; action: 'finished'; reason: ScheduleFinished['reason'] }
  | { schedule: string; action: 'failed'; error: string };

/** One timer firing. `isPastDue` is the host's flag for a firing later than scheduled. */
export async function runScheduleTimer(
  deps: ScheduleTimerDeps,
  timer: { isPastDue: boolean },
): Promise<ScheduleAction[]> {
  const actions: ScheduleAction[] = [];
  for (const name of await deps.repository.names()) {
    try {
      actions.push(...(await evaluateSchedule(deps, name, timer.isPastDue)));
    } catch (error) {
      // One broken schedule must not stop the others; the next firing tries again.
      const message = errorMessage(error);
      deps.log(
        JSON.stringify({ level: 'error', message: 'schedule evaluation failed', scheduleName: name, error: message }),
      );
      actions.push({ schedule: name, action: 'failed', error: message });
    }
  }
  for (const action of actions) deps.log(JSON.stringify({ level: 'info', message: 'schedule timer', ...action }));
  return actions;
}

async function evaluateSchedule(deps: ScheduleTimerDeps, name: string, isPastDue: boolean): Promise<ScheduleAction[]> {
  const record = await deps.repository.get(name);
  if (!record || record.state.finished) return [];
  const { definition, state } = record;
  const now = deps.now();
  if (definition.paused) return [];

  const started = state.occurrences.filter((o) => o.outcome === 'started' && o.migrationId !== undefined);
  const last = started.at(-1);
  const lastRun = last?.migrationId ? await deps.migration(last.migrationId) : undefined;
  const lastRunning = lastRun !== undefined && !FINISHED_STATUSES.includes(lastRun.status);

  if (last && lastRun && SUCCESSFUL_STATUSES.includes(lastRun.status) && lastRun.remaining === 0) {
    return finish(deps, record, 'complete', started.length, last.migrationId);
  }
  const maxOccurrences = definition.wave?.maxOccurrences;
  if (maxOccurrences !== undefined && started.length >= maxOccurrences && !lastRunning) {
    return finish(deps, record, 'maxOccurrences', started.length, last?.migrationId);
  }

  const due = dueOccurrences(definition, state, new Date(state.evaluatedThrough ?? record.updatedAt), now);
  if (due.length === 0) {
    await deps.repository.setEvaluatedThrough(name, now);
    return [];
  }
  const actions: ScheduleAction[] = [];
  const skipped: OccurrenceRecord[] = [];
  const skip = (occurrence: Date, reason: string) => {
    skipped.push({ occurrence: occurrence.toISOString(), outcome: 'skipped', reason, recordedAt: now.toISOString() });
    actions.push({ schedule: name, action: 'skipped', occurrence: occurrence.toISOString(), reason });
  };

  const candidate = due.at(-1)!;
  for (const missed of due.slice(0, -1)) {
    skip(
      missed,
      `missed (the timer did not run at the time); the later occurrence ${candidate.toISOString()} replaces it`,
    );
  }
  const window = windowAt(definition, now);
  if (!window.open) {
    skip(
      candidate,
      `the maintenance window was closed${window.opensAt ? `; it next opens ${window.opensAt.toISOString()}` : ''}`,
    );
  } else if (lastRunning) {
    skip(candidate, `the previous wave (${last!.migrationId}) was still running`);
  } else {
    const late = isPastDue || now.getTime() - candidate.getTime() > LATE_AFTER_MS;
    actions.push(await startOccurrence(deps, record, { candidate, windowClosesAt: window.closesAt, late, now }));
  }
  await deps.repository.recordSkipped(name, skipped);
  await deps.repository.setEvaluatedThrough(name, now);
  return actions;
}

/**
 * Starts one occurrence's wave with a deterministic migration id. Start first, record after: a crash in between
 * leaves the occurrence due, and the retry finds the same run.
 */
async function startOccurrence(
  deps: ScheduleTimerDeps,
  record: ScheduleRecord,
  occurrence: { candidate: Date; windowClosesAt: Date | undefined; late: boolean; now: Date },
): Promise<ScheduleAction> {
  const { definition } = record;
  const name = definition.name;
  const { candidate, late, now } = occurrence;
  const migrationId = deps.repository.runKey(occurrenceMigrationId(name, candidate));
  const request: MigrationRequest = { ...definition.request, id: migrationId };
  if (definition.wave?.maxUsers !== undefined) request.maxUsers = definition.wave.maxUsers;
  if (occurrence.windowClosesAt) request.notAfter = occurrence.windowClosesAt.toISOString();
  const result = await deps.startMigration(request, { id: migrationId, origin: 'schedule', scheduleName: name });
  await deps.repository.recordStarted(name, {
    occurrence: candidate.toISOString(),
    outcome: 'started',
    migrationId: result.id,
    late,
    recordedAt: now.toISOString(),
  });
  if (result.created) {
    deps.telemetry.event(TelemetryEvents.ScheduleOccurrenceStarted, {
      scheduleName: name,
      occurrence: candidate.toISOString(),
      migrationId: result.id,
      late,
      maxUsers: request.maxUsers,
      notAfter: request.notAfter,
    });
  }
  return {
    schedule: name,
    action: 'started',
    migrationId: result.id,
    occurrence: candidate.toISOString(),
    late,
    created: result.created,
  };
}

async function finish(
  deps: ScheduleTimerDeps,
  record: ScheduleRecord,
  reason: ScheduleFinished['reason'],
  occurrences: number,
  lastMigrationId: string | undefined,
): Promise<ScheduleAction[]> {
  const name = record.definition.name;
  const finished: ScheduleFinished = { at: deps.now().toISOString(), reason };
  if (lastMigrationId) finished.lastMigrationId = lastMigrationId;
  if (await deps.repository.markFinished(name, finished)) {
    deps.telemetry.event(TelemetryEvents.ScheduleFinished, {
      scheduleName: name,
      occurrences,
      lastMigrationId,
      reason,
    });
  }
  return [{ schedule: name, action: 'finished', reason }];
}
