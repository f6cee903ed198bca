/** What the console offers to do with a run. Pure, so it is tested apart from the page. */
import type { Migration } from './types';

/**
 * The actions the run allows now: the API's own list where it gives one (`actions`), else what its status allows.
 * Retry failed and Roll back appear only where the API lists them.
 */
export function allowed(run: Pick<Migration, 'actions' | 'status'>, action: string, finished: boolean): boolean {
  if (run.actions) return run.actions.includes(action);
  switch (action) {
    case 'approve':
    case 'reject':
      return run.status === 'awaitingApproval';
    case 'recheck':
      return run.status === 'waitingForLicenses';
    case 'cancel':
      return !finished;
    default:
      return false;
  }
}
