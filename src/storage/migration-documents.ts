import type { UserResult } from '../domain/report';
import type { MigrationStatus } from '../domain/status';
import type {
  AssignedLicense,
  MigrationCounts,
  MigrationRequest,
  PlannedUser,
  PlanSummary,
  TenantSku,
} from '../domain/types';
import type { GroupUnitPlan } from '../domain/group-plan';
import type { GroupUserChanges } from '../domain/group-rollback';
import type { WaveRef } from '../domain/workflow';
import type { ReportSummary } from '../domain/report';
import type { Requester } from '../domain/approval';
import type { NotifyEvent, NotifyFormat, NotifyTarget } from '../domain/notify';
import { parseRunKey, tenantPrefix } from '../domain/tenancy';
import { inParallel } from '../util/parallel';
import type { DocumentStore } from './document-store';

/** The request as accepted over HTTP or by a schedule. Written once: a second start with the same id finds it. */
export interface StoredRequest {
  migrationId: string;
  request: MigrationRequest;
  createdAt: string;
  origin: 'http' | 'schedule';
  scheduleName?: string;
  /** Who started the run: the signed-in principal (verified), or a label from the request. */
  requestedBy?: Requester & { label?: string };
  /** Where the run was started through (the API's origin), for links in notifications. */
  baseUrl?: string;
  /** The notification targets the run uses: its own `notify`, else the deployment's default at start. */
  notify?: NotifyTarget[];
  /** A rollback: the original run, whether changed users are restored anyway, and (a retried rollback) whom. */
  rollback?: { of: string; force: boolean; users?: string[] };
  /** A retry of the failed users of this run. */
  retryOf?: string;
}

/** A run started from this one (stored under the original, one document per linked run). */
export interface LinkedRunRecord {
  kind: 'rollback' | 'retry';
  migrationId: string;
  at: string;
}

/**
 * One notification of one event to one target. Written (only if absent) before the first attempt, and after each:
 * `sending` while an attempt's outcome is unknown, `retrying` after an attempt that certainly failed.
 */
