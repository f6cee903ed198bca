export * from './names';
export {
  createOpenTelemetryTelemetry,
  noopTelemetry,
  setupTelemetry,
  tenantTelemetry,
  type Telemetry,
  type TelemetryProperties,
} from './telemetry';
export { userIdentity, type UserIdentity } from './identity';
export { invocationLogger, type LogProperties, type StructuredLogger } from './logger';
