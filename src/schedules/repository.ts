/**
 * Schedule definitions and their run state as JSON documents under `schedules/<name>/`:
 * - `definition.json`: the definition with created/updated times;
 * - `state.json`: how far the timer has looked (`evaluatedThrough`) and the latest skipped occurrences;
 * - `occurrences/<yyyyMMddTHHmm>.json`: one document per started occurrence, written only if absent, so a second
 *   timer firing or a second instance can never record (or count) an occurrence twice;
 * - `finished.json`: written once, when the schedule has nothing left to do.
 */
import {
  occurrenceFromKey,
  occurrenceKey,
  occurrenceMigrationId,
  type OccurrenceRecord,
  type ScheduleDefinition,
  type ScheduleFinished,
  type ScheduleState,
} from '../domain/schedule';
import { normalizeTenantId, tenantPrefix } from '../domain/tenancy';
import type { DocumentStore } from '../storage/document-store';

export const SCHEDULES_PREFIX = 'schedules/';
/** Skipped occurrences kept for the status API; older ones are dropped (they changed nothing). */
const SKIPPED_KEPT = 20;

export interface StoredDefinition {
  definition: ScheduleDefinition;
  createdAt: string;
  updatedAt: string;
}

interface StoredState {
  evaluatedThrough?: string;
  skipped: OccurrenceRecord[];
}

export interface ScheduleRecord extends StoredDefinition {
  state: ScheduleState;
}

export class ScheduleRepository {
  private readonly prefix: string;

  /** `tenantId` undefined: the home tenant's schedules (top level); another tenant's live under its prefix. */
  constructor(
    private readonly store: DocumentStore,
    readonly tenantId?: string,
  ) {
    this.prefix = `${tenantPrefix(tenantId)}${SCHEDULES_PREFIX}`;
  }

  /** The run key of a scheduled wave: its deterministic id, scoped to the schedule's tenant. */
  runKey(id: string): string {
    return this.tenantId === undefined ? id : `${normalizeTenantId(this.tenantId)}~${id}`;
  }

  async names(): Promise<string[]> {
    const paths = await this.store.list(this.prefix);
    return paths
      .filter((path) => path.endsWith('/definition.json'))
      .map((path) => path.slice(this.prefix.length, -'/definition.json'.length));
  }

  async definition(name: string): Promise<StoredDefinition | undefined> {
    return this.store.read<StoredDefinition>(this.path(name, 'definition.json'));
  }

  /**
   * The definition with its state. Started occurrences come from the listing alone (their ids are derived from the
   * occurrence); with `details`, each occurrence document is read too (late flags, start times).
   */
  async get(name: string, options: { details?: boolean } = {}): Promise<ScheduleRecord | undefined> {
    const stored = await this.definition(name);
    if (!stored) return undefined;
    const [state, finished, startedKeys] = await Promise.all([
      this.store.read<StoredState>(this.path(name, 'state.json')),
      this.store.read<ScheduleFinished>(this.path(name, 'finished.json')),
      this.store.list(this.path(name, 'occurrences/')),
    ]);
    const started: OccurrenceRecord[] = [];
    for (const path of startedKeys) {
      const key = path.slice(path.lastIndexOf('/') + 1, -'.json'.length);
      const occurrence = occurrenceFromKey(key);
      if (!occurrence) continue;
      const record = options.details ? await this.store.read<OccurrenceRecord>(path) : undefined;
      started.push(
        record ?? {
          occurrence: occurrence.toISOString(),
          outcome: 'started',
          migrationId: this.runKey(occurrenceMigrationId(name, occurrence)),
          recordedAt: occurrence.toISOString(),
        },
      );
    }
    const occurrences = [...started, ...(state?.skipped ?? [])].sort(
      (a, b) => Date.parse(a.occurrence) - Date.parse(b.occurrence),
    );
    const scheduleState: ScheduleState = { occurrences };
    if (state?.evaluatedThrough) scheduleState.evaluatedThrough = state.evaluatedThrough;
    if (finished) scheduleState.finished = finished;
    return { ...stored, state: scheduleState };
  }

  /**
   * Creates or replaces a definition. Its history (started occurrences, finished) is kept; the timer considers only
   * occurrences after now, so changing the cron never starts a backlog.
   */
  async put(definition: ScheduleDefinition, now: Date): Promise<{ created: boolean; stored: StoredDefinition }> {
    const existing = await this.definition(definition.name);
    const stored: StoredDefinition = {
      definition,
      createdAt: existing?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await this.store.write(this.path(definition.name, 'definition.json'), stored);
    await this.setEvaluatedThrough(definition.name, now);
    return { created: !existing, stored };
  }

  async delete(name: string): Promise<boolean> {
    const paths = await this.store.list(`${this.prefix}${name}/`);
    if (!paths.includes(this.path(name, 'definition.json'))) return false;
    // The definition goes last, so a delete cut short still lists the schedule and can be repeated.
    for (const path of paths.filter((p) => !p.endsWith('/definition.json'))) await this.store.delete(path);
    await this.store.delete(this.path(name, 'definition.json'));
    return true;
  }

  /** Pausing stops new occurrences; resuming looks only forward from now (nothing missed while paused starts). */
  async setPaused(name: string, paused: boolean, now: Date): Promise<StoredDefinition | undefined> {
    const existing = await this.definition(name);
    if (!existing) return undefined;
    const stored: StoredDefinition = {
      ...existing,
      definition: { ...existing.definition, paused },
      updatedAt: now.toISOString(),
    };
    await this.store.write(this.path(name, 'definition.json'), stored);
    if (!paused) await this.setEvaluatedThrough(name, now);
    return stored;
  }

  /** Records a started occurrence; false when it was already recorded (by a duplicate firing or another instance). */
  async recordStarted(name: string, record: OccurrenceRecord): Promise<boolean> {
    const key = occurrenceKey(new Date(record.occurrence));
    return this.store.write(this.path(name, `occurrences/${key}.json`), record, { onlyIfAbsent: true });
  }

  async recordSkipped(name: string, records: OccurrenceRecord[]): Promise<void> {
    if (records.length === 0) return;
    const state = await this.state(name);
    const skipped = [...state.skipped, ...records].slice(-SKIPPED_KEPT);
    await this.store.write(this.path(name, 'state.json'), { ...state, skipped });
  }

  async setEvaluatedThrough(name: string, instant: Date): Promise<void> {
    const state = await this.state(name);
    await this.store.write(this.path(name, 'state.json'), { ...state, evaluatedThrough: instant.toISOString() });
  }

  /** Marks the schedule finished; true only for the one caller that actually did (so it is reported once). */
  async markFinished(name: string, finished: ScheduleFinished): Promise<boolean> {
    return this.store.write(this.path(name, 'finished.json'), finished, { onlyIfAbsent: true });
  }

  private async state(name: string): Promise<StoredState> {
    return (await this.store.read<StoredState>(this.path(name, 'state.json'))) ?? { skipped: [] };
  }

  private path(name: string, document: string): string {
    return `${this.prefix}${name}/${document}`;
  }
}