export interface NotificationRecord {
  key: string;
  event: NotifyEvent;
  /** The target's URL without its query (which may hold a secret). */
  target: string;
  format: NotifyFormat;
  deliveryId: string;
  state: 'sending' | 'retrying' | 'delivered' | 'failed' | 'refused';
  attempts: number;
  reason?: string;
  /** The receiver's last HTTP status, or the error that kept the attempt from an answer. */
  lastResult?: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredPlan {
  summary: PlanSummary;
  waves: WaveRef[];
  /** The tenant's SKUs when planned, to name licenses in reports. */
  skus: TenantSku[];
  /** Users who need a change but were left for a later run (the request's maxUsers cap). */
  remaining: number;
  plannedAt: string;
  /** How many documents hold the users who need no change (skipped or blocked at planning). */
  unchangedParts: number;
  /** Group moves (docs/group-moves.md): every group the plan looked at, with what happens to it or why not. */
  groups?: GroupUnitPlan[];
}

/** Where one user of a group move is, and (once final) what happened. */
export interface GroupUserRecord {
  userId: string;
  /** Licenses read just before the first write. */
  before: AssignedLicense[];
  /**
   * `joined`: the membership write is done (join units); `targetHeld`: the user holds the target from the group (or,
   * for the documented E1 → E3 procedure, has it in the expected conflict); `sourceRemoved`: the source's writes are
   * done. The result becomes final once the user is verified or failed.
   */
  progress: 'pending' | 'joined' | 'targetHeld' | 'sourceRemoved';
  /** Moved or failed, or (not attempted) where the user stands and why the run stopped there. */
  result: UserResult;
  /** Nothing more will be done for this user in this run (a final result, or a reason the run stopped short). */
  closed?: boolean;
  /** The member's license error for the target, while the run waits for it to clear (CountViolation). */
  memberError?: string;
  /**
   * When this run asked group licensing to evaluate the user again (ISO, Graph's clock where it said): a target
   * error stamped before then is the old one, not the answer.
   */
  reprocessedAt?: string;
  /** What this run's writes changed for the user (memberships, direct licenses), as each landed: rollback undoes it. */
  changes?: GroupUserChanges;
}

/** The group stage's record of one unit (a group's product change, or users joining one group). */
export interface GroupUnitRecord {
  unit: number;
  users: GroupUserRecord[];
  /** product: when the group's target was added, and when the source was removed (ISO). */
  targetAddedAt?: string;
  sourceRemovedAt?: string;
  /** When the group's license was last sent again so that members in CountViolation are processed again. */
  nudgedAt?: string;
  /**
   * Set on records that say what the run's writes changed (`groupLicenses`, each user's `changes`), which a rollback
   * restores. Records of runs before it cannot be restored automatically.
   */
  recordsChanges?: true;
  /** product: the group's licenses just before the run's first write to them, and after its last. */
  groupLicenses?: { before: AssignedLicense[]; after: AssignedLicense[] };
}

/** What one batch did to one user: the state read just before the change, and the outcome. */
export interface UserRecord {
  userId: string;
  before: AssignedLicense[];
  result: UserResult;
  /**
   * Written before the user's `assignLicense` goes out. A retried activity that finds it without a final result
   * does not know whether the write landed: it reads the user back (allowing for replication lag) before sending
   * anything again.
   */
  attempted?: boolean;
  verified?: boolean;
  cleanedUp?: boolean;
}

export interface BatchRecord {
  batch: number;
  users: UserRecord[];
}

export interface ControlDocument {
  cancelRequested?: { at: string; by?: string };
}

export interface StoredReport {
  status: MigrationStatus;
  message?: string;
  counts: MigrationCounts & { toChange: number };
  summary: ReportSummary;
  finishedAt: string;
}

/** When the run entered a stage (written by the recordStage activity; the console's stage timeline). */
export interface StageEntry {
  stage: string;
  status: MigrationStatus;
  at: string;
}

export interface ApprovalRecord {
  approved: boolean;
  /** The signed-in principal's name, else the body's label. */
  by?: string;
  reason?: string;
  at: string;
  /** True when `by` is the signed-in principal (App Service authentication); false for a label from the body. */
  verified?: boolean;
  principalId?: string;
  /** A body `by` that differed from the signed-in principal (kept as a label only). */
  label?: string;
}

const pad = (n: number): string => String(n).padStart(6, '0');

/**
 * Wave documents kept in memory per process (1,600 users each at most). A run works on one wave at a time (and the
 * one before, for users handed back), so a few runs at once fit; caching every wave kept a whole 100,000-user plan
 * in memory.
 */
const WAVES_CACHED = 8;

/** Users who need no change are stored in parts of this size. */
const UNCHANGED_PART_SIZE = 2_000;

/**
 * Typed access to one migration's documents under `migrations/{id}/` (another tenant's: under its prefix). Wave documents never change once written, so
 * they are cached in memory: batch activities of one wave all read the same document.
 */
export class MigrationDocuments {
  private static readonly waveCache = new Map<string, PlannedUser[][]>();
  private static readonly settledCache = new Map<string, { plan: StoredPlan; request: StoredRequest }>();

  constructor(
    private readonly store: DocumentStore,
    readonly migrationId: string,
  ) {}

  /** A tenant's runs live under its prefix (`tenants/{tenantId}/migrations/{id}/`); the home tenant's at the top. */
  private path(name: string): string {
    const { tenantId, id } = parseRunKey(this.migrationId);
    return `${tenantPrefix(tenantId)}migrations/${id}/${name}`;
  }

  /** Where a document of this run is stored (for references in summaries). */
  pathOf(name: string): string {
    return this.path(name);
  }

  saveRequest(value: StoredRequest): Promise<boolean> {
    return this.store.write(this.path('request.json'), value, { onlyIfAbsent: true });
  }
  request(): Promise<StoredRequest | undefined> {
    return this.store.read<StoredRequest>(this.path('request.json'));
  }

