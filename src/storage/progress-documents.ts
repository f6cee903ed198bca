/**
 * Live progress of a run's batch activities: one small document per activity, `migrations/{id}/progress/{name}.json`,
 * rewritten as each of its plan batches ends, so the status API can show users moved within a second or two without
 * replaying any history (the orchestrator's own counts move once per round of activities). Only the activity that
 * owns a document writes it, so no write ever races another.
 */
import type { DocumentStore } from './document-store';

export interface ActivityProgress {
  /** Users this run of the activity brought to a final result (its own range and any carried one). */
  moved: number;
  failed: number;
  skipped: number;
  startedAt: string;
  updatedAt: string;
}

const pad = (n: number): string => String(n).padStart(6, '0');

/**
 * The document of the reassign activity whose own range starts at `batch`; an activity that only sends users handed
 * back by others (no range of its own) has a name of its own, so it never overwrites the first one's.
 */
export function reassignProgressName(batch: number, ownBatches: number): string {
  return ownBatches > 0 ? `reassign-${pad(batch)}` : `reassign-${pad(batch)}-carried`;
}

export class ProgressDocuments {
  constructor(
    private readonly store: DocumentStore,
    readonly migrationId: string,
  ) {}

  private path(name: string): string {
    return `migrations/${this.migrationId}/progress/${name}.json`;
  }

  save(name: string, progress: ActivityProgress): Promise<boolean> {
    return this.store.write(this.path(name), progress);
  }

  read(name: string): Promise<ActivityProgress | undefined> {
    return this.store.read<ActivityProgress>(this.path(name));
  }
}
