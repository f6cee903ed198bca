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
  type WaitingFor,
} from '../domain/workflow';

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
}

/** Maps a durable status (and, while reassigning, the running wave's status) to the API's view. */
export function toMigrationView(
  status: DurableOrchestrationStatus,
  baseUrl: string,
  now: Date,
  wave?: WaveProgress,
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
  if (migrationStatus === 'reassigning' && wave) {
    counts.moved += wave.moved ?? 0;
    counts.failed += wave.failed ?? 0;
    counts.skipped += wave.skipped ?? 0;
    counts.done += (wave.moved ?? 0) + (wave.failed ?? 0) + (wave.skipped ?? 0);
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
    const elapsed = (now.getTime() - Date.parse(custom.stageStartedAt)) / 1000;
    const rate = handled / Math.max(elapsed, 0.001);
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
}

export async function getMigrationView(
  deps: ViewDeps,
  id: string,
  baseUrl: string,
): Promise<MigrationView | undefined> {
  const { client } = deps;
  const status = await statusOf(client, id);
  if (!status || status.name !== MIGRATION_ORCHESTRATOR) return undefined;
  const custom = status.customStatus as MigrationCustomStatus | undefined;
  let wave: WaveProgress | undefined;
  if (
    status.runtimeStatus === OrchestrationRuntimeStatus.Running &&
    custom?.status === 'reassigning' &&
    custom.currentWave !== undefined
  ) {
    const waveStatus = await statusOf(client, waveInstanceId(id, 'reassign', custom.currentWave));
    if (waveStatus?.runtimeStatus === OrchestrationRuntimeStatus.Running) wave = waveStatus.customStatus ?? undefined;
  }
  return toMigrationView(status, baseUrl, currentDate(deps.clock), wave);
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
