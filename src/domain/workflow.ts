/**
 * The contract between the migration orchestrations and their activities: names, inputs, outputs and the custom
 * status shape, plus the pure decisions the orchestrator takes (back-off, failure budget). Pure and deterministic.
 */
import type { NotifyEvent } from './notify';
import type { MigrationStatus } from './status';
import type { GroupUnitRef } from './group-plan';
import type { MigrationCounts, MigrationRequest, PlanSummary } from './types';

/**
 * Every activity, by the name it is registered under, with its input and output. Orchestrators call activities
 * through typed helpers keyed by these names, and the composition root registers one handler of exactly this type
 * per name, so a mismatch is a compile error. The names are part of every recorded history: never rename one.
 */
export interface ActivityContracts {
  planMigration: { input: string; output: PlanOutcome };
  checkLicenses: { input: LicenseCheckInput; output: LicenseCheckResult };
  reassignBatch: { input: BatchInput; output: BatchCounts };
  verifyBatch: { input: BatchInput; output: BatchCounts };
  cleanupBatch: { input: BatchInput; output: BatchCounts };
  recordStage: { input: StageRecord; output: void };
  finalizeMigration: { input: FinalizeInput; output: void };
  /** Group moves (docs/group-moves.md): the writes of one step of one group unit (a slice of its users). */
  groupStep: { input: GroupStepInput; output: GroupUnitStatus };
  /** Group moves: reads where a unit's users are after its writes (group processing is asynchronous). */
  checkGroupStep: { input: GroupCheckInput; output: GroupUnitStatus };
  /** A rollback's plan, from the original run's records (input: the rollback's migration id). */
  planRollback: { input: string; output: PlanOutcome };
  /** Tells the run's notification targets about one event, once (stored idempotency key per run, event and reason). */
  notifyRun: { input: NotifyInput; output: NotifyResult };
}

export type ActivityName = keyof ActivityContracts;
export type ActivityInput<N extends ActivityName> = ActivityContracts[N]['input'];
export type ActivityOutput<N extends ActivityName> = ActivityContracts[N]['output'];

/** Orchestrations, by registered name, with input and output (sub-orchestrations are called through these). */
export interface OrchestratorContracts {
  migrationOrchestrator: { input: MigrationInput; output: MigrationOutput };
  migrationWaveOrchestrator: { input: WaveInput; output: WaveResult };
  migrationWaveGroupOrchestrator: { input: WaveGroupInput; output: PhaseResult };
}

export type OrchestratorName = keyof OrchestratorContracts;

export const MIGRATION_ORCHESTRATOR = 'migrationOrchestrator' satisfies OrchestratorName;
export const WAVE_ORCHESTRATOR = 'migrationWaveOrchestrator' satisfies OrchestratorName;
export const WAVE_GROUP_ORCHESTRATOR = 'migrationWaveGroupOrchestrator' satisfies OrchestratorName;

/** External events the HTTP API raises on a running migration. */
export const MigrationEvents = {
  approval: 'approval',
  recheck: 'recheck',
  cancel: 'cancel',
} as const;

/** Users per wave: one sub-orchestration handles this many batches, which bounds every history. */
export const BATCHES_PER_WAVE = 80;

/**
 * Plan batches (one `$batch` each) per activity. Several per activity keep the write pipeline full: the users are
 * read once up front and the `$batch` requests go out back to back, so the budget is not idle during reads.
 */
export const BATCHES_PER_ACTIVITY = 5;

/**
 * Plan batches per verify activity: verifying only reads (a `$batch` of reads per plan batch, against a read budget
 * far above the write budget), so 8 activities cover a whole wave in one round. Each round of activities is a set of
 * orchestration episodes that replay the wave's history; one round instead of two halves them.
 */
export const BATCHES_PER_VERIFY_ACTIVITY = 10;

/** Batches per activity for runs of RUN_LAYOUT_VERSION (WaveInput.batchesPerActivity). */
export function batchesPerActivity(phase: Phase): number {
  return phase === 'verify' ? BATCHES_PER_VERIFY_ACTIVITY : BATCHES_PER_ACTIVITY;
}

/**
 * Children (waves, or groups of waves) one orchestration calls in a phase, at most. Every sub-orchestration result
 * is an episode that replays the caller's whole history, so a caller with n children replays O(n²) events: a phase
 * with more waves than this runs them through wave-group sub-orchestrations (nested when needed), which keeps the
 * replay per user flat from a thousand users to millions.
 */
export const WAVES_PER_GROUP = 10;

/** 2: phases of more than WAVES_PER_GROUP waves run through wave groups; verify activities take a whole round. */
export const RUN_LAYOUT_VERSION = 2;

