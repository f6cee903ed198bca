/** Stage 2: with `requireApproval`, wait for approve or reject until the approval timeout. */
import type { Task } from 'durable-functions';
import { parseIsoDuration } from '../domain/duration';
import { RunMessages } from '../domain/messages';
import { MigrationEvents, toApprovalDecision } from '../domain/workflow';
import { notify } from './notify';
import type { Plan } from './plan-stage';
import type { MigrationRun, RunEnd } from './run';

/** Returns how the run ends when it is not approved; undefined to go on. */
export function* approvalStage(run: MigrationRun, plan: Plan): Generator<Task, RunEnd | undefined, unknown> {
  if (!run.options.requireApproval) return undefined;
  const { context } = run;
  const remaining = plan.summary.toChange;
  yield* run.enterStage('awaitingApproval', 'approval');
  yield* notify(run, 'awaitingApproval');
  const timeoutMs = parseIsoDuration(run.options.approvalTimeout);
  const approval = context.df.waitForExternalEvent(MigrationEvents.approval);
  const cancel = context.df.waitForExternalEvent(MigrationEvents.cancel);
  const timeout = context.df.createTimer(new Date(run.nowMs() + timeoutMs));
  const winner: unknown = yield context.df.Task.any([approval, cancel, timeout]);
  if (winner !== timeout) timeout.cancel();
  if (winner === timeout) return { status: 'cancelled', message: RunMessages.approvalTimedOut(timeoutMs), remaining };
  if (winner === cancel) return { status: 'cancelled', message: RunMessages.cancelledBeforeApproval, remaining };
  const decision = toApprovalDecision(approval.result);
  if (!decision.approved) return { status: 'rejected', message: RunMessages.rejected(decision), remaining };
  run.publish({ message: RunMessages.approved(decision) });
  return undefined;
}
