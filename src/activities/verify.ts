/**
 * Stage 5 for a few plan batches: re-read the users the run changed and confirm each holds the target without an
 * assignment error and no longer holds the source. Reads lag writes, so a user who does not show the change yet is
 * read again with waits; only after them is the change reported as not visible.
 */
import { verificationProblem } from '../domain/apply';
import { skuNameById } from '../domain/skus';
import type { BatchCounts, BatchInput } from '../domain/workflow';
import { emptyBatchCounts } from '../domain/workflow';
import type { UserLicenseSnapshot } from '../domain/types';
import { failedPlain, loadRange, readUntilSettled, recordsOf, SETTLE_DELAYS_MS } from './batch-range';
import type { ActivityDeps } from './deps';

const key = (id: string): string => id.toLowerCase();
const SETTLE_SECONDS = SETTLE_DELAYS_MS.reduce((sum, ms) => sum + ms, 0) / 1000;

export async function verifyBatch(deps: ActivityDeps, input: BatchInput): Promise<BatchCounts> {
  const counts = emptyBatchCounts();
  const range = await loadRange(deps, input);
  const records = await recordsOf(range);
  const moved = records.flatMap((record) => record.users).filter((u) => u.result.kind === 'moved' && !u.verified);
  if (moved.length === 0) return counts;
  const planned = new Map(range.batches.flatMap((b) => b.users).map((user) => [key(user.userId), user]));
  const nameOf = (skuId: string): string => skuNameById(skuId, range.skus);
  const problemOf = (id: string, user: UserLicenseSnapshot | undefined): string | undefined => {
    const plannedUser = planned.get(key(id));
    if (!user || !plannedUser) return 'the user no longer exists in this tenant';
    return verificationProblem(plannedUser, user, { expectRemovedLater: false }, nameOf);
  };
  const { users } = await readUntilSettled(
    deps,
    moved.map((user) => user.userId),
    (id, user) => problemOf(id, user) === undefined,
  );
  for (const user of moved) {
    const problem = problemOf(user.userId, users.get(key(user.userId)));
    if (problem) {
      const message = `the change was accepted, but after ${SETTLE_SECONDS} s of re-reading the directory still shows that ${problem}; check the user again in a few minutes`;
      user.result = failedPlain(message, 'retryable');
      counts.failed += 1;
    } else {
      user.verified = true;
      counts.moved += 1;
    }
  }
  await Promise.all(records.map((record) => range.docs.saveBatch(record)));
  if (counts.failed > 0) {
    deps.log.warn('Verification found users not in the planned state', {
      migrationId: input.migrationId,
      batch: input.batch,
      failed: counts.failed,
    });
  }
  return counts;
}
