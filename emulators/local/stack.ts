/**
 * The product as `npm start` and `npm run demo` run it: Azurite (child process) for storage, the Graph simulator
 * in-process with the demo tenant (or the Graph named by GRAPH_BASE_URL), and the compiled app on the local
 * Functions + Durable runtime.
 */
import * as path from 'node:path';
import { startFunctionsHost, type FunctionsHost, type FunctionsHostOptions } from '../functions';
import { startGraphSimulator, type GraphSimulator } from '../graph';
import { GRAPH_FEATURES, requiredAppRoles, type GraphFeature } from '../../src/graph/permissions';
import { startLocalAzurite, type LocalAzurite } from './azurite';
import { lockDataFolder } from './data-lock';
import { chooseGraph, chooseStorage, withAppDefaults, type Settings } from './settings';

export interface LocalStackOptions {
  /** The repository root (host.json lives there). */
  rootDir: string;
  /** Absolute path of the app's entry module (dist/src/index.js, or src/index.ts from the sources). */
  appEntry: string;
  /** Settings after local.settings.json and the environment were merged. */
  settings: Settings;
  /** 0 = a free port. */
  port: number;
  /**
   * The key `authLevel: function` routes require (`x-functions-key` header or `?code=`); undefined leaves them open.
   * Required, so that every caller decides.
   */
  functionKey: string | undefined;
  /** Default the real clock; tests use a virtual one (see emulators/functions). */
  clock?: 'real' | 'virtual';
  /** For an app entry that exports its composition root (tests passing the host's clock): see FunctionsHostOptions. */
  compose?: FunctionsHostOptions['compose'];
  /** Where a virtual clock starts (epoch ms or ISO 8601 with offset). */
  startAt?: number | string;
  /** Folder for `azurite/` and `runtime/`; undefined keeps everything in memory (the demo). */
  dataDir?: string;
  /** Simulator latency for the embedded tenant (default realistic). */
  graphLatency?: 'realistic' | 'none';
  /** Runtime invocation log; default none. */
  log?: (line: string) => void;
  /** Activities running at once; default host.json's maxConcurrentActivityFunctions (the runtime reads it). */
  maxConcurrentActivities?: number;
}

export type GraphInUse =
  | { kind: 'embedded'; baseUrl: string; controlUrl: string; simulator: GraphSimulator; notes: string[] }
  | { kind: 'external'; baseUrl: string };

export type StorageInUse =
  | { kind: 'azurite'; blobEndpoint: string; location: string | undefined; azurite: LocalAzurite }
  | { kind: 'external'; description: string };

export interface LocalStack {
  readonly baseUrl: string;
  readonly host: FunctionsHost;
  readonly graph: GraphInUse;
  readonly storage: StorageInUse;
  readonly runtimeDir: string | undefined;
  /** Settings handed to the app: the storage and Graph the stack chose, and the defaults of settings left unset. */
  readonly appSettings: Settings;
  /** The function key the runtime requires, if any. */
  readonly functionKey: string | undefined;
  /** Stops the runtime, then the simulator and Azurite. Safe to call twice. */
  stop(): Promise<void>;
}

/** A loopback Graph that nobody answers on is almost always a simulator the user forgot to start. */
async function assertReachable(baseUrl: string): Promise<void> {
  try {
    await fetch(`${baseUrl.replace(/\/+$/, '')}/organization`, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
    throw new Error(
      `GRAPH_BASE_URL is ${baseUrl}, but nothing answers there (${cause}). Start the simulator with ` +
        '`npm run simulator -- --port <port>`, or remove GRAPH_BASE_URL (local.settings.json and the environment) ' +
        'to use the embedded demo tenant.',
    );
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    // Last started, first stopped: the runtime goes before the storage and Graph it uses.
    for (const stop of stoppers.splice(0).reverse()) await stop();
  };
  try {
    if (options.dataDir) {
      const lock = lockDataFolder(options.dataDir);
      stoppers.push(() => Promise.resolve(lock.release()));
    }
    const appSettings: Settings = { ...options.settings };
    // Checked first: a forgotten simulator should fail the start at once, before anything was started.
    const graphChoice = chooseGraph(options.settings);
    if (graphChoice.kind === 'external' && graphChoice.loopback) await assertReachable(graphChoice.baseUrl);

    let storage: StorageInUse;
    const storageChoice = chooseStorage(options.settings);
    if (storageChoice.kind === 'azurite') {
      const location = options.dataDir ? path.join(options.dataDir, 'azurite') : undefined;
      const azurite = await startLocalAzurite(location ? { location } : {});
      stoppers.push(() => azurite.stop());
      storage = { kind: 'azurite', blobEndpoint: azurite.blobEndpoint, location, azurite };
      appSettings.AzureWebJobsStorage = azurite.connectionString;
    } else {
      storage = storageChoice;
    }

    let graph: GraphInUse;
    if (graphChoice.kind === 'embedded') {
      // As strict as Graph (lag, stray 429s, plan rules, app roles), for a deployment with every feature on: the
      // README's first example sets usage locations.
      const simulator = await startGraphSimulator({
        scenario: 'demo',
        latency: options.graphLatency ?? 'realistic',
        grantedRoles: requiredAppRoles(Object.keys(GRAPH_FEATURES) as GraphFeature[]),
      });
      stoppers.push(() => simulator.stop());
      graph = {
        kind: 'embedded',
        baseUrl: simulator.baseUrl,
        controlUrl: simulator.controlUrl,
        simulator,
        notes: graphChoice.notes,
      };
      appSettings.GRAPH_BASE_URL = simulator.baseUrl;
      appSettings.GRAPH_AUTH = 'none';
    } else {
      graph = { kind: 'external', baseUrl: graphChoice.baseUrl };
      // A local simulator takes no credentials; the app's default (managed identity) would refuse plain http.
      if (graphChoice.loopback && !appSettings.GRAPH_AUTH?.trim()) appSettings.GRAPH_AUTH = 'none';
    }

    const runtimeDir = options.dataDir ? path.join(options.dataDir, 'runtime') : undefined;
    const handed = withAppDefaults(appSettings);
    const host = await startFunctionsHost({
      appEntry: options.appEntry,
      ...(options.compose ? { compose: options.compose } : {}),
      port: options.port,
      clock: options.clock ?? 'real',
      ...(options.startAt !== undefined ? { startAt: options.startAt } : {}),
      ...(options.functionKey !== undefined ? { functionKey: options.functionKey } : {}),
      env: handed,
      log: options.log ?? (() => undefined),
      ...(runtimeDir ? { persistenceDir: runtimeDir } : {}),
      ...(options.maxConcurrentActivities ? { maxConcurrentActivities: options.maxConcurrentActivities } : {}),
    });
    stoppers.push(() => host.stop());

    return {
      baseUrl: host.baseUrl,
      host,
      graph,
      storage,
      runtimeDir,
      appSettings: handed,
      functionKey: options.functionKey,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
