/**
 * Stage 4 for a few plan batches: re-read the users, send one atomic `assignLicense` per user who still needs it (one
 * `$batch` per plan batch), and record each user's before and after.
 *
 * Each plan batch goes through on its own (read, record, write, record), so a read or write Graph throttles holds up
 * only its own batch. With `deferThrottled` a throttled user is not waited for at all: it is handed back (recorded as
 * not attempted yet) and a later activity of the wave sends it (`carried`), while this one finishes the others.
 *
 * At most one write per user per run: each user is marked `attempted` in storage before the write goes out, so a
 * retried activity knows which writes may have landed. For those it reads the user back, allowing for replication
 * lag, and sends again only what did not land (and says so in the report). Users with a final result are not
 * touched again.
 */
import { setMaxListeners } from 'node:events';
import { changedSince, pendingChange } from '../domain/apply';
import type { AssignedLicense, PlannedUser, UserLicenseSnapshot } from '../domain/types';
import {
  addBatchCounts,
  emptyBatchCounts,
  type BatchCounts,
  type BatchInput,
  type RangeState,
} from '../domain/workflow';
import { DEFERRED_CODE, type AssignLicenseItem, type AssignLicenseResult } from '../graph';
import type { UserRecord } from '../storage/migration-documents';
import { ProgressDocuments, reassignProgressName } from '../storage/progress-documents';
import { errorMessage } from '../domain/values';
import {
  failedPlain,
  failedResult,
  graphErrorInfo,
  loadRange,
  readUntilSettled,
  recordsOf,
  type PlanBatch,
  type RangeContext,
} from './batch-range';
import { reportBatch } from './batch-telemetry';
import { ledgerFor, type LedgerHold } from '../ledger';
import type { ActivityDeps } from './deps';
import { ProgressPublisher } from './progress';

const key = (id: string): string => id.toLowerCase();

const NOTES = {
  landed:
    "the first attempt's answer was lost; reading the user back showed it had been applied, so nothing was sent again",
  resent:
    "the first attempt's answer was lost and reading the user back showed it had not been applied, so it was sent again",
  alreadyThere:
    'already held what the plan asked for when its batch ran (changed since the plan was made); nothing was sent',
  staleRead:
    "the first write was built from a directory read that lagged behind the user's real licenses, and Graph refused it; the user was read again and sent what was still pending",
  atomic:
    'Graph refused holding both licenses at once (mutually exclusive service plans), so the source was removed in the same call that added the target',
} as const;

/** A user handed back after a 429: nothing was written, a later activity of the wave sends it. */
export const DEFERRED_REASON =
  'not changed: Graph asked to wait (throttled), so the user was handed to a later batch of this run, which had not sent it when this was recorded';

/** What one activity works on: the run's deps (with its Graph bound to the run) and what it reports as it goes. */
interface Work {
  deps: ActivityDeps;
  input: BatchInput;
  signal: AbortSignal;
  progress: ProgressPublisher;
  hold: LedgerHold;
}

interface PreparedBatch {
  planBatch: PlanBatch;
  records: Map<string, UserRecord>;
  items: AssignLicenseItem[];
}

/** A result the run keeps: a user who got one is never written to again by this run. */
function isFinal(record: UserRecord | undefined): record is UserRecord {
  return record !== undefined && record.result.kind !== 'notAttempted';
}

export async function reassignBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  // Every request of this activity is the run's: the tenant's gates serve runs in turn.
  const graph = deps.graph.forRun?.(input.migrationId) ?? deps.graph;
  // Its share of the tenant's budget comes from the tenant ledger: its weight over every live activity's, on any
  // instance, so the budget stays whole while some activities of a round are done and others still write.
  const hold = ledgerFor(deps).hold(input.migrationId, input.budgetShare);
  const release = graph.holdBudgetShare(() => hold.share());
  try {
    return await reassignRanges({ ...deps, graph }, input, hold);
  } finally {
    release();
    hold.release();
  }
}

