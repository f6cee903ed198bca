/**
 * `planRollback`: the plan of a rollback run, from the original run's records instead of a request's moves. Every
 * user the original wrote to (moved, or failed after its write went out) is read again directly, and every group it
 * changed, and each record is planned by its restorer (src/domain/rollback.ts, group-rollback.ts): restore the recorded
 * before-state, skip what is already back there, and leave alone ("changed since") what no longer holds the recorded
 * after-state, unless `force`. Group records become group units of their own (a group move, reversed) that the group
 * stage runs. The plan is stored like any other, so approval, the purchase check (seats of the old subscription),
 * the group stage, paced batches, verify and the report work unchanged.
 */
import { limitToUsers, restoreAll, rollbackMoves, type UserLicensesRecord } from '../domain/rollback';
import type { PlannedUser } from '../domain/types';
import type { PlanOutcome } from '../domain/workflow';
import { GraphRequestError } from '../graph';
import type { MigrationDocuments, UserRecord } from '../storage/migration-documents';
import { TelemetryEvents } from '../telemetry';
import { inParallel } from '../util/parallel';
import { documentsFor, type ActivityDeps } from './deps';
import { missingWritePermissions, storePlan } from './plan';
import { groupUnitRefs, groupUnitUsers, groupWriteChecks } from './plan-groups';
import { groupChangeRecords, readNow } from './rollback-groups';

export async function planRollback(deps: ActivityDeps, migrationId: string): Promise<PlanOutcome> {
  try {
    return await planRollbackOrRefuse(deps, migrationId);
  } catch (error) {
    if (error instanceof GraphRequestError && error.info.missingPermission) {
      return {
        ok: false,
        reason: `Planning the rollback needs the Microsoft Graph application permission ${error.info.missingPermission}, and the app's identity does not have it. Nobody was changed.`,
      };
    }
    throw error;
  }
}

async function planRollbackOrRefuse(deps: ActivityDeps, migrationId: string): Promise<PlanOutcome> {
  const docs = documentsFor(deps, migrationId);
  const stored = await docs.request();
  if (!stored?.rollback) return { ok: false, reason: `Migration ${migrationId} is not a rollback.` };
  const { of, force, users: only } = stored.rollback;
  const original = documentsFor(deps, of);
  const originalPlan = await original.plan();
  if (!originalPlan) return { ok: false, reason: `The original run ${of} has no plan, so it changed nobody.` };
  const all = [...(await changeRecords(original)), ...(await groupChangeRecords(original, originalPlan))];
  const records = only ? limitToUsers(all, only) : all;
  const [skus, now] = await Promise.all([deps.graph.listSubscribedSkus(), readNow(deps, records)]);
  const { planned, units, notes } = restoreAll(records, { force, skus, ...now });
  const groupUsers = groupUnitUsers(units, planned);
  const moves = rollbackMoves(originalPlan.summary.moves, planned);
  const { request } = stored;
  if (!request.dryRun) {
    const missing = await missingWritePermissions(deps.graph, planned, undefined, groupWriteChecks(units, groupUsers));
    if (missing) return { ok: false, reason: missing };
  }
  const { summary, waves } = await storePlan(deps, migrationId, request, {
    planned,
    moves,
    skus,
    remaining: 0,
    groups: units,
    groupUsers,
  });
  deps.telemetry.event(TelemetryEvents.MigrationStarted, {
    migrationId,
    origin: stored.origin,
    mode: 'rollback',
    strategy: 'atomic',
    moves: moves.length,
    rollbackOf: of,
    force,
    total: summary.total,
    toChange: summary.toChange,
    skipped: summary.skipped,
    blocked: summary.blocked,
    dryRun: request.dryRun,
  });
  deps.log.info('Planned rollback', { migrationId, rollbackOf: of, total: summary.total, toChange: summary.toChange });
  const refs = groupUnitRefs(units);
  return {
    ok: true,
    summary,
    waves,
    remaining: 0,
    ...(refs.length > 0 ? { groups: refs } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** The original's users whose licenses its batches (may have) changed, with what it recorded around the write. */
async function changeRecords(original: MigrationDocuments): Promise<UserLicensesRecord[]> {
  const plan = await original.plan();
  if (!plan) return [];
  const [batches, waves] = await Promise.all([
    original.batches(),
    inParallel(
      plan.waves.map((wave) => () => original.wave(wave.wave)),
      8,
    ),
  ]);
  const plannedById = new Map<string, PlannedUser>();
  for (const user of waves.flat(2)) plannedById.set(user.userId.toLowerCase(), user);
  const records: UserLicensesRecord[] = [];
  for (const user of batches.flatMap((batch) => batch.users)) {
    if (!wroteTo(user)) continue;
    const planned = plannedById.get(user.userId.toLowerCase());
    const record: UserLicensesRecord = {
      kind: 'userLicenses',
      userId: user.userId,
      userPrincipalName: planned?.userPrincipalName ?? user.userId,
      move: planned?.move ?? 0,
      before: user.before,
    };
    const after = user.result.kind === 'moved' || user.result.kind === 'failed' ? user.result.after : undefined;
    if (after !== undefined) record.after = after;
    records.push(record);
  }
  return records;
}

/** Moved users, and failed ones whose write went out (it may have landed without an answer). */
function wroteTo(user: UserRecord): boolean {
  if (user.result.kind === 'moved') return true;
  return user.result.kind === 'failed' && (user.attempted === true || user.result.after !== undefined);
}