/** Everything the orchestrator needs from the request; the moves and user lists stay in storage. */
export type RunOptions = Pick<
  MigrationRequest,
  | 'dryRun'
  | 'requireApproval'
  | 'approvalTimeout'
  | 'waitForLicenses'
  | 'batchSize'
  | 'maxFailureRate'
  | 'strategy'
  | 'mode'
  | 'notAfter'
>;

/** A run started from another: a rollback (restores what the original changed) or a retry (its failed users). */
export interface RunLink {
  kind: 'rollback' | 'retry';
  /** The original run's migration id. */
  of: string;
}

export interface MigrationInput {
  migrationId: string;
  options: RunOptions;
  /** Absent for a run started from a request's moves. A rollback plans with `planRollback`. */
  link?: RunLink;
  /**
   * True when the run has notification targets: only then does the orchestrator call `notifyRun` (runs started
   * before notifications existed replay without it).
   */
  notify?: boolean;
  /**
   * The orchestration layout the run started with (RUN_LAYOUT_VERSION then), so a deployment never changes the
   * decisions of a run in flight. Absent: runs started before layouts were versioned, which replay their recorded
   * direct wave calls and verify activities of BATCHES_PER_ACTIVITY.
   */
  version?: number;
}

export interface ApprovalDecision {
  approved: boolean;
  by?: string;
  reason?: string;
}

/** A slice of the plan's change batches handled by one wave sub-orchestration. */
export interface WaveRef {
  wave: number;
  firstBatch: number;
  batchCount: number;
  users: number;
}

export type PlanOutcome =
  | {
      ok: true;
      summary: PlanSummary;
      waves: WaveRef[];
      remaining: number;
      /** Group moves the group stage runs (docs/group-moves.md); absent when there are none. */
      groups?: GroupUnitRef[];
      /** Said at the end of the run's final message (a rollback's part that cannot be restored automatically). */
      notes?: string[];
    }
  | {
      ok: false;
      reason: string;
      /** Targets named by id that the tenant does not list yet: the run waits for the purchase instead of failing. */
      missingTargets?: string[];
    };

export interface LicenseCheckInput {
  migrationId: string;
  seatsNeeded: Record<string, number>;
  /** Source SKU ids that must still be listed (step 3: both subscriptions listed and active). */
  sourceSkuIds: string[];
  /** The reason reported by the previous check, so waiting telemetry is sent once per change, not per poll. */
  previousReason?: string;
}

export interface LicenseCheckResult {
  ready: boolean;
  /** Plain words, one per problem ("need 40, 12 free: buy 28 more Microsoft 365 Business Premium licenses"). */
  reasons: string[];
  /** Notes that do not block (e.g. a target in Warning: grace period). */
  notes: string[];
  targets: { skuId: string; name: string; status: string; needed: number; free: number; reservedByOthers?: number }[];
}

export type Phase = 'reassign' | 'verify' | 'cleanup';

/** Consecutive plan batches [batch, batch + batchCount) of one wave. */
export interface BatchRange {
  wave: number;
  batch: number;
  batchCount: number;
}

export interface BatchInput {
  migrationId: string;
  phase: Phase;
  wave: number;
  /** First plan batch (one Graph `$batch` each) this activity handles. */
  batch: number;
  /** How many consecutive plan batches, at most `batchesPerActivity(phase)`. */
  batchCount: number;
  /** Share of the tenant's write budget this activity may use: 1 / activities running at once. */
  budgetShare: number;
  /** Users per Graph `$batch` (the request's batchSize). */
  batchSize: number;
  /**
   * Ranges in which an earlier activity of this phase handed users back (Graph throttled them): this activity sends
   * them too, alongside its own. Its result says where each range stands (`BatchCounts.carried`).
   */
  carried?: BatchRange[];
  /**
   * Hand users Graph throttles back (`BatchCounts.deferred`) instead of waiting out their Retry-After, so the
   * activity finishes its other users and the next round sends them, while other work keeps the budget busy.
   */
  deferThrottled?: boolean;
}

/** Where the users of one range stand after an activity: final results, and those handed back. */
export interface RangeState {
  moved: number;
  failed: number;
  skipped: number;
  deferred: number;
}

export interface BatchCounts {
  moved: number;
  failed: number;
  skipped: number;
  /** Users not handled because the run was cancelled or its window closed before this batch. */
  notAttempted: number;
  throttled: number;
  /** True when the batch found the run cancelled and changed nobody. */
  cancelled: boolean;
  /** Users of the activity's own range handed back after a 429 (BatchInput.deferThrottled), not changed yet. */
  deferred?: number;
  /** Where each carried range stands now, in the order of BatchInput.carried. */
  carried?: RangeState[];
}

