/**
 * Stage 6 (overlap) for a few plan batches: remove the sources from users whose target is verified, in one call per
 * user that also switches on any target plans that had to wait for the source to go.
 */
import { pendingChange } from '../domain/apply';
import type { BatchCounts, BatchInput } from '../domain/workflow';
import { emptyBatchCounts } from '../domain/workflow';
import type { AssignLicenseItem, AssignLicenseResult } from '../graph';
import { ledgerFor } from '../ledger';
import { failedResult, loadRange, readUsers, recordsOf } from './batch-range';
import type { ActivityDeps } from './deps';

const key = (id: string): string => id.toLowerCase();

/** The removals, with this activity's share of the tenant's budget from the tenant ledger (see reassign.ts). */
async function removeSources(
  deps: ActivityDeps,
  input: BatchInput,
  items: AssignLicenseItem[],
): Promise<AssignLicenseResult[]> {
  const graph = deps.graph.forRun?.(input.migrationId) ?? deps.graph;
  const hold = ledgerFor(deps).hold(input.migrationId, input.budgetShare);
  try {
    return await graph.assignLicenses(items, { budgetShare: () => hold.share() });
  } finally {
    hold.release();
  }
}

export async function cleanupBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const counts = emptyBatchCounts();
  const range = await loadRange(deps, input);
  const records = await recordsOf(range);
  const ready = records
    .flatMap((record) => record.users)
    .filter((u) => u.result.kind === 'moved' && u.verified && !u.cleanedUp);
  if (ready.length === 0) return counts;
  const planned = new Map(range.batches.flatMap((b) => b.users).map((user) => [key(user.userId), user]));
  const current = await readUsers(
    deps,
    ready.map((user) => user.userId),
  );
  const items: AssignLicenseItem[] = [];
  for (const user of ready) {
    const plannedUser = planned.get(key(user.userId));
    const now = current.get(key(user.userId));
    if (!plannedUser || !now) continue;
    const change = pendingChange(plannedUser, now, 'removeLater');
    if (change.kind === 'assign') {
      items.push({ userId: user.userId, addLicenses: change.addLicenses, removeLicenses: change.removeLicenses });
    }
  }
  const results = items.length > 0 ? await removeSources(deps, input, items) : [];
  const byResult = new Map(results.map((result) => [result.userId, result]));
  for (const user of ready) {
    const result = byResult.get(user.userId);
    counts.throttled += result?.throttled ?? 0;
    if (result && !result.ok) {
      const failure = failedResult(result.error);
      if (failure.kind === 'failed') {
        failure.message = `the new license was added but the old one could not be removed: ${failure.message}`;
      }
      user.result = failure;
      counts.failed += 1;
      continue;
    }
    if (result?.ok && user.result.kind === 'moved') user.result.after = result.after;
    user.cleanedUp = true;
    counts.moved += 1;
  }
  await Promise.all(records.map((record) => range.docs.saveBatch(record)));
  return counts;
}
