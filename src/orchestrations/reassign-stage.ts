/**
 * Stages 4–6: reassign in waves, verify what was changed, and (overlap) remove the sources. Verify and cleanup also
 * run after a stop, so the report is consistent with the tenant.
 */
import type { Task } from 'durable-functions';
import { RunMessages } from '../domain/messages';
import type { Plan } from './plan-stage';
import type { MigrationRun, RunEnd } from './run';
import type { PhaseResult } from '../domain/workflow';
import { runWaves } from './waves';

export function* reassignStage(run: MigrationRun, plan: Plan): Generator<Task, PhaseResult, unknown> {
  const { counts } = run;
  // Counts so far: skipped at planning, and users moved through groups before this stage.
  const before = { moved: counts.moved, failed: counts.failed, skipped: counts.skipped };
  yield* run.enterStage('reassigning', 'reassign');
  const reassigned = yield* runWaves(run, 'reassign', plan.waves);
  counts.moved = before.moved + reassigned.counts.moved;
  counts.failed = before.failed + reassigned.counts.failed;
  counts.skipped = before.skipped + reassigned.counts.skipped + reassigned.counts.notAttempted;
  counts.done = counts.moved + counts.failed + counts.skipped + counts.blocked;
  return reassigned;
}

/** Re-reads the changed users; users whose change did not hold count as failed. */
export function* verifyStage(run: MigrationRun, plan: Plan, reassigned: PhaseResult): Generator<Task, void, unknown> {
  yield* run.enterStage('verifying', 'verify');
  yield* settlePhase(run, 'verify', plan, reassigned);
}

export function* cleanupStage(run: MigrationRun, plan: Plan, reassigned: PhaseResult): Generator<Task, void, unknown> {
  if (run.options.strategy !== 'overlap') return;
  yield* run.enterStage('cleaningUp', 'cleanup');
  yield* settlePhase(run, 'cleanup', plan, reassigned);
}

function* settlePhase(
  run: MigrationRun,
  phase: 'verify' | 'cleanup',
  plan: Plan,
  reassigned: PhaseResult,
): Generator<Task, void, unknown> {
  const reached = plan.waves.slice(0, reassigned.wavesRun);
  const settled = yield* runWaves(run, phase, reached);
  run.counts.moved -= settled.counts.failed;
  run.counts.failed += settled.counts.failed;
}

/** How the run ends after reassignment, from why it stopped (if it did) and the final counts. */
export function reassignmentEnd(run: MigrationRun, plan: Plan, reassigned: PhaseResult): RunEnd {
  const { counts, options } = run;
  const notStarted = reassigned.counts.notAttempted;
  const remaining = plan.remaining + notStarted;
  switch (reassigned.stopReason) {
    case 'cancelled':
      return { status: 'cancelled', message: RunMessages.cancelled(counts.moved, notStarted), remaining };
    case 'failureRate': {
      const attempted = counts.moved + counts.failed;
      const message = RunMessages.failureRateExceeded(counts.failed, attempted, options.maxFailureRate);
      return { status: 'needsAttention', message, remaining };
    }
    default: {
      const windowClosedFor = reassigned.stopReason === 'windowClosed' ? notStarted : undefined;
      const status = counts.failed > 0 ? 'completedWithErrors' : 'completed';
      return { status, message: RunMessages.finished(counts, windowClosedFor), remaining };
    }
  }
}
