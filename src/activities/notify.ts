/**
 * `notifyRun`: tells the run's notification targets that want this event, each at most once (see
 * src/notifications/deliver.ts). Never fails the run: a target that cannot be reached is recorded as failed in the
 * run's notification records (shown in the report).
 */
import { approvalPlanSummary, type ApprovalPlanSummary } from '../domain/approval';
import type { NotifyInput, NotifyResult } from '../domain/workflow';
import { deliver } from '../notifications/deliver';
import type { PayloadInput } from '../notifications/payload';
import { documentsFor, type ActivityDeps } from './deps';

export async function notifyRun(deps: ActivityDeps, input: NotifyInput): Promise<NotifyResult> {
  const result: NotifyResult = { delivered: 0, failed: 0, alreadyHandled: 0 };
  const docs = documentsFor(deps, input.migrationId);
  const stored = await docs.request();
  const targets = (stored?.notify ?? []).map((target, index) => ({ target, index }));
  const wanted = targets.filter(({ target }) => target.events.includes(input.event));
  if (!stored || wanted.length === 0) return result;
  const payload: Omit<PayloadInput, 'deliveryId' | 'occurredAt'> = {
    event: input.event,
    migrationId: input.migrationId,
    status: input.status,
    counts: input.counts,
  };
  if (input.message !== undefined) payload.message = input.message;
  if (input.reason !== undefined) payload.reason = input.reason;
  if (stored.rollback) payload.rollbackOf = stored.rollback.of;
  if (stored.retryOf) payload.retryOf = stored.retryOf;
  const baseUrl = stored.baseUrl ?? deps.settings.notify.publicBaseUrl;
  if (baseUrl) payload.baseUrl = baseUrl;
  if (input.event === 'awaitingApproval') {
    const plan = await planFor(deps, input.migrationId);
    if (plan) payload.plan = plan;
  }
  const delivery = { docs, clock: deps.clock, settings: deps.settings.notify, log: deps.log };
  // One target after the other: a handful at most, and a slow one must not hold the others' records open.
  for (const { target, index } of wanted) {
    const outcome = await deliver(delivery, target, `${input.key}.${index}`, payload);
    result[outcome] += 1;
  }
  return result;
}

async function planFor(deps: ActivityDeps, migrationId: string): Promise<ApprovalPlanSummary | undefined> {
  const plan = await documentsFor(deps, migrationId).plan();
  return plan ? approvalPlanSummary(plan.summary, plan.skus) : undefined;
}