async function reassignRanges(deps: ActivityDeps, input: BatchInput, hold: LedgerHold): Promise<BatchCounts> {
  const own = await loadRange(deps, input);
  if ((await own.docs.control())?.cancelRequested) return cancelledCounts(own);
  const carried = await Promise.all((input.carried ?? []).map((range) => loadRange(deps, { ...input, ...range })));
  const progress = new ProgressPublisher(
    new ProgressDocuments(deps.store, input.migrationId),
    reassignProgressName(input.batch, input.batchCount),
    deps.clock,
    deps.log,
  );
  const cancel = watchForCancel(deps, own);
  let states: BatchCounts[];
  try {
    const work: Work = { deps, input, signal: cancel.signal, progress, hold };
    states = await Promise.all([own, ...carried].map((range) => reassignRange(work, range)));
  } finally {
    cancel.stop();
    await progress.flush();
  }
  const [counts = emptyBatchCounts(), ...carriedStates] = states;
  counts.cancelled = cancel.signal.aborted;
  if (carriedStates.length > 0) counts.carried = carriedStates.map(rangeState);
  return counts;
}

function rangeState(counts: BatchCounts): RangeState {
  return { moved: counts.moved, failed: counts.failed, skipped: counts.skipped, deferred: counts.deferred ?? 0 };
}

/** Every plan batch of a range, each on its own; the counts are where the whole range stands afterwards. */
async function reassignRange(work: Work, range: RangeContext): Promise<BatchCounts> {
  const earlier = new Map((await recordsOf(range)).flatMap((r) => r.users).map((u) => [key(u.userId), u]));
  const counts = await Promise.all(
    range.batches.map((planBatch) => reassignPlanBatch(work, range, planBatch, earlier)),
  );
  return counts.reduce((total, batch) => {
    const sum = addBatchCounts(total, batch);
    const deferred = (total.deferred ?? 0) + (batch.deferred ?? 0);
    if (deferred > 0) sum.deferred = deferred;
    return sum;
  }, emptyBatchCounts());
}

async function reassignPlanBatch(
  work: Work,
  range: RangeContext,
  planBatch: PlanBatch,
  earlier: Map<string, UserRecord>,
): Promise<BatchCounts> {
  const { deps, input } = work;
  const started = deps.clock.now();
  const open = planBatch.users.filter((user) => !isFinal(earlier.get(key(user.userId))));
  // A batch of a carried range with nobody left to send costs nothing: no read, no write, no record.
  if (open.length === 0)
    return recordOutcomes({ planBatch, records: recordsFor(planBatch, earlier), items: [] }, new Map());
  const { current, deferred } = await readCurrent(work, open, earlier);
  const prepared = await prepareBatch(deps, planBatch, current, earlier, deferred);
  await range.docs.saveBatch({ batch: planBatch.batch, users: [...prepared.records.values()] });
  const options = {
    budgetShare: 'held' as const,
    batchSize: input.batchSize,
    signal: work.signal,
    ...(input.deferThrottled ? { deferThrottled: true } : {}),
  };
  const results = prepared.items.length > 0 ? await deps.graph.assignLicenses(prepared.items, options) : [];
  const outcomes = await withAtomicFallback(deps, input, range, planBatch, results);
  await recoverFromStaleReads(deps, input, planBatch, outcomes);
  const counts = recordOutcomes(prepared, outcomes);
  recordSeatsTaken(work.hold, prepared, outcomes);
  const batchResults = prepared.items.flatMap((item) => outcomes.get(key(item.userId))?.results ?? []);
  const durationMs = deps.clock.now() - started;
  // Reported as its range's wave: a carried range's batches belong to an earlier wave than the activity's own.
  reportBatch(
    deps,
    { ...input, wave: range.wave },
    planBatch,
    prepared.records.values(),
    counts,
    durationMs,
    batchResults,
  );
  await range.docs.saveBatch({ batch: planBatch.batch, users: [...prepared.records.values()] });
  work.progress.add(newlyFinal(open, prepared.records));
  return counts;
}

function recordsFor(planBatch: PlanBatch, earlier: Map<string, UserRecord>): Map<string, UserRecord> {
  const records = new Map<string, UserRecord>();
  for (const user of planBatch.users) {
    const record = earlier.get(key(user.userId));
    if (record) records.set(user.userId, record);
  }
  return records;
}