/** A range with users handed back, and how many of its users the wave has already counted as final. */
export interface CarriedRange extends BatchRange {
  counted: { moved: number; failed: number; skipped: number };
  /** Users of the range not final yet. */
  pending: number;
}

export interface WaveInput {
  migrationId: string;
  phase: Phase;
  batchSize: number;
  wave: WaveRef;
  concurrency: number;
  maxFailureRate: number;
  /** Totals of earlier waves, so the failure budget spans the whole run. */
  attemptedBefore: number;
  failedBefore: number;
  notAfter?: string;
  /** Let activities hand throttled users back, to be sent by a later activity (reassign phase). */
  deferThrottled?: boolean;
  /** Ranges of earlier waves with users handed back: sent alongside this wave's own. */
  carry?: CarriedRange[];
  /** No wave follows: users still handed back at the end are sent by activities of their own, which wait. */
  last?: boolean;
  /** Plan batches per activity; absent in waves of runs before layout version 2: BATCHES_PER_ACTIVITY. */
  batchesPerActivity?: number;
}

export type StopReason = 'cancelled' | 'failureRate' | 'windowClosed';

export interface WaveResult {
  counts: BatchCounts;
  stopReason?: StopReason;
  /** Ranges with users still handed back, for the next wave to send. */
  carry?: CarriedRange[];
}

/** A run of consecutive waves of one phase: what they did, and how many of the plan's waves were reached. */
export type PhaseResult = WaveResult & { wavesRun: number };

/** What every wave of one phase of a run shares. */
export type PhaseSettings = Pick<
  WaveInput,
  | 'migrationId'
  | 'phase'
  | 'batchSize'
  | 'concurrency'
  | 'maxFailureRate'
  | 'notAfter'
  | 'deferThrottled'
  | 'batchesPerActivity'
>;

/** Where a sequence of waves starts: totals before it (the failure budget spans the run) and ranges handed on. */
export interface WaveSequenceStart {
  attemptedBefore: number;
  failedBefore: number;
  carry?: CarriedRange[];
  /** The sequence ends the phase: its last wave is the phase's last. */
  last: boolean;
}

export interface WaveGroupInput {
  settings: PhaseSettings;
  waves: WaveRef[];
  start: WaveSequenceStart;
}

/** A wave group's custom status: the counts of its finished children, and the child running now. */
export interface WaveGroupStatus {
  counts: BatchCounts;
  currentWave?: number;
  /** Instance id of the nested group running now (phases with more than WAVES_PER_GROUP² waves). */
  currentGroup?: string;
}

/** The two steps of every group move: add the target, then (once it is held) remove the source. */
export type GroupStep = 'addTarget' | 'removeSource';

export interface GroupStepInput {
  migrationId: string;
  unit: number;
  step: GroupStep;
  /** Slice of the unit's users (GROUP_CHUNK_SIZE each); a product change writes the group once, in chunk 0. */
  chunk: number;
}

export interface GroupCheckInput {
  migrationId: string;
  unit: number;
  step: GroupStep;
  /** The wait is over (deadline or cancel): users still open are recorded as not finished, with this reason. */
  giveUp?: string;
}

/** Where one group unit stands, from its stored record and (for checks) what Graph shows now. */
export interface GroupUnitStatus {
  unit: number;
  step: GroupStep;
  /** Users of the unit. */
  total: number;
  /** Users that reached the step's goal (hold the target; or, after the second step, are done). */
  reached: number;
  /** Users still waiting for group processing. */
  pending: number;
  /** Users whose target is in CountViolation: they wait for seats. */
  waitingForSeats: number;
  /** Final results so far. */
  moved: number;
  failed: number;
  /** Users left as they were or half-way, with a reason (the group kept both products, a cancel, a deadline). */
  notFinished: number;
  /** The group's licenseProcessingState (product changes), when read. */
  processing?: string;
  /** Nothing more will change by waiting. */
  settled: boolean;
  /** The run was cancelled: nothing was written. */
  cancelled: boolean;
}

export interface WaitingFor {
  reason: string;
  reasons: string[];
  since: string;
  nextCheckAt?: string;
  deadline?: string;
}

/** The orchestrator's custom status: small (well under the 16 KB limit) and enough for the status API. */
export interface MigrationCustomStatus {
  status: MigrationStatus;
  stage: string;
  counts: MigrationCounts & { toChange: number };
  stageStartedAt: string;
  waitingFor?: WaitingFor;
  message?: string;
  /** Progress of the wave running now, merged by the status API for finer progress. */
  currentWave?: number;
  /** Instance id of the wave group running now (WaveGroupStatus), when the phase runs its waves in groups. */
  currentGroup?: string;
  waves?: number;
}

