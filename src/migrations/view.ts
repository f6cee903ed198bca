import { OrchestrationRuntimeStatus, type DurableClient, type DurableOrchestrationStatus } from 'durable-functions';
import { currentDate, type Clock } from '../clock';
import { isFinished, type MigrationStatus } from '../domain/status';
import { tenantOfRunKey } from '../domain/tenancy';
import type { MigrationCounts } from '../domain/types';
import {
  MIGRATION_ORCHESTRATOR,
  waveInstanceId,
  type MigrationCustomStatus,
  type MigrationOutput,
  type PhaseResult,
  type WaitingFor,
  type WaveGroupStatus,
  type WaveResult,
} from '../domain/workflow';
import type { TenantLedger } from '../ledger';
import type { DocumentStore } from '../storage/document-store';
import { liveProgress } from './live-progress';

import type { ApprovalView, MigrationAction } from './related';

export interface MigrationLinks {
  self: string;
  report: string;
  reportCsv: string;
  approve: string;
  reject: string;
  recheck: string;
  cancel: string;
  /** POST: start a run that restores what this one changed. */
  rollback: string;
  /** POST: start a run for this one's failed (and fixably blocked) users. */
  retry: string;
  /** GET: the run this one rolls back or retries, and the runs that rolled back or retried this one. */
  rollbackOf?: string;
  retryOf?: string;
  rolledBackBy?: string[];
  retriedBy?: string[];
}

/** What `GET /api/migrations/{id}` returns. */
export interface MigrationView {
  /** The run key: the request's id, prefixed `{tenantId}~` for a tenant other than the deployment's own. */
  id: string;
  /** The tenant of a run outside the deployment's own tenant. */
  tenantId?: string;
  status: MigrationStatus;
  stage: string;
  counts: MigrationCounts & { toChange: number };
  /** Percentage of planned changes handled, 0–100. */
  progress: number;
  /** Seconds until the reassignment is expected to finish, while it runs. */
  etaSeconds?: number;
  waitingFor?: WaitingFor;
  message?: string;
  /** Users still to move after this run (its user cap, a cancel, a closed window). */
  remaining?: number;
  /**
   * Seats of target SKUs this run reserved at its purchase check and has not taken yet (src/ledger): other runs in the
   * tenant count them as taken. Shown while the run holds any.
   */
  reservedSeats?: { skuId: string; seats: number }[];
  createdAt: string;
  updatedAt: string;
  links: MigrationLinks;
  /** The run this one rolls back, or retries (single-run view only). */
  rollbackOf?: string;
  retryOf?: string;
  /** Runs that rolled back or retried this one, oldest first (single-run view only). */
  rolledBackBy?: string[];
  retriedBy?: string[];
  /** What may be done now (single-run view only): the console shows only these buttons. */
  actions?: MigrationAction[];
  /** Who may decide and on what (single-run view, runs that need approval). */
  approval?: ApprovalView;
}

const emptyCounts = (): MigrationCounts & { toChange: number } => ({
  total: 0,
  toChange: 0,
  done: 0,
  moved: 0,
  skipped: 0,
  failed: 0,
  blocked: 0,
});

/**
 * Links of a run. Another tenant's run carries `?tenantId=` on every link: the API answers for a run only in its
 * own tenant, and a request naming no tenant is the home tenant's.
 */
export function migrationLinks(baseUrl: string, id: string): MigrationLinks {
  const self = `${baseUrl.replace(/\/+$/, '')}/api/migrations/${encodeURIComponent(id)}`;
  const tenantId = tenantOfRunKey(id);
  const tenant = tenantId ? `tenantId=${tenantId}` : '';
  const link = (suffix: string, query = '') => {
    const params = [query, tenant].filter((part) => part !== '').join('&');
    return `${self}${suffix}${params ? `?${params}` : ''}`;
  };
  return {
    self: link(''),
    report: link('/report'),
    reportCsv: link('/report', 'format=csv'),
    approve: link('/approve'),
    reject: link('/reject'),
    recheck: link('/recheck'),
    cancel: link('/cancel'),
    rollback: link('/rollback'),
    retry: link('/retry'),
  };
}

const iso = (value: Date | string | undefined): string =>
  value === undefined ? new Date(0).toISOString() : new Date(value).toISOString();

interface WaveProgress {
  moved?: number;
  failed?: number;
  skipped?: number;
  notAttempted?: number;
  /** Plan batches of the wave whose activities have reported (wave custom status). */
  batchesDone?: number;
}