  /** Stores the plan's parts, then the plan document itself (which records how many parts there are). */
  async savePlan(
    plan: Omit<StoredPlan, 'unchangedParts'>,
    waves: PlannedUser[][][],
    unchanged: PlannedUser[],
    groupUsers: PlannedUser[][] = [],
  ): Promise<void> {
    const writes: (() => Promise<unknown>)[] = [];
    waves.forEach((batches, wave) =>
      writes.push(() => this.store.write(this.path(`plan/wave-${pad(wave)}.json`), batches)),
    );
    groupUsers.forEach((users, unit) =>
      writes.push(() => this.store.write(this.path(`plan/group-${pad(unit)}.json`), users)),
    );
    for (let part = 0; part * UNCHANGED_PART_SIZE < unchanged.length; part += 1) {
      const slice = unchanged.slice(part * UNCHANGED_PART_SIZE, (part + 1) * UNCHANGED_PART_SIZE);
      writes.push(() => this.store.write(this.path(`plan/unchanged-${pad(part)}.json`), slice));
    }
    await inParallel(writes, 16);
    // The plan document goes last: its presence means every part it names is there.
    const stored: StoredPlan = { ...plan, unchangedParts: Math.ceil(unchanged.length / UNCHANGED_PART_SIZE) };
    await this.store.write(this.path('plan.json'), stored);
  }
  plan(): Promise<StoredPlan | undefined> {
    return this.store.read<StoredPlan>(this.path('plan.json'));
  }

  /**
   * One wave of the plan, read past the cache: for a pass over the whole plan (the report), which would otherwise
   * push the waves the batch activities are running out of the cache, and hold eight waves it never reads again.
   */
  async waveOnce(wave: number): Promise<PlannedUser[][]> {
    const key = `${this.migrationId}/${wave}`;
    const cached = MigrationDocuments.waveCache.get(key);
    if (cached) return cached;
    const batches = await this.store.read<PlannedUser[][]>(this.path(`plan/wave-${pad(wave)}.json`));
    if (!batches) throw new Error(`Plan of migration ${this.migrationId} has no wave ${wave}`);
    return batches;
  }

  async wave(wave: number): Promise<PlannedUser[][]> {
    const key = `${this.migrationId}/${wave}`;
    const cached = MigrationDocuments.waveCache.get(key);
    if (cached) {
      // Most recently used last, so the waves running now are the last to go.
      MigrationDocuments.waveCache.delete(key);
      MigrationDocuments.waveCache.set(key, cached);
      return cached;
    }
    const batches = await this.store.read<PlannedUser[][]>(this.path(`plan/wave-${pad(wave)}.json`));
    if (!batches) throw new Error(`Plan of migration ${this.migrationId} has no wave ${wave}`);
    remember(MigrationDocuments.waveCache, key, batches, WAVES_CACHED);
    return batches;
  }

  /**
   * The plan and request once reassignment has begun: neither changes after the final plan, so batch activities
   * (thousands per run) share one read per process.
   */
  async settled(): Promise<{ plan: StoredPlan; request: StoredRequest }> {
    const cached = MigrationDocuments.settledCache.get(this.migrationId);
    if (cached) return cached;
    const [plan, request] = await Promise.all([this.plan(), this.request()]);
    if (!plan || !request) throw new Error(`Migration ${this.migrationId} has no plan yet`);
    remember(MigrationDocuments.settledCache, this.migrationId, { plan, request });
    return { plan, request };
  }

  async batchUsers(wave: WaveRef | number, batch: number, firstBatch: number): Promise<PlannedUser[]> {
    const batches = await this.wave(typeof wave === 'number' ? wave : wave.wave);
    const users = batches[batch - firstBatch];
    if (!users) throw new Error(`Plan of migration ${this.migrationId} has no batch ${batch}`);
    return users;
  }

  /** One part of the users who need no change. */
  async unchangedPart(part: number): Promise<PlannedUser[]> {
    return (await this.store.read<PlannedUser[]>(this.path(`plan/unchanged-${pad(part)}.json`))) ?? [];
  }

  async unchanged(parts: number): Promise<PlannedUser[]> {
    const loaded = await inParallel(
      Array.from(
        { length: parts },
        (_, part) => () => this.store.read<PlannedUser[]>(this.path(`plan/unchanged-${pad(part)}.json`)),
      ),
      16,
    );
    return loaded.flatMap((users) => users ?? []);
  }

  /** The users a group unit changes (written with the plan, never changed afterwards). */
  async groupUsers(unit: number): Promise<PlannedUser[]> {
    return (await this.store.read<PlannedUser[]>(this.path(`plan/group-${pad(unit)}.json`))) ?? [];
  }

