export * from './names';
export { telemetry, setupTelemetry, setTelemetryForTests, type Telemetry, type TelemetryProperties } from './telemetry';
export { userIdentity, type UserIdentity } from './identity';
export { migrationLogger, type MigrationLogger, type LogProperties } from './logger';
