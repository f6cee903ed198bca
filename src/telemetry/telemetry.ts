import type { TokenCredential } from '@azure/identity';
import { metrics, type Histogram, type Meter } from '@opentelemetry/api';
import { logs, SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import { readSetting } from '../config/settings';
import type { TelemetryEventName, TelemetryEventProperties } from './names';

export type TelemetryProperties = Record<string, string | number | boolean | undefined>;

/** Business telemetry: custom events and metrics. Call it from activities only, never from orchestrator code. */
export interface Telemetry {
  event<N extends TelemetryEventName>(name: N, properties: TelemetryEventProperties[N]): void;
  metric(name: string, value: number, properties?: Record<string, string>): void;
  /** Sends whatever is buffered (events are batched for a few seconds, metrics for a minute). */
  flush(): Promise<void>;
}

/**
 * The attribute the Azure Monitor exporter looks for to turn a log record into a row of `customEvents`
 * (rather than `traces`). Documented in the @azure/monitor-opentelemetry README ("custom events").
 */
export const CUSTOM_EVENT_NAME_ATTRIBUTE = 'microsoft.custom_event.name';

/** Instrumentation scope name; shows up as the logger/meter name in exported telemetry. */
const SCOPE = 'license-shift';

export const noopTelemetry: Telemetry = {
  event: () => undefined,
  metric: () => undefined,
  flush: () => Promise.resolve(),
};

/**
 * Telemetry over the OpenTelemetry logs and metrics APIs. `useAzureMonitor` installs the global providers whose
 * exporters send these to Application Insights; tests install providers with in-memory exporters instead.
 */
export function createOpenTelemetryTelemetry(logger: Logger, meter: Meter, flush: () => Promise<void>): Telemetry {
  const histograms = new Map<string, Histogram>();
  return {
    event(name: string, properties: TelemetryProperties) {
      const attributes: Record<string, string | number | boolean> = {};
      for (const [key, value] of Object.entries(properties)) {
        if (value !== undefined) attributes[key] = value;
      }
      attributes[CUSTOM_EVENT_NAME_ATTRIBUTE] = name;
      logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: name, attributes });
    },
    metric(name, value, properties) {
      // A histogram gives Application Insights sum, count, min and max per export interval, which is what
      // customMetrics stores (valueSum, valueCount, ...), for counts and rates alike.
      let histogram = histograms.get(name);
      if (!histogram) {
        histogram = meter.createHistogram(name);
        histograms.set(name, histogram);
      }
      histogram.record(value, properties);
    },
    flush,
  };
}

/**
 * The credential used for Entra-authenticated ingestion (the Application Insights resource has local auth disabled,
 * so instrumentation-key-only ingestion is rejected in Azure):
 * - `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` = `ClientId=<id>;Authorization=AAD` (what the host itself reads) →
 *   that managed identity (system-assigned when no ClientId);
 * - otherwise `AZURE_CLIENT_ID` while Graph also uses the managed identity → that user-assigned identity;
 * - otherwise none: the connection string's instrumentation key alone (a resource with local auth enabled).
 */
export function ingestionCredential(env: NodeJS.ProcessEnv): TokenCredential | undefined {
  // Loaded on demand so that importing telemetry (first thing in src/index.ts) loads no HTTP stack before the distro.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy load on purpose, see above
  const { ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
  const authentication = parseKeyValues(readSetting(env, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING') ?? '');
  const clientId = readSetting(env, 'AZURE_CLIENT_ID');
  if (authentication.get('authorization')?.toUpperCase() === 'AAD') {
    const id = authentication.get('clientid') ?? clientId;
    return new ManagedIdentityCredential(id ? { clientId: id } : undefined);
  }
  if (clientId && readSetting(env, 'GRAPH_AUTH') === 'managedIdentity') {
    return new ManagedIdentityCredential({ clientId });
  }
  return undefined;
}

function parseKeyValues(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) pairs.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return pairs;
}

/**
 * Sets up Application Insights (OpenTelemetry distro) for the process. Must run before other modules are loaded
 * so its HTTP and Azure SDK instrumentation sees them: `src/index.ts` calls it first. Without a connection string
 * telemetry is a no-op, and one log line says so.
 */
export function setupTelemetry(env: NodeJS.ProcessEnv, log: (line: string) => void = console.log): Telemetry {
  const connectionString = readSetting(env, 'APPLICATIONINSIGHTS_CONNECTION_STRING');
  if (!connectionString) {
    log(
      'license-shift telemetry is off: APPLICATIONINSIGHTS_CONNECTION_STRING is not set, so custom events and metrics are not sent anywhere.',
    );
    return noopTelemetry;
  }
  const credential = ingestionCredential(env);
  // Loaded only when configured: the distro pulls in the whole OpenTelemetry SDK (seconds of start-up).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy load on purpose, see above
  const appInsights = require('applicationinsights') as typeof import('applicationinsights');
  appInsights.useAzureMonitor({
    azureMonitorExporterOptions: credential ? { connectionString, credential } : { connectionString },
    // Business events are counted in the portal: never sample them away.
    samplingRatio: 1,
    enableLiveMetrics: true,
    instrumentationOptions: { http: { enabled: true }, azureSdk: { enabled: true } },
  });
  log(
    `license-shift telemetry is on: Application Insights ${credential ? 'with Entra (managed identity) authentication' : 'with the instrumentation key only'}.`,
  );
  return createOpenTelemetryTelemetry(logs.getLogger(SCOPE), metrics.getMeter(SCOPE), () =>
    appInsights.flushAzureMonitor(),
  );
}

/** Telemetry whose every event and metric carries `tenantId` (workbook queries split by it). */
export function tenantTelemetry(telemetry: Telemetry, tenantId: string): Telemetry {
  return {
    event: (name, properties) => telemetry.event(name, { ...properties, tenantId }),
    metric: (name, value, properties) => telemetry.metric(name, value, { ...properties, tenantId }),
    flush: () => telemetry.flush(),
  };
}