/** Users the batch activities running now have finished, from their progress documents (live-progress.ts). */
export interface LiveProgress {
  moved: number;
  failed: number;
  skipped: number;
  /** Users per second those activities are finishing, measured since they started. */
  perSecond?: number;
}

/** Maps a durable status (and, while reassigning, the running wave's status) to the API's view. */
export function toMigrationView(
  status: DurableOrchestrationStatus,
  baseUrl: string,
  now: Date,
  wave?: WaveProgress,
  live?: LiveProgress,
): MigrationView {
  const custom = (status.customStatus ?? undefined) as MigrationCustomStatus | undefined;
  const output = (status.output ?? undefined) as MigrationOutput | undefined;
  const counts = { ...emptyCounts(), ...(output?.counts ?? custom?.counts) };
  let migrationStatus: MigrationStatus;
  let message = output?.message ?? custom?.message;
  switch (status.runtimeStatus) {
    case OrchestrationRuntimeStatus.Completed:
      migrationStatus = output?.status ?? 'completed';
      break;
    case OrchestrationRuntimeStatus.Failed:
      migrationStatus = 'failed';
      message = typeof status.output === 'string' ? status.output : (message ?? 'The migration failed unexpectedly.');
      break;
    case OrchestrationRuntimeStatus.Terminated:
    case OrchestrationRuntimeStatus.Canceled:
      migrationStatus = 'cancelled';
      message = message ?? 'The migration was terminated.';
      break;
    case OrchestrationRuntimeStatus.Pending:
      migrationStatus = 'pending';
      break;
    default:
      migrationStatus = custom?.status ?? 'pending';
  }
  if (migrationStatus === 'reassigning') {
    for (const part of [wave, live]) {
      counts.moved += part?.moved ?? 0;
      counts.failed += part?.failed ?? 0;
      counts.skipped += part?.skipped ?? 0;
      counts.done += (part?.moved ?? 0) + (part?.failed ?? 0) + (part?.skipped ?? 0);
    }
  }
  const handled = counts.done - (counts.total - counts.toChange);
  const progress =
    counts.toChange === 0
      ? isFinished(migrationStatus)
        ? 100
        : 0
      : Math.min(100, Math.round((100 * Math.max(0, handled)) / counts.toChange));
  const view: MigrationView = {
    id: status.instanceId,
    status: migrationStatus,
    stage: custom?.stage ?? (migrationStatus === 'pending' ? 'pending' : 'report'),
    counts,
    progress,
    createdAt: iso(status.createdTime),
    updatedAt: iso(status.lastUpdatedTime),
    links: migrationLinks(baseUrl, status.instanceId),
  };
  const tenantId = tenantOfRunKey(status.instanceId);
  if (tenantId) view.tenantId = tenantId;
  if (migrationStatus === 'reassigning' && custom?.stageStartedAt && handled > 0) {
    // The rate the running activities measure now; until they have one, the average since the stage began.
    const elapsed = (now.getTime() - Date.parse(custom.stageStartedAt)) / 1000;
    const rate = live?.perSecond ?? handled / Math.max(elapsed, 0.001);
    view.etaSeconds = Math.round(Math.max(0, counts.toChange - handled) / rate);
  }
  const waits = migrationStatus === 'waitingForLicenses' || migrationStatus === 'processingGroups';
  if (custom?.waitingFor && waits) view.waitingFor = custom.waitingFor;
  if (message !== undefined) view.message = message;
  if (output) view.remaining = output.remaining;
  return view;
}

async function statusOf(client: DurableClient, id: string): Promise<DurableOrchestrationStatus | undefined> {
  try {
    const status = await client.getStatus(id, { showInput: false });
    return status?.runtimeStatus ? status : undefined;
  } catch (error) {
    if (error instanceof Error && /404|not found/i.test(error.message)) return undefined;
    throw error;
  }
}

export interface ViewDeps {
  client: DurableClient;
  clock: Pick<Clock, 'now'>;
  /** Where batch activities publish progress; without it the counts move once per round of activities. */
  store?: DocumentStore;
  /** The tenant ledger, for the seats the run holds. */
  ledger?: Pick<TenantLedger, 'reservedSeats'>;
}

/**
 * The status of one migration. With `live`, the counts include what the batch activities running now have finished
 * (their progress documents), so they move within a second or two of each batch, and the seats the run holds.
 */
