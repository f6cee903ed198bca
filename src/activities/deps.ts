import type { LicensingGraph } from '../graph';
import type { Telemetry } from '../telemetry';
import type { DocumentStore } from '../storage/document-store';
import { MigrationDocuments } from '../storage/migration-documents';

/** What activities need from telemetry (tests pass in-memory fakes). */
export type ActivityTelemetry = Pick<Telemetry, 'event' | 'metric'>;

export interface ActivityLogger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
}

/** Everything an activity touches, passed in so tests can use the simulator, Azurite and fakes. */
export interface ActivityDeps {
  graph: LicensingGraph;
  store: DocumentStore;
  telemetry: ActivityTelemetry;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Whether telemetry may carry user principal names (TELEMETRY_INCLUDE_UPN). */
  includeUpnInTelemetry: boolean;
  log: ActivityLogger;
}

export function documentsFor(deps: Pick<ActivityDeps, 'store'>, migrationId: string): MigrationDocuments {
  return new MigrationDocuments(deps.store, migrationId);
}
