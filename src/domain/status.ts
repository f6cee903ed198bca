/**
 * The status vocabulary of a migration run: the one list the orchestrator, the HTTP API, the schedules, the
 * status page, the tests and the benchmarks all use.
 */
export const MIGRATION_STATUSES = [
  'pending',
  'planning',
  'awaitingApproval',
  'waitingForLicenses',
  'processingGroups',
  'reassigning',
  'verifying',
  'cleaningUp',
  'completed',
  'completedWithErrors',
  'needsAttention',
  'cancelled',
  'rejected',
  'failed',
] as const;

export type MigrationStatus = (typeof MIGRATION_STATUSES)[number];

/** Statuses a run ends in: nothing more happens to it. */
export const FINISHED_STATUSES: readonly MigrationStatus[] = [
  'completed',
  'completedWithErrors',
  'needsAttention',
  'cancelled',
  'rejected',
  'failed',
];

/** Finished statuses in which the run did its job (some users may have failed). */
export const SUCCESSFUL_STATUSES: readonly MigrationStatus[] = ['completed', 'completedWithErrors'];

export function isFinished(status: string): boolean {
  return (FINISHED_STATUSES as readonly string[]).includes(status);
}

export function isMigrationStatus(value: string): value is MigrationStatus {
  return (MIGRATION_STATUSES as readonly string[]).includes(value);
}