/** Seats of the target SKUs the writes took, so the run's seat reservation shrinks as it goes. */
function recordSeatsTaken(hold: LedgerHold, prepared: PreparedBatch, outcomes: Map<string, Outcome>): void {
  const taken = new Map<string, number>();
  for (const item of prepared.items) {
    if (!outcomes.get(key(item.userId))?.result.ok) continue;
    for (const license of item.addLicenses) taken.set(license.skuId, (taken.get(license.skuId) ?? 0) + 1);
  }
  for (const [skuId, seats] of taken) hold.consumed(skuId, seats);
}

/** Users of `open` (not final when the activity began) that have a final result now. */
function newlyFinal(open: PlannedUser[], records: Map<string, UserRecord>) {
  const delta = { moved: 0, failed: 0, skipped: 0 };
  for (const user of open) {
    const kind = records.get(user.userId)?.result.kind;
    if (kind === 'moved' || kind === 'failed' || kind === 'skipped') delta[kind] += 1;
  }
  return delta;
}

/** How often a running batch looks for a cancel: one small read, so a cancel stops writes within seconds. */
const CANCEL_POLL_MS = 2_000;

/**
 * Aborts the writes still to send when the run is cancelled meanwhile. A real-time heartbeat, like a request timeout:
 * it paces storage reads, it does not measure business time.
 */
function watchForCancel(deps: ActivityDeps, range: RangeContext): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  // Every plan batch's requests wait on it at the tenant's gates at once: many listeners are expected, not a leak.
  setMaxListeners(200, controller.signal);
  let checking = false;
  const check = (): void => {
    if (checking || controller.signal.aborted) return;
    checking = true;
    range.docs
      .control()
      .then((control) => {
        if (control?.cancelRequested) controller.abort();
      })
      .catch((error: unknown) => deps.log.warn('Could not check for a cancel', { error: errorMessage(error) }))
      .finally(() => (checking = false));
  };
  const timer = setInterval(check, CANCEL_POLL_MS);
  timer.unref();
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}

function cancelledCounts(range: RangeContext): BatchCounts {
  const counts = emptyBatchCounts();
  counts.notAttempted = range.batches.reduce((n, b) => n + b.users.length, 0);
  counts.cancelled = true;
  return counts;
}

/**
 * The users' state now. Users an earlier attempt wrote to are re-read until they show the change or the waits run
 * out, so a stale read never makes the run write twice. Users whose read Graph throttled are handed back when the
 * activity may do so (`deferred`).
 */
async function readCurrent(
  work: Work,
  open: PlannedUser[],
  earlier: Map<string, UserRecord>,
): Promise<{ current: Map<string, UserLicenseSnapshot>; deferred: Set<string> }> {
  const { deps, input } = work;
  const ids = open.map((user) => user.userId);
  const read =
    ids.length > 0 ? await deps.graph.getUsersDirect(ids, { deferThrottled: input.deferThrottled }) : undefined;
  const current = new Map((read?.found ?? []).map((user) => [key(user.id), user]));
  const deferred = new Set((read?.deferred ?? []).map(key));
  const attempted = open.filter((user) => earlier.get(key(user.userId))?.attempted && !deferred.has(key(user.userId)));
  if (attempted.length === 0) return { current, deferred };
  const planned = new Map(attempted.map((user) => [key(user.userId), user]));
  const landed = (id: string, user: UserLicenseSnapshot | undefined): boolean => {
    const plan = planned.get(key(id));
    return user === undefined || plan === undefined || pendingChange(plan, user, 'add').kind === 'alreadyDone';
  };
  const settledIds = attempted.map((user) => user.userId);
  return { current: (await readUntilSettled(deps, settledIds, landed, current)).users, deferred };
}

/** Works out each user's pending change from their current state (setting usage locations on the way). */
async function prepareBatch(
  deps: ActivityDeps,
  planBatch: PlanBatch,
  current: Map<string, UserLicenseSnapshot>,
  earlier: Map<string, UserRecord>,
  deferred: Set<string>,
): Promise<PreparedBatch> {
  const records = new Map<string, UserRecord>();
  const items: AssignLicenseItem[] = [];
  for (const user of planBatch.users) {
    const previous = earlier.get(key(user.userId));
    if (isFinal(previous)) {
      records.set(user.userId, previous);
      continue;
    }
    if (deferred.has(key(user.userId))) {
      records.set(user.userId, deferredRecord(user, previous));
      continue;
    }
    const now = current.get(key(user.userId));
    const record = await prepareUser(deps, user, now, previous);
    records.set(user.userId, record);
    if (record.attempted && now) {
      const change = pendingChange(user, now, 'add');
      if (change.kind === 'assign') items.push({ userId: user.userId, ...pick(change) });
    }
  }
  return { planBatch, records, items };
}

