/**
 * Process-wide dependencies built from app settings on first use. Configuration problems surface as clear errors
 * naming the setting (see src/graph/settings.ts and src/storage/document-store.ts).
 */
import type { ActivityDeps } from '../activities/deps';
import { readSetting } from '../config/settings';
import { createLicensingGraph, loadGraphSettings, type LicensingGraph } from '../graph';
import { documentStoreFromEnv, type DocumentStore } from '../storage/document-store';
import { telemetry } from '../telemetry';

let store: DocumentStore | undefined;
let graph: LicensingGraph | undefined;

export function appStore(): DocumentStore {
  store ??= documentStoreFromEnv(process.env);
  return store;
}

export function appGraph(): LicensingGraph {
  graph ??= createLicensingGraph(loadGraphSettings(process.env));
  return graph;
}

export function activityDeps(log: ActivityDeps['log']): ActivityDeps {
  return {
    graph: appGraph(),
    store: appStore(),
    telemetry: telemetry(),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    includeUpnInTelemetry: readSetting(process.env, 'TELEMETRY_INCLUDE_UPN') === 'true',
    log,
  };
}

/** Builds the Graph layer and storage once at start-up: configuration errors stop the app with a clear message. */
export function assertConfiguration(): void {
  appGraph();
  appStore();
}
