/**
 * Live progress of a reassigning run: what the batch activities running now have finished, from their progress
 * documents (src/storage/progress-documents.ts), without replaying any history. The wave's custom status says how
 * many of its batches the orchestrator has counted; the activities running now are the next round after them.
 */
import { BATCHES_PER_ACTIVITY, BATCHES_PER_WAVE } from '../domain/workflow';
import { BATCH_CONCURRENCY } from '../orchestrations/waves';
import type { DocumentStore } from '../storage/document-store';
import { ProgressDocuments, reassignProgressName } from '../storage/progress-documents';
import type { LiveProgress } from './view';

/** Below this, a measured rate says more about start-up than about the pace. */
const MIN_MEASURED_MS = 1_000;

export async function liveProgress(
  store: DocumentStore,
  migrationId: string,
  wave: number,
  batchesDone: number,
  now: number,
): Promise<LiveProgress | undefined> {
  const docs = new ProgressDocuments(store, migrationId);
  // Waves are cut from the plan's batches in order (splitIntoWaves), so wave w starts at batch w × BATCHES_PER_WAVE.
  const first = wave * BATCHES_PER_WAVE + batchesDone;
  const names = Array.from({ length: BATCH_CONCURRENCY }, (_, i) =>
    reassignProgressName(first + i * BATCHES_PER_ACTIVITY, BATCHES_PER_ACTIVITY),
  );
  // A progress document that cannot be read only makes the status less fresh, never wrong.
  const found = await Promise.all(names.map((name) => docs.read(name).catch(() => undefined)));
  const running = found.filter((doc) => doc !== undefined);
  if (running.length === 0) return undefined;
  const live: LiveProgress = { moved: 0, failed: 0, skipped: 0 };
  let since = Number.POSITIVE_INFINITY;
  for (const doc of running) {
    live.moved += doc.moved;
    live.failed += doc.failed;
    live.skipped += doc.skipped;
    since = Math.min(since, Date.parse(doc.startedAt));
  }
  const handled = live.moved + live.failed + live.skipped;
  if (handled > 0 && now - since >= MIN_MEASURED_MS) live.perSecond = (handled * 1000) / (now - since);
  return live;
}