/** A user handed back before anything was sent this time; an earlier attempt's mark (outcome unknown) is kept. */
function deferredRecord(user: PlannedUser, previous: UserRecord | undefined): UserRecord {
  const record: UserRecord = {
    userId: user.userId,
    before: previous?.before ?? user.before,
    result: { kind: 'notAttempted', reason: DEFERRED_REASON },
  };
  if (previous?.attempted) record.attempted = true;
  return record;
}

function pick(change: { addLicenses: AssignLicenseItem['addLicenses']; removeLicenses: string[] }) {
  return { addLicenses: change.addLicenses, removeLicenses: change.removeLicenses };
}

/** One user's record before the write: final when there is nothing to send, `attempted` when a write will go out. */
async function prepareUser(
  deps: ActivityDeps,
  user: PlannedUser,
  now: UserLicenseSnapshot | undefined,
  previous: UserRecord | undefined,
): Promise<UserRecord> {
  const before = previous?.before ?? now?.assignedLicenses ?? user.before;
  if (!now) return { userId: user.userId, before, result: failedPlain('the user no longer exists in this tenant') };
  if (pendingChange(user, now, 'add').kind === 'alreadyDone') {
    // An earlier attempt of this batch did it, or (never attempted) someone else did after the plan was made.
    const after = now.assignedLicenses;
    if (previous?.attempted)
      return { userId: user.userId, before, result: { kind: 'moved', after, note: NOTES.landed } };
    return { userId: user.userId, before, result: { kind: 'skipped', reason: NOTES.alreadyThere, after } };
  }
  const changed = changedSince(user, now);
  if (changed)
    return { userId: user.userId, before, result: { kind: 'skipped', reason: changed, after: now.assignedLicenses } };
  if (user.decision.kind === 'change' && user.decision.setUsageLocation && !now.usageLocation) {
    try {
      await deps.graph.setUsageLocation(user.userId, user.decision.setUsageLocation);
    } catch (error) {
      return { userId: user.userId, before, result: failedResult(graphErrorInfo(error)) };
    }
  }
  const reason = previous?.attempted ? 'resent' : 'pending';
  return { userId: user.userId, before, result: { kind: 'notAttempted', reason }, attempted: true };
}

interface Outcome {
  result: AssignLicenseResult;
  /** Every call made for the user (the first, and the atomic fallback), for telemetry. */
  results: AssignLicenseResult[];
  note?: string;
  /** Re-read after a refusal, the user already held what the plan asks for. */
  alreadyThere?: AssignedLicense[];
}

/**
 * Overlap adds the target first; a pair of service plans that Graph refuses to have on one user (and the plan's
 * table did not know) makes that fail. The documented way out is to swap in one call, which never leaves the user
 * without the service: those users get one atomic `assignLicense` instead.
 */
async function withAtomicFallback(
  deps: ActivityDeps,
  input: BatchInput,
  range: RangeContext,
  planBatch: PlanBatch,
  results: AssignLicenseResult[],
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>(
    results.map((result) => [key(result.userId), { result, results: [result] }]),
  );
  if (range.strategy !== 'overlap') return outcomes;
  const planned = new Map(planBatch.users.map((user) => [key(user.userId), user]));
  const retry: AssignLicenseItem[] = [];
  for (const result of results) {
    const decision = planned.get(key(result.userId))?.decision;
    if (result.ok || decision?.kind !== 'change' || decision.removeLater.length === 0) continue;
    if (!/mutually exclusive/i.test(result.error.message)) continue;
    retry.push({
      userId: result.userId,
      addLicenses: decision.addLater ?? decision.add,
      removeLicenses: decision.removeLater,
    });
  }
  if (retry.length === 0) return outcomes;
  const again = await deps.graph.assignLicenses(retry, { budgetShare: 'held', batchSize: input.batchSize });
  for (const result of again) {
    const first = outcomes.get(key(result.userId));
    outcomes.set(key(result.userId), { result, results: [...(first?.results ?? []), result], note: NOTES.atomic });
  }
  return outcomes;
}

