/**
 * Names of the custom events and metrics license-shift sends to Application Insights. The saved KQL queries
 * (infra/app/monitoring/queries/) and the workbook filter on these exact strings, so change them together.
 *
 * Events land in `customEvents` (name = the value below, properties in `customDimensions`); metrics land in
 * `customMetrics` (one row per export interval with `valueSum`, `valueCount`, `valueMin`, `valueMax`).
 */
export const TelemetryEvents = {
  MigrationStarted: 'Migration.Started',
  StageChanged: 'Migration.StageChanged',
  WaitingForLicenses: 'Migration.WaitingForLicenses',
  BatchCompleted: 'Migration.BatchCompleted',
  UserFailed: 'Migration.UserFailed',
  MigrationFinished: 'Migration.Finished',
  ScheduleOccurrenceStarted: 'Schedule.OccurrenceStarted',
  ScheduleFinished: 'Schedule.Finished',
} as const;

export const TelemetryMetrics = {
  /** Users whose license change succeeded (recorded per batch, so sum over time). */
  UsersMoved: 'licenseShift.usersMoved',
  /** Users whose change failed (recorded per batch). */
  UsersFailed: 'licenseShift.usersFailed',
  /** Graph writes per second achieved by one batch. */
  WritesPerSecond: 'licenseShift.writesPerSecond',
  /** Graph answers 429 (Too Many Requests) seen by one batch. */
  Throttled: 'licenseShift.throttled',
} as const;

export type TelemetryEventName = (typeof TelemetryEvents)[keyof typeof TelemetryEvents];
export type TelemetryMetricName = (typeof TelemetryMetrics)[keyof typeof TelemetryMetrics];

type Scalar = string | number | boolean | undefined;

/**
 * The properties each event carries (documented in docs/monitoring.md; the KQL queries read them from
 * `customDimensions`). Every migration event carries `migrationId`, which also correlates the structured logs, and
 * `tenantId` (added by `tenantTelemetry` for every event of a run or a tenant's schedules).
 * `Telemetry.event` takes the properties of the event it is given (TelemetryEventProperties), so a missing or
 * misspelt property is a compile error.
 */
export interface MigrationStartedProperties extends Record<string, Scalar> {
  migrationId: string;
  origin: 'http' | 'schedule';
  scheduleName?: string;
  dryRun: boolean;
  mode: string;
  strategy: string;
  moves: number;
  /** Users in the plan, and how many need a change, are already done (skipped) or blocked. */
  total?: number;
  toChange?: number;
  skipped?: number;
  blocked?: number;
}

export interface StageChangedProperties extends Record<string, Scalar> {
  migrationId: string;
  stage: string;
  /** The status shown by GET /api/migrations/{id} (pending, planning, waitingForLicenses, reassigning, ...). */
  status: string;
  previousStage?: string;
}

export interface WaitingForLicensesProperties extends Record<string, Scalar> {
  migrationId: string;
  /** The plain-words diagnosis shown on the status page, e.g. "need 40, 12 free: buy 28 more licenses". */
  reason: string;
  /** The target SKU short of seats (or missing, suspended...). */
  skuId?: string;
  needed?: number;
  /** Free seats of the target SKU when checked. */
  free?: number;
}

export interface BatchCompletedProperties extends Record<string, Scalar> {
  migrationId: string;
  wave?: number;
  batch: number;
  moved: number;
  failed: number;
  skipped: number;
  throttled: number;
  durationMs: number;
}

export interface UserFailedProperties extends Record<string, Scalar> {
  migrationId: string;
  userId: string;
  /** Only when TELEMETRY_INCLUDE_UPN=true (use `userIdentity`). */
  userPrincipalName?: string;
  /** `retryable`, `userFixable` or `permanent` (the report's errorClass). */
  errorClass: string;
  /** Graph error code, e.g. Request_BadRequest (the report's graphErrorCode). */
  graphCode?: string;
  requestId?: string;
}

export interface MigrationFinishedProperties extends Record<string, Scalar> {
  migrationId: string;
  /** The final status: completed, completedWithErrors, needsAttention, cancelled, rejected or failed. */
  outcome: string;
  total: number;
  moved: number;
  skipped: number;
  failed: number;
  blocked: number;
  /** The closing message shown by the status API. */
  message?: string;
}

export interface ScheduleOccurrenceStartedProperties extends Record<string, Scalar> {
  scheduleName: string;
  /** ISO instant of the occurrence (the cron tick or one-off start), not of the timer firing. */
  occurrence: string;
  migrationId: string;
  /** True when a missed occurrence was started late inside its still-open window. */
  late: boolean;
  maxUsers?: number;
  notAfter?: string;
}

export interface ScheduleFinishedProperties extends Record<string, Scalar> {
  scheduleName: string;
  occurrences: number;
  lastMigrationId?: string;
  /** `complete` (nothing left to move) or `maxOccurrences` (the wave limit was reached first). */
  reason: 'complete' | 'maxOccurrences';
}

/** Each event's properties, by event name. */
export interface TelemetryEventProperties {
  [TelemetryEvents.MigrationStarted]: MigrationStartedProperties;
  [TelemetryEvents.StageChanged]: StageChangedProperties;
  [TelemetryEvents.WaitingForLicenses]: WaitingForLicensesProperties;
  [TelemetryEvents.BatchCompleted]: BatchCompletedProperties;
  [TelemetryEvents.UserFailed]: UserFailedProperties;
  [TelemetryEvents.MigrationFinished]: MigrationFinishedProperties;
  [TelemetryEvents.ScheduleOccurrenceStarted]: ScheduleOccurrenceStartedProperties;
  [TelemetryEvents.ScheduleFinished]: ScheduleFinishedProperties;
}
