/**
 * What the app depends on: time, Microsoft Graph, storage, telemetry and settings. `createApp` receives these; the
 * Functions host gets production ones built from the app settings (src/index.ts), and tests and the local runtime
 * pass their own through the same door. A piece not given is built from the settings, so configuration problems
 * stop the app at start-up with a message naming the setting.
 */
import { systemClock, type Clock } from './clock';
import { readAppSettings, type AppSettings } from './config/settings';
import { loadGraphSettings, tenantGraphFactory, type LicensingGraph, type TenantGraphFactory } from './graph';
import { documentStoreFromEnv, type DocumentStore } from './storage/document-store';
import { noopTelemetry, type Telemetry } from './telemetry';
import { TenantRegistry } from './tenants/registry';

export interface AppDeps {
  clock: Clock;
  /** The home tenant's Graph layer. */
  graph: LicensingGraph;
  /**
   * The Graph layer of any tenant (undefined: home), each with its own credential and pacer; `limits` come from the
   * tenant registry.
   */
  graphFor: TenantGraphFactory;
  store: DocumentStore;
  telemetry: Telemetry;
  settings: AppSettings;
  tenants: TenantRegistry;
}

export interface AppOptions extends Partial<AppDeps> {
  /** App settings (process.env on the host). */
  env: NodeJS.ProcessEnv;
}

export function buildAppDeps(options: AppOptions): AppDeps {
  const { env } = options;
  const clock = options.clock ?? systemClock;
  const settings = options.settings ?? readAppSettings(env);
  const store = options.store ?? documentStoreFromEnv(env);
  // A given home Graph (a test's fake) serves the home tenant; other tenants are built from the settings when first
  // asked for, so a deployment of one tenant reads the Graph settings exactly as before.
  let factory: TenantGraphFactory | undefined;
  const graphFor: TenantGraphFactory =
    options.graphFor ??
    ((tenantId, limits) => {
      factory ??= tenantGraphFactory(loadGraphSettings(env), settings.tenants, {}, options.graph);
      return factory(tenantId, limits);
    });
  const graph = options.graph ?? graphFor(undefined);
  return {
    clock,
    graph,
    graphFor,
    store,
    telemetry: options.telemetry ?? noopTelemetry,
    settings,
    tenants: options.tenants ?? new TenantRegistry(store, { homeTenantId: settings.tenants.homeTenantId, clock }),
  };
}