  groupRecord(unit: number): Promise<GroupUnitRecord | undefined> {
    return this.store.read<GroupUnitRecord>(this.path(`groups/unit-${pad(unit)}.json`));
  }
  saveGroupRecord(record: GroupUnitRecord): Promise<boolean> {
    return this.store.write(this.path(`groups/unit-${pad(record.unit)}.json`), record);
  }

  saveBatch(record: BatchRecord): Promise<boolean> {
    return this.store.write(this.path(`results/batch-${pad(record.batch)}.json`), record);
  }
  batch(batch: number): Promise<BatchRecord | undefined> {
    return this.store.read<BatchRecord>(this.path(`results/batch-${pad(batch)}.json`));
  }
  async batches(): Promise<BatchRecord[]> {
    const names = await this.store.list(this.path('results/'));
    const records = await inParallel(
      names.map((name) => () => this.store.read<BatchRecord>(name)),
      16,
    );
    return records.filter((record): record is BatchRecord => record !== undefined);
  }

  control(): Promise<ControlDocument | undefined> {
    return this.store.read<ControlDocument>(this.path('control.json'));
  }
  saveControl(control: ControlDocument): Promise<boolean> {
    return this.store.write(this.path('control.json'), control);
  }

  saveApproval(approval: ApprovalRecord): Promise<boolean> {
    return this.store.write(this.path('approval.json'), approval, { onlyIfAbsent: true });
  }
  approval(): Promise<ApprovalRecord | undefined> {
    return this.store.read<ApprovalRecord>(this.path('approval.json'));
  }

  /** One document per stage, written once: a retried activity keeps the first instant. */
  saveStage(entry: StageEntry): Promise<boolean> {
    return this.store.write(this.path(`stages/${entry.stage}.json`), entry, { onlyIfAbsent: true });
  }
  /** The stages entered so far, in the order they were entered. */
  async stages(): Promise<StageEntry[]> {
    const names = await this.store.list(this.path('stages/'));
    const entries = await inParallel(
      names.map((name) => () => this.store.read<StageEntry>(name)),
      8,
    );
    return entries
      .filter((entry): entry is StageEntry => entry !== undefined)
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || stageRank(a.stage) - stageRank(b.stage));
  }

  saveLinked(link: LinkedRunRecord): Promise<boolean> {
    return this.store.write(this.path(`linked/${link.migrationId}.json`), link);
  }
  async linked(): Promise<LinkedRunRecord[]> {
    const names = await this.store.list(this.path('linked/'));
    const links = await inParallel(
      names.map((name) => () => this.store.read<LinkedRunRecord>(name)),
      8,
    );
    return links.filter((link): link is LinkedRunRecord => link !== undefined).sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Writes a notification's first record; false when one exists (the event was handled already, or is being). */
  claimNotification(record: NotificationRecord): Promise<boolean> {
    return this.store.write(this.path(`notifications/${record.key}.json`), record, { onlyIfAbsent: true });
  }
  saveNotification(record: NotificationRecord): Promise<boolean> {
    return this.store.write(this.path(`notifications/${record.key}.json`), record);
  }
  notification(key: string): Promise<NotificationRecord | undefined> {
    return this.store.read<NotificationRecord>(this.path(`notifications/${key}.json`));
  }
  async notifications(): Promise<NotificationRecord[]> {
    const names = await this.store.list(this.path('notifications/'));
    const records = await inParallel(
      names.map((name) => () => this.store.read<NotificationRecord>(name)),
      8,
    );
    return records
      .filter((record): record is NotificationRecord => record !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.key.localeCompare(b.key));
  }

  saveReport(report: StoredReport): Promise<boolean> {
    return this.store.write(this.path('report.json'), report);
  }
  report(): Promise<StoredReport | undefined> {
    return this.store.read<StoredReport>(this.path('report.json'));
  }
}

/** Stages in the order a run goes through them (entries made in the same millisecond keep that order). */
const STAGE_ORDER = ['plan', 'approval', 'purchaseCheck', 'reassign', 'verify', 'cleanup', 'report'];
const stageRank = (stage: string) => (STAGE_ORDER.includes(stage) ? STAGE_ORDER.indexOf(stage) : STAGE_ORDER.length);

function remember<V>(cache: Map<string, V>, key: string, value: V, limit = 64): void {
  if (cache.size >= limit) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, value);
}
