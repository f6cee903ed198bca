/**
 * The group stage (docs/group-moves.md), between the purchase check and the per-user reassignment: for every group
 * unit, add the target (a group's product, or users into a group) and wait until group licensing has given it to
 * each user; then remove the source and wait until that is seen. Nothing is removed from a user who does not hold the
 * target. A plan without group moves skips the stage without a single activity, so recorded histories replay as
 * before.
 */
import type { Task } from 'durable-functions';
import { formatDuration } from '../domain/duration';
import { cancelledInGroups, groupEndNotes, groupWaitReasons } from '../domain/group-messages';
import type { GroupUnitRef } from '../domain/group-plan';
import type { GroupStep, GroupUnitStatus } from '../domain/workflow';
import { activityTask, callActivity, whenAll } from './calls';
import type { Plan } from './plan-stage';
import type { MigrationRun, RunEnd } from './run';
import type { GroupWait } from './group-wait';

export interface GroupStageResult {
  /** How the run ends when the stage was cancelled. */
  end?: RunEnd;
  /** Notes for the run's final message. */
  notes: string[];
}

export function* groupStage(
  run: MigrationRun,
  plan: Plan,
  wait: GroupWait,
): Generator<Task, GroupStageResult, unknown> {
  const units = plan.groups ?? [];
  if (units.length === 0) return { notes: [] };
  yield* run.enterStage('processingGroups', 'groups');
  const statuses = new Map<number, GroupUnitStatus>();
  for (const step of ['addTarget', 'removeSource'] as const) {
    const wrote = yield* writeStep(run, units, step, statuses);
    const waited = wrote === 'cancelled' ? 'cancelled' : yield* waitStep(run, units, step, wait, statuses);
    if (waited === 'cancelled') return { end: cancelledEnd(run, plan, statuses), notes: [] };
  }
  tally(run, [...statuses.values()]);
  return { notes: groupEndNotes(units, [...statuses.values()]) };
}

/** The writes of one step, unit by unit and slice by slice (one unit's slices never run at once). */
function* writeStep(
  run: MigrationRun,
  units: readonly GroupUnitRef[],
  step: GroupStep,
  statuses: Map<number, GroupUnitStatus>,
): Generator<Task, 'written' | 'cancelled', unknown> {
  for (const unit of units) {
    const chunks = unit.kind === 'product' ? 1 : unit.chunks;
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      const input = { migrationId: run.migrationId, unit: unit.unit, step, chunk };
      const status = yield* callActivity(run.context, 'groupStep', input);
      if (status.cancelled) return 'cancelled';
      statuses.set(unit.unit, status);
    }
  }
  return 'written';
}

/** Checks every unit until nothing more will change, waiting between checks; at the deadline, gives up on the rest. */
function* waitStep(
  run: MigrationRun,
  units: readonly GroupUnitRef[],
  step: GroupStep,
  wait: GroupWait,
  statuses: Map<number, GroupUnitStatus>,
): Generator<Task, 'settled' | 'cancelled' | 'timedOut', unknown> {
  wait.start();
  let open = [...units];
  for (;;) {
    const checks = open.map((unit) =>
      activityTask(run.context, 'checkGroupStep', { migrationId: run.migrationId, unit: unit.unit, step }),
    );
    for (const status of yield* whenAll(run.context, checks)) statuses.set(status.unit, status);
    open = open.filter((unit) => !statuses.get(unit.unit)?.settled);
    if (open.length === 0) return 'settled';
    const current = units.flatMap((unit) => statuses.get(unit.unit) ?? []);
    const waited = yield* wait.beforeRetry(groupWaitReasons(units, current));
    if (waited === 'cancelled') return 'cancelled';
    if (waited === 'timedOut') {
      const giveUp = `group licensing had not finished after ${formatDuration(wait.waitedMs())}`;
      const finals = open.map((unit) =>
        activityTask(run.context, 'checkGroupStep', { migrationId: run.migrationId, unit: unit.unit, step, giveUp }),
      );
      for (const status of yield* whenAll(run.context, finals)) statuses.set(status.unit, status);
      return 'timedOut';
    }
    run.publish({ status: 'processingGroups', waitingFor: undefined });
  }
}

/** Adds the group users' outcomes to the run's counts. */
function tally(run: MigrationRun, statuses: readonly GroupUnitStatus[]): void {
  const { counts } = run;
  for (const status of statuses) {
    const open = status.total - status.moved - status.failed - status.notFinished;
    counts.moved += status.moved;
    counts.failed += status.failed;
    counts.skipped += status.notFinished + open;
    counts.done += status.total;
  }
  run.publish({});
}

function cancelledEnd(run: MigrationRun, plan: Plan, statuses: Map<number, GroupUnitStatus>): RunEnd {
  const all = [...statuses.values()];
  const moved = all.reduce((sum, status) => sum + status.moved, 0);
  tally(run, all);
  const groupUsers = (plan.groups ?? []).reduce((sum, unit) => sum + unit.users, 0);
  const open = groupUsers - all.reduce((sum, status) => sum + status.moved + status.failed, 0);
  const direct = plan.summary.toChange - groupUsers;
  return { status: 'cancelled', message: cancelledInGroups(moved, open), remaining: plan.remaining + direct + open };
}
