/**
 * Publishes a batch activity's progress as its plan batches end (src/storage/progress-documents.ts). Writes are
 * coalesced: one at a time, and the latest totals go out next, so a burst of results costs one or two writes.
 * A failed write is only logged: progress is a view, and the next one (or the orchestrator's counts) catches up.
 */
import { currentIso, type Clock } from '../clock';
import { errorMessage } from '../domain/values';
import type { ProgressDocuments } from '../storage/progress-documents';
import type { StructuredLogger } from '../telemetry';

export interface ProgressDelta {
  moved: number;
  failed: number;
  skipped: number;
}

export class ProgressPublisher {
  private readonly totals: ProgressDelta = { moved: 0, failed: 0, skipped: 0 };
  private readonly startedAt: string;
  private dirty = false;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly docs: ProgressDocuments,
    private readonly name: string,
    private readonly clock: Clock,
    private readonly log: StructuredLogger,
  ) {
    this.startedAt = currentIso(clock);
  }

  /** Users that reached a final result since the last call. */
  add(delta: ProgressDelta): void {
    if (delta.moved + delta.failed + delta.skipped === 0) return;
    this.totals.moved += delta.moved;
    this.totals.failed += delta.failed;
    this.totals.skipped += delta.skipped;
    this.dirty = true;
    this.writing ??= this.drain();
  }

  /** Waits until the latest totals are written. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const progress = { ...this.totals, startedAt: this.startedAt, updatedAt: currentIso(this.clock) };
        try {
          await this.docs.save(this.name, progress);
        } catch (error) {
          this.log.warn('Could not publish batch progress; the status catches up after the round', {
            migrationId: this.docs.migrationId,
            error: errorMessage(error),
          });
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
