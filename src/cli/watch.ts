/**
 * `status --watch`: polls the run until it has finished or waits for a person (approval), drawing a progress bar on a
 * terminal and printing a line per change elsewhere (logs, CI).
 */
import { SingleBar } from 'cli-progress';
import { runPath, type ApiClient } from './client';
import { isFinished } from '../domain/status';
import type { RunSummary } from '../migrations/runs';
import type { MigrationView } from '../migrations/view';

/** GET /api/migrations/{id} (and each run of GET /api/migrations) as the API answers it. */
export type RunView = MigrationView & { run?: RunSummary };

/** Where a watch stops: the run is over, or nothing happens until someone approves or rejects it. */
export const watchEnds = (view: Pick<RunView, 'status'>) =>
  isFinished(view.status) || view.status === 'awaitingApproval';

export interface WatchOptions {
  intervalMs: number;
  sleep: (ms: number) => Promise<void>;
  tty: boolean;
  /** Prints a line when the status, stage or progress changed (no terminal). */
  line: (view: RunView) => void;
}

export async function watchRun(client: ApiClient, id: string, options: WatchOptions): Promise<RunView> {
  const bar = options.tty
    ? new SingleBar({
        format: '{bar} {percentage}% | {status} | {done}/{toChange} users | {eta_text}',
        hideCursor: true,
        clearOnComplete: false,
      })
    : undefined;
  let last = '';
  try {
    for (;;) {
      const view = await client.get<RunView>(runPath(id));
      const payload = {
        status: view.status,
        done: view.counts.done,
        toChange: view.counts.toChange,
        eta_text: view.etaSeconds !== undefined ? `about ${Math.ceil(view.etaSeconds)} s left` : view.stage,
      };
      if (bar) {
        if (last === '') bar.start(100, view.progress, payload);
        else bar.update(view.progress, payload);
      } else {
        const key = `${view.status}|${view.stage}|${view.progress}|${view.waitingFor?.reason ?? ''}`;
        if (key !== last) options.line(view);
      }
      last = `${view.status}|${view.stage}|${view.progress}|${view.waitingFor?.reason ?? ''}`;
      if (watchEnds(view)) return view;
      await options.sleep(options.intervalMs);
    }
  } finally {
    bar?.stop();
  }
}
