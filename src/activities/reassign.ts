/**
 * Stage 4 for a few plan batches: re-read the users, send one atomic `assignLicense` per user who still needs it (one
 * `$batch` per plan batch, back to back), and record each user's before and after.
 *
 * At most one write per user per run: each user is marked `attempted` in storage before the write goes out, so a
 * retried activity knows which writes may have landed. For those it reads the user back, allowing for replication
 * lag, and sends again only what did not land (and says so in the report). Users with a final result are not
 * touched again.
 */
import { changedSince, pendingChange } from '../domain/apply';
import type { AssignedLicense, PlannedUser, UserLicenseSnapshot } from '../domain/types';
import { addBatchCounts, emptyBatchCounts, type BatchCounts, type BatchInput } from '../domain/workflow';
import type { AssignLicenseItem, AssignLicenseResult } from '../graph';
import type { UserRecord } from '../storage/migration-documents';
import { errorMessage } from '../domain/values';
import { inParallel } from '../util/parallel';
import {
  failedPlain,
  failedResult,
  graphErrorInfo,
  loadRange,
  readUntilSettled,
  readUsers,
  recordsOf,
  type PlanBatch,
  type RangeContext,
} from './batch-range';
import { reportBatch } from './batch-telemetry';
import type { ActivityDeps } from './deps';

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
  const release = deps.graph.holdBudgetShare(input.budgetShare);
  try {
    return await reassignRange(deps, input);
  } finally {
    release();
  }
}

async function reassignRange(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const range = await loadRange(deps, input);
  if ((await range.docs.control())?.cancelRequested) return cancelledCounts(range);
  const earlier = new Map((await recordsOf(range)).flatMap((r) => r.users).map((u) => [key(u.userId), u]));
  const open = range.batches.flatMap((b) => b.users).filter((user) => !isFinal(earlier.get(key(user.userId))));
  const current = await readCurrent(deps, open, earlier);
  const started = deps.clock.now();
  const prepared = await Promise.all(range.batches.map((b) => prepareBatch(deps, b, current, earlier)));
  await saveRecords(range, prepared);
  const items = prepared.flatMap((batch) => batch.items);
  const cancel = watchForCancel(deps, range);
  let results: AssignLicenseResult[];
  try {
    const options = { budgetShare: 'held' as const, batchSize: input.batchSize, signal: cancel.signal };
    results = items.length > 0 ? await deps.graph.assignLicenses(items, options) : [];
  } finally {
    cancel.stop();
  }
  const outcomes = await withAtomicFallback(deps, input, range, results);
  await recoverFromStaleReads(deps, input, range, outcomes);
  const durationMs = deps.clock.now() - started;
  let total = emptyBatchCounts();
  total.cancelled = cancel.signal.aborted;
  for (const batch of prepared) {
    const counts = recordOutcomes(batch, outcomes);
    const batchResults = batch.items.flatMap((item) => outcomes.get(key(item.userId))?.results ?? []);
    reportBatch(deps, input, batch.planBatch, batch.records.values(), counts, durationMs, batchResults);
    total = addBatchCounts(total, counts);
  }
  await saveRecords(range, prepared);
  return total;
}

/** How often a running batch looks for a cancel: one small read, so a cancel stops writes within seconds. */
const CANCEL_POLL_MS = 2_000;

/**
 * Aborts the writes still to send when the run is cancelled meanwhile. A real-time heartbeat, like a request timeout:
 * it paces storage reads, it does not measure business time.
 */
function watchForCancel(deps: ActivityDeps, range: RangeContext): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
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
 * out, so a stale read never makes the run write twice.
 */
async function readCurrent(
  deps: ActivityDeps,
  open: PlannedUser[],
  earlier: Map<string, UserRecord>,
): Promise<Map<string, UserLicenseSnapshot>> {
  const users = await readUsers(
    deps,
    open.map((user) => user.userId),
  );
  const attempted = open.filter((user) => earlier.get(key(user.userId))?.attempted);
  if (attempted.length === 0) return users;
  const planned = new Map(attempted.map((user) => [key(user.userId), user]));
  const landed = (id: string, user: UserLicenseSnapshot | undefined): boolean => {
    const plan = planned.get(key(id));
    return user === undefined || plan === undefined || pendingChange(plan, user, 'add').kind === 'alreadyDone';
  };
  const ids = attempted.map((user) => user.userId);
  return (await readUntilSettled(deps, ids, landed, users)).users;
}

/** Works out each user's pending change from their current state (setting usage locations on the way). */
async function prepareBatch(
  deps: ActivityDeps,
  planBatch: PlanBatch,
  current: Map<string, UserLicenseSnapshot>,
  earlier: Map<string, UserRecord>,
): Promise<PreparedBatch> {
  const records = new Map<string, UserRecord>();
  const items: AssignLicenseItem[] = [];
  for (const user of planBatch.users) {
    const previous = earlier.get(key(user.userId));
    if (isFinal(previous)) {
      records.set(user.userId, previous);
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
  results: AssignLicenseResult[],
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>(
    results.map((result) => [key(result.userId), { result, results: [result] }]),
  );
  if (range.strategy !== 'overlap') return outcomes;
  const planned = new Map(range.batches.flatMap((b) => b.users).map((user) => [key(user.userId), user]));
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
  range: RangeContext,
  outcomes: Map<string, Outcome>,
): Promise<void> {
  const stale = [...outcomes.values()]
    .filter(
      (outcome) => !outcome.result.ok && /does not have a corresponding license/i.test(outcome.result.error.message),
    )
    .map((outcome) => outcome.result.userId);
  if (stale.length === 0) return;
  const planned = new Map(range.batches.flatMap((b) => b.users).map((user) => [key(user.userId), user]));
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

function recordOutcomes(batch: PreparedBatch, outcomes: Map<string, Outcome>): BatchCounts {
  const counts = emptyBatchCounts();
  for (const record of batch.records.values()) {
    const outcome = outcomes.get(key(record.userId));
    if (outcome) {
      const { result } = outcome;
      counts.throttled += outcome.results.reduce((sum, r) => sum + r.throttled, 0);
      const resent = record.result.kind === 'notAttempted' && record.result.reason === 'resent';
      const note = resent ? NOTES.resent : outcome.note;
      if (outcome.alreadyThere)
        record.result = { kind: 'skipped', reason: NOTES.alreadyThere, after: outcome.alreadyThere };
      else if (result.ok)
        record.result = note ? { kind: 'moved', after: result.after, note } : { kind: 'moved', after: result.after };
      else if (result.error.code === 'Cancelled' && result.attempts === 0)
        record.result = {
          kind: 'notAttempted',
          reason: 'not changed: the run was cancelled before this user was sent',
        };
      else record.result = failedResult(result.error);
    }
    if (record.result.kind === 'moved') counts.moved += 1;
    else if (record.result.kind === 'failed') counts.failed += 1;
    else if (record.result.kind === 'notAttempted') counts.notAttempted += 1;
    else counts.skipped += 1;
  }
  return counts;
}

async function saveRecords(range: RangeContext, prepared: PreparedBatch[]): Promise<void> {
  await inParallel(
    prepared.map(
      (batch) => () => range.docs.saveBatch({ batch: batch.planBatch.batch, users: [...batch.records.values()] }),
    ),
    8,
  );
}
