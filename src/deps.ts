/**
 * What the app depends on: time, Microsoft Graph, storage, telemetry and settings. `createApp` receives these; the
 * Functions host gets production ones built from the app settings (src/index.ts), and tests and the local runtime
 * pass their own through the same door. A piece not given is built from the settings, so configuration problems
 * stop the app at start-up with a message naming the setting.
 */
import { systemClock, type Clock } from './clock';
import { readAppSettings, type AppSettings } from './config/settings';
import { createLicensingGraph, loadGraphSettings, type LicensingGraph } from './graph';
import { documentStoreFromEnv, type DocumentStore } from './storage/document-store';
import { noopTelemetry, type Telemetry } from './telemetry';

export interface AppDeps {
  clock: Clock;
  graph: LicensingGraph;
  store: DocumentStore;
  telemetry: Telemetry;
  settings: AppSettings;
}

export interface AppOptions extends Partial<AppDeps> {
  /** App settings (process.env on the host). */
  env: NodeJS.ProcessEnv;
}

export function buildAppDeps(options: AppOptions): AppDeps {
  const { env } = options;
  return {
    clock: options.clock ?? systemClock,
    graph: options.graph ?? createLicensingGraph(loadGraphSettings(env)),
    store: options.store ?? documentStoreFromEnv(env),
    telemetry: options.telemetry ?? noopTelemetry,
    settings: options.settings ?? readAppSettings(env),
  };
}