/**
 * Entra ID is eventually consistent: the read a write was built from may lag behind the user's real state (changed
 * meanwhile by someone else). Graph then refuses to remove a license the user no longer holds, and nothing changed.
 * Those users are read again (allowing for lag) and get what is still pending, or nothing if they are already there.
 */
async function recoverFromStaleReads(
  deps: ActivityDeps,
  input: BatchInput,
  planBatch: PlanBatch,
  outcomes: Map<string, Outcome>,
): Promise<void> {
  const stale = [...outcomes.values()]
    .filter(
      (outcome) => !outcome.result.ok && /does not have a corresponding license/i.test(outcome.result.error.message),
    )
    .map((outcome) => outcome.result.userId);
  if (stale.length === 0) return;
  const planned = new Map(planBatch.users.map((user) => [key(user.userId), user]));
  const done = (id: string, user: UserLicenseSnapshot | undefined): boolean => {
    const plan = planned.get(key(id));
    return user === undefined || plan === undefined || pendingChange(plan, user, 'add').kind === 'alreadyDone';
  };
  const { users } = await readUntilSettled(deps, stale, done);
  const retry: AssignLicenseItem[] = [];
  for (const id of stale) {
    const user = users.get(key(id));
    const plan = planned.get(key(id));
    const outcome = outcomes.get(key(id));
    if (!user || !plan || !outcome) continue;
    const change = pendingChange(plan, user, 'add');
    if (change.kind === 'alreadyDone') outcome.alreadyThere = user.assignedLicenses;
    else retry.push({ userId: id, addLicenses: change.addLicenses, removeLicenses: change.removeLicenses });
  }
  if (retry.length === 0) return;
  const again = await deps.graph.assignLicenses(retry, { budgetShare: 'held', batchSize: input.batchSize });
  for (const result of again) {
    const first = outcomes.get(key(result.userId));
    outcomes.set(key(result.userId), { result, results: [...(first?.results ?? []), result], note: NOTES.staleRead });
  }
}

/** Each user's result from what Graph answered; the counts are where the plan batch stands now. */
function recordOutcomes(batch: PreparedBatch, outcomes: Map<string, Outcome>): BatchCounts {
  const counts = emptyBatchCounts();
  let deferred = 0;
  for (const record of batch.records.values()) {
    const outcome = outcomes.get(key(record.userId));
    if (outcome) {
      counts.throttled += outcome.results.reduce((sum, r) => sum + r.throttled, 0);
      applyResult(record, outcome);
    }
    if (record.result.kind === 'moved') counts.moved += 1;
    else if (record.result.kind === 'failed') counts.failed += 1;
    else if (record.result.kind === 'skipped') counts.skipped += 1;
    else if (record.result.reason === DEFERRED_REASON) deferred += 1;
    else counts.notAttempted += 1;
  }
  if (deferred > 0) counts.deferred = deferred;
  return counts;
}

function applyResult(record: UserRecord, outcome: Outcome): void {
  const { result } = outcome;
  const resent = record.result.kind === 'notAttempted' && record.result.reason === 'resent';
  const note = resent ? NOTES.resent : outcome.note;
  if (outcome.alreadyThere) {
    record.result = { kind: 'skipped', reason: NOTES.alreadyThere, after: outcome.alreadyThere };
  } else if (result.ok) {
    record.result = note ? { kind: 'moved', after: result.after, note } : { kind: 'moved', after: result.after };
  } else if (result.error.code === DEFERRED_CODE) {
    // Graph answered 429, so this attempt wrote nothing; a later batch of the run sends it.
    record.result = { kind: 'notAttempted', reason: DEFERRED_REASON };
    if (!resent) delete record.attempted;
  } else if (result.error.code === 'Cancelled' && result.attempts === 0) {
    record.result = { kind: 'notAttempted', reason: 'not changed: the run was cancelled before this user was sent' };
  } else {
    record.result = failedResult(result.error);
  }
}
