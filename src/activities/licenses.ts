import { assessLicenses } from '../domain/purchase';
import type { LicenseCheckInput, LicenseCheckResult } from '../domain/workflow';
import { ledgerFor } from '../ledger';
import { TelemetryEvents } from '../telemetry';
import { documentsFor, type ActivityDeps } from './deps';

/**
 * Stages 2 and 3 (purchase check; "are both subscriptions listed and active with enough licenses?"). Returns what
 * blocks the move in plain words; the orchestrator waits and asks again. When the run may go ahead, its seats are
 * reserved in the tenant ledger until it ends.
 */
export async function checkLicenses(deps: ActivityDeps, input: LicenseCheckInput): Promise<LicenseCheckResult> {
  const [skus, subscriptions, plan] = await Promise.all([
    deps.graph.listSubscribedSkus(),
    deps.graph.listSubscriptions(),
    documentsFor(deps, input.migrationId).plan(),
  ]);
  const partNumbers: Record<string, string> = {};
  for (const move of plan?.summary.moves ?? []) {
    partNumbers[move.toSkuId] = move.toSkuPartNumber;
    if (move.fromSkuId && move.fromSkuPartNumber) partNumbers[move.fromSkuId] = move.fromSkuPartNumber;
  }
  // Free seats other live runs reserved are not free for this one; if the rest covers this run's need, its own
  // reservation is written in the same step (ETag), so two runs checking at once can never both count the same seats.
  const assessment = await ledgerFor(deps).reserveIf(input.migrationId, input.seatsNeeded, (reservedByOthers) =>
    assessLicenses({
      skus,
      seatsNeeded: input.seatsNeeded,
      sourceSkuIds: input.sourceSkuIds,
      partNumbers,
      reservedByOthers,
    }),
  );
  for (const target of assessment.targets) {
    for (const subscription of subscriptions) {
      if (subscription.skuId.toLowerCase() !== target.skuId.toLowerCase()) continue;
      if (subscription.isTrial && subscription.nextLifecycleDateTime) {
        assessment.notes.push(
          `${target.name} is a trial subscription that changes state on ${subscription.nextLifecycleDateTime}`,
        );
      }
    }
  }
  const reason = assessment.reasons.join('; ');
  if (!assessment.ready && reason !== input.previousReason) {
    const short = assessment.targets.find((target) => target.free < target.needed) ?? assessment.targets[0];
    deps.telemetry.event(TelemetryEvents.WaitingForLicenses, {
      migrationId: input.migrationId,
      reason,
      needed: short?.needed,
      free: short?.free,
      skuId: short?.skuId,
    });
  }
  return assessment;
}