export interface MigrationOutput {
  status: MigrationStatus;
  counts: MigrationCounts & { toChange: number };
  message?: string;
  /** Users who still need a move after this run (its `maxUsers` cap, a closed window, a cancel). */
  remaining: number;
}

/** A stage change, recorded for monitoring. */
export interface StageRecord {
  migrationId: string;
  status: MigrationStatus;
  stage: string;
}

export interface FinalizeInput {
  migrationId: string;
  status: MigrationStatus;
  message?: string;
  counts: MigrationCounts & { toChange: number };
}

export interface NotifyInput {
  migrationId: string;
  event: NotifyEvent;
  /** Idempotency key within the run (`notificationKey`): a key already used is never sent again. */
  key: string;
  status: MigrationStatus;
  counts: MigrationCounts & { toChange: number };
  message?: string;
  /** Why the run waits ("need 25, 5 free: buy 20 more …"), for waitingForLicenses. */
  reason?: string;
}

export interface NotifyResult {
  delivered: number;
  failed: number;
  /** Targets this event was already handled for (a replay, a retried activity, a restart). */
  alreadyHandled: number;
}

export function emptyBatchCounts(): BatchCounts {
  return { moved: 0, failed: 0, skipped: 0, notAttempted: 0, throttled: 0, cancelled: false };
}

export function addBatchCounts(a: BatchCounts, b: BatchCounts): BatchCounts {
  return {
    moved: a.moved + b.moved,
    failed: a.failed + b.failed,
    skipped: a.skipped + b.skipped,
    notAttempted: a.notAttempted + b.notAttempted,
    throttled: a.throttled + b.throttled,
    cancelled: a.cancelled || b.cancelled,
  };
}

/** Smallest sample before the failure rate can stop a run: one bad user in the first batch must not. */
export const MIN_FAILURE_SAMPLE = 20;

export function failureBudgetExceeded(attempted: number, failed: number, maxFailureRate: number): boolean {
  if (attempted < MIN_FAILURE_SAMPLE) return false;
  return failed / attempted > maxFailureRate;
}

/** Next poll delay while waiting for licenses: doubles from the poll interval, capped at one hour. */
export const MAX_POLL_INTERVAL_MS = 60 * 60 * 1000;

export function nextPollDelayMs(pollIntervalMs: number, attempt: number): number {
  const grown = pollIntervalMs * 2 ** Math.min(attempt, 20);
  return Math.min(Math.max(pollIntervalMs, grown), Math.max(pollIntervalMs, MAX_POLL_INTERVAL_MS));
}

/** Splits a plan's batches into waves of at most `batchesPerWave` batches. */
export function splitIntoWaves(batchSizes: number[], batchesPerWave = BATCHES_PER_WAVE): WaveRef[] {
  const waves: WaveRef[] = [];
  for (let first = 0; first < batchSizes.length; first += batchesPerWave) {
    const sizes = batchSizes.slice(first, first + batchesPerWave);
    waves.push({
      wave: waves.length,
      firstBatch: first,
      batchCount: sizes.length,
      users: sizes.reduce((sum, size) => sum + size, 0),
    });
  }
  return waves;
}

export function waveInstanceId(migrationId: string, phase: Phase, wave: number): string {
  return `${migrationId}:${phase}:${wave}`;
}

export function waveGroupInstanceId(migrationId: string, phase: Phase, waves: readonly WaveRef[]): string {
  return `${migrationId}:${phase}:${waves[0]?.wave ?? 0}-${waves.at(-1)?.wave ?? 0}`;
}

/**
 * The children of a sequence of waves: each wave on its own when there are at most WAVES_PER_GROUP, else groups of
 * WAVES_PER_GROUP^d consecutive waves, d the smallest that leaves at most WAVES_PER_GROUP groups.
 */
export function waveGroupsOf(waves: readonly WaveRef[]): WaveRef[][] {
  let span = 1;
  while (Math.ceil(waves.length / span) > WAVES_PER_GROUP) span *= WAVES_PER_GROUP;
  const groups: WaveRef[][] = [];
  for (let first = 0; first < waves.length; first += span) groups.push(waves.slice(first, first + span));
  return groups;
}

/** The approval event's payload, read defensively: anything but an explicit approval counts as a rejection. */
export function toApprovalDecision(payload: unknown): ApprovalDecision {
  if (typeof payload !== 'object' || payload === null) return { approved: false };
  const { approved, by, reason } = payload as Record<string, unknown>;
  const decision: ApprovalDecision = { approved: approved === true };
  if (typeof by === 'string') decision.by = by;
  if (typeof reason === 'string') decision.reason = reason;
  return decision;
}
