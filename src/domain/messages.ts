/**
 * What a migration run says when it stops or changes course, in plain words an admin can act on. Pure: the
 * orchestrator calls these with counts it already has.
 */
import { formatDuration } from './duration';
import type { DowngradeWarning } from './types';
import type { ApprovalDecision } from './workflow';

const ADMIN_CENTER_HELP =
  'If this is unexpected, check the subscriptions in the Microsoft 365 admin center (https://admin.microsoft.com/#/subscriptions) ' +
  'or open a support request there with this migration id.';

export const RunMessages = {
  dryRun: 'Dry run: nothing was changed. The report is the plan.',
  nothingToChange: 'Nobody needs a change: every user is already done, skipped or blocked.',
  cancelledWhileWaiting: 'Cancelled while waiting for licenses: nobody was changed.',
  cancelledBeforeApproval: 'Cancelled before approval: nothing was changed.',

  dataLoss(downgrades: DowngradeWarning[]): string {
    const lost = downgrades
      .map(
        (d) =>
          `${d.fromSkuPartNumber} → ${d.toSkuPartNumber} loses ${d.lostPlans
            .filter((p) => p.holdsData)
            .map((p) => p.servicePlanName)
            .join(', ')}`,
      )
      .join('; ');
    return `This move is a downgrade that loses services holding data (${lost}). Back up that data, then start the migration again with acknowledgeDataLoss: true. Nothing was changed.`;
  },

  approvalTimedOut(timeoutMs: number): string {
    return `No approval within ${formatDuration(timeoutMs)}: nothing was changed.`;
  },

  rejected(decision: ApprovalDecision): string {
    return `Rejected${decidedBy(decision)}. Nothing was changed.`;
  },

  approved(decision: ApprovalDecision): string {
    return `Approved${decidedBy(decision)}.`;
  },

  gaveUpWaiting(waitedMs: number, reason: string): string {
    return `Gave up waiting for licenses after ${formatDuration(waitedMs)}: ${reason}. Nobody was changed. ${ADMIN_CENTER_HELP}`;
  },

  cancelled(moved: number, notStarted: number): string {
    return `Cancelled: ${moved} moved before the cancel; ${notStarted} not started.`;
  },

  failureRateExceeded(failed: number, attempted: number, maxFailureRate: number): string {
    return `Stopped starting new batches: ${failed} of ${attempted} changes failed, over the allowed ${Math.round(maxFailureRate * 100)} %. See the report for each user's reason.`;
  },

  finished(
    counts: { moved: number; failed: number; skipped: number; blocked: number },
    windowClosedFor?: number,
  ): string {
    const windowNote =
      windowClosedFor === undefined ? '' : ` The window closed: ${windowClosedFor} users wait for the next one.`;
    return `${counts.moved} moved, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.blocked} blocked.${windowNote}`;
  },
} as const;

function decidedBy(decision: ApprovalDecision): string {
  const who = decision.by ? ` by ${decision.by}` : '';
  const why = decision.reason ? `: ${decision.reason}` : '';
  return `${who}${why}`;
}
