import type { AppDeps } from '../deps';
import { MigrationDocuments } from '../storage/migration-documents';
import type { StructuredLogger } from '../telemetry';

/** What an activity works with: the app's dependencies and a logger for its invocation. */
export interface ActivityDeps extends AppDeps {
  log: StructuredLogger;
}

export function documentsFor(deps: Pick<AppDeps, 'store'>, migrationId: string): MigrationDocuments {
  return new MigrationDocuments(deps.store, migrationId);
}