export async function getMigrationView(
  deps: ViewDeps,
  id: string,
  baseUrl: string,
  options: { live?: boolean } = {},
): Promise<MigrationView | undefined> {
  const { client } = deps;
  const status = await statusOf(client, id);
  if (!status || status.name !== MIGRATION_ORCHESTRATOR) return undefined;
  const custom = status.customStatus as MigrationCustomStatus | undefined;
  const running = status.runtimeStatus === OrchestrationRuntimeStatus.Running;
  let wave: WaveProgress | undefined;
  let live: LiveProgress | undefined;
  if (running && custom?.status === 'reassigning') {
    const found = await runningWave(client, id, custom);
    wave = found.progress;
    if (options.live && deps.store && found.live) {
      const { wave: number, batchesDone } = found.live;
      live = await liveProgress(deps.store, id, number, batchesDone, deps.clock.now());
    }
  }
  const view = toMigrationView(status, baseUrl, currentDate(deps.clock), wave, live);
  if (options.live && deps.ledger && running) {
    const reserved = await deps.ledger.reservedSeats(id);
    if (reserved.length > 0) view.reservedSeats = reserved;
  }
  return view;
}

/** Nested wave groups a phase of 10^(n+1) waves has: far more than any plan holds. */
const MAX_GROUP_DEPTH = 6;

type WavePointer = Pick<WaveGroupStatus, 'currentWave' | 'currentGroup'>;

function addProgress(sum: WaveProgress, part: Partial<WaveProgress> | undefined): WaveProgress {
  return {
    ...sum,
    moved: (sum.moved ?? 0) + (part?.moved ?? 0),
    failed: (sum.failed ?? 0) + (part?.failed ?? 0),
    skipped: (sum.skipped ?? 0) + (part?.skipped ?? 0),
    notAttempted: (sum.notAttempted ?? 0) + (part?.notAttempted ?? 0),
  };
}

/**
 * The counts the reassign phase holds beyond the run's own: from the run's status down through the wave groups
 * running now (each has the counts of its finished children) to the running wave, and that wave's activities for
 * live progress. A child that finished and whose caller has not taken its result in yet counts with its result.
 */
async function runningWave(
  client: DurableClient,
  id: string,
  custom: MigrationCustomStatus,
): Promise<{ progress?: WaveProgress; live?: { wave: number; batchesDone: number } }> {
  let progress: WaveProgress = {};
  let pointer: WavePointer = custom;
  for (let depth = 0; pointer.currentGroup !== undefined && depth < MAX_GROUP_DEPTH; depth++) {
    const group = await statusOf(client, pointer.currentGroup);
    if (group?.runtimeStatus === OrchestrationRuntimeStatus.Completed)
      return { progress: addProgress(progress, (group.output as PhaseResult | undefined)?.counts) };
    const groupStatus = group?.runtimeStatus === OrchestrationRuntimeStatus.Running ? group.customStatus : undefined;
    // Not started, or no child started yet: nothing beyond the run's counts.
    if (!groupStatus) return { progress };
    const current = groupStatus as WaveGroupStatus;
    progress = addProgress(progress, current.counts);
    pointer = current;
  }
  if (pointer.currentWave === undefined || pointer.currentGroup !== undefined) return { progress };
  const waveStatus = await statusOf(client, waveInstanceId(id, 'reassign', pointer.currentWave));
  if (waveStatus?.runtimeStatus === OrchestrationRuntimeStatus.Completed)
    return { progress: addProgress(progress, (waveStatus.output as WaveResult | undefined)?.counts) };
  const running = waveStatus?.runtimeStatus === OrchestrationRuntimeStatus.Running;
  const current = running ? (waveStatus.customStatus as WaveProgress | null) : null;
  return {
    progress: { ...addProgress(progress, current ?? undefined), batchesDone: current?.batchesDone ?? 0 },
    live: { wave: pointer.currentWave, batchesDone: current?.batchesDone ?? 0 },
  };
}

/** Recent migrations, newest first (waves are sub-orchestrations and are left out). */
export async function listMigrations(
  deps: ViewDeps,
  baseUrl: string,
  limit = 50,
  belongs: (runKey: string) => boolean = () => true,
): Promise<MigrationView[]> {
  const all = await deps.client.getStatusAll();
  const now = currentDate(deps.clock);
  return all
    .filter((status) => status.name === MIGRATION_ORCHESTRATOR && belongs(status.instanceId))
    .sort((a, b) => new Date(b.createdTime).getTime() - new Date(a.createdTime).getTime())
    .slice(0, limit)
    .map((status) => toMigrationView(status, baseUrl, now));
}
