import Module, { createRequire } from 'node:module';
import * as path from 'node:path';
import {
  installRegistrationSink,
  type CoreBindingInfo,
  type CoreFunctionCallback,
  type CoreHookCallback,
  type RegistrationSink,
} from './registration-sink';

/** The parts of the app's own copy of `@azure/functions` the host uses to build invocation objects. */
export interface AzureFunctionsModule {
  InvocationContext: new (init: Record<string, unknown>) => InvocationContextLike;
  HttpRequest: new (init: Record<string, unknown>) => unknown;
  HttpResponse: new (init?: Record<string, unknown>) => HttpResponseLike;
}

export interface InvocationContextLike {
  invocationId: string;
  functionName: string;
  extraInputs: { set(input: unknown, value: unknown): void };
}

export interface HttpResponseLike {
  status: number;
  headers: Headers;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type FunctionKind = 'http' | 'timer' | 'orchestration' | 'activity' | 'entity' | 'other';

export interface RegisteredFunction {
  name: string;
  kind: FunctionKind;
  trigger: CoreBindingInfo & { name: string };
  /** Every binding, with its (random) binding name, as the worker would hand them to the host. */
  bindings: (CoreBindingInfo & { name: string })[];
  durableClientInput?: CoreBindingInfo & { name: string };
  callback: CoreFunctionCallback;
}

export interface LoadedApp {
  functions: Map<string, RegisteredFunction>;
  hooks: { name: string; callback: CoreHookCallback }[];
  azureFunctions: AzureFunctionsModule;
  unload(): void;
}

const TRIGGER_KINDS: Record<string, FunctionKind> = {
  httpTrigger: 'http',
  timerTrigger: 'timer',
  orchestrationTrigger: 'orchestration',
  activityTrigger: 'activity',
  entityTrigger: 'entity',
};

/** Under jest, modules receive `jest` as a module-scoped variable; it is absent under plain node. */
declare const jest: { isolateModules(fn: () => void): void } | undefined;

let resolverInstalled = false;
const FAKE_CORE_REQUEST = '@azure/functions-core';

/** Plain node: answer `require('@azure/functions-core')` with our stand-in, as the worker's own hook does. */
function installCoreResolver(): string {
  const fakeCorePath = require.resolve('./fake-core');
  if (resolverInstalled) return fakeCorePath;
  resolverInstalled = true;
  const internals = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = internals._resolveFilename;
  internals._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (request === FAKE_CORE_REQUEST) return fakeCorePath;
    return original.call(this, request, ...rest);
  };
  return fakeCorePath;
}

const FUNCTION_LIBRARIES = [
  `${path.sep}node_modules${path.sep}@azure${path.sep}functions${path.sep}`,
  `${path.sep}node_modules${path.sep}durable-functions${path.sep}`,
];

/**
 * Plain node: if something in this process already loaded the app's files or the functions libraries (a script that
 * imports a function module, say), those cached copies registered nowhere (or in test mode) and would not run again.
 * Drop them, and the files under the app entry's folder, so the app loads and registers afresh.
 */
function forgetEarlierCopies(appEntry: string): void {
  const appRoot = path.dirname(appEntry);
  const ownDirectory = __dirname + path.sep;
  for (const key of Object.keys(require.cache)) {
    const isLibrary = FUNCTION_LIBRARIES.some((library) => key.includes(library));
    const isAppSource =
      key.startsWith(appRoot + path.sep) &&
      !key.includes(`${path.sep}node_modules${path.sep}`) &&
      !key.startsWith(ownDirectory);
    if (isLibrary || isAppSource) delete require.cache[key];
  }
}

/**
 * How the app registers its functions: by loading its entry module (the way the Functions host runs it), or, for a
 * module that exports a composition root, by calling that export with the given dependencies.
 */
export interface AppComposition {
  /** The module's export to call, e.g. `createApp`. */
  exportName: string;
  /** Its argument: the dependencies tests and the local runtime pass through the app's own door. */
  argument: unknown;
}

/** A module's export, called inside the registry the app is loaded in (so it registers into this host's sink). */
function compose(loaded: unknown, appEntry: string, composition: AppComposition): void {
  const factory = (loaded as Record<string, unknown> | undefined)?.[composition.exportName];
  if (typeof factory !== 'function') {
    throw new Error(`${appEntry} does not export a function named ${composition.exportName}.`);
  }
  (factory as (argument: unknown) => unknown)(composition.argument);
}

/**
 * Loads the app module so that its registrations land in a fresh sink, and returns them together with the
 * app's own `@azure/functions` module. Each call loads fresh copies of the app and its libraries.
 */
export function loadApp(
  appEntry: string,
  log: (level: string, message: string) => void,
  composition?: AppComposition,
): LoadedApp {
  const sink: RegistrationSink = {
    functions: new Map(),
    hooks: [],
    locked: false,
    log: (level, category, message) => log(level, `[${category}] ${message}`),
  };
  let azureFunctions: AzureFunctionsModule | undefined;
  let unload = (): void => {};
  installRegistrationSink(sink);
  try {
    if (typeof jest !== 'undefined' && typeof jest.isolateModules === 'function') {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load inside the isolated registry
        const loaded: unknown = require(appEntry);
        if (composition) compose(loaded, appEntry, composition);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        azureFunctions = require('@azure/functions') as AzureFunctionsModule;
      });
    } else {
      const fakeCorePath = installCoreResolver();
      // A fresh stand-in per app load: it binds to the sink of the host that loads it.
      delete require.cache[fakeCorePath];
      forgetEarlierCopies(path.resolve(appEntry));
      const before = new Set(Object.keys(require.cache));
      const appRequire = createRequire(path.resolve(appEntry));
      const loaded: unknown = appRequire(path.resolve(appEntry));
      if (composition) compose(loaded, appEntry, composition);
      azureFunctions = appRequire('@azure/functions') as AzureFunctionsModule;
      unload = () => {
        // Forget every module the app brought in so the next host in this process loads it afresh.
        for (const key of Object.keys(require.cache)) if (!before.has(key)) delete require.cache[key];
      };
    }
  } finally {
    installRegistrationSink(undefined);
  }
  sink.locked = true;

  const functions = new Map<string, RegisteredFunction>();
  for (const { metadata, callback } of sink.functions.values()) {
    const bindings = Object.entries(metadata.bindings).map(([name, binding]) => ({ ...binding, name }));
    const trigger = bindings.find((binding) => binding.direction === 'in' && binding.type.endsWith('Trigger'));
    if (!trigger) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
    const durableClientInput = bindings.find(
      (binding) =>
        binding.direction === 'in' && (binding.type === 'durableClient' || binding.type === 'orchestrationClient'),
    );
    functions.set(metadata.name.toLowerCase(), {
      name: metadata.name,
      kind: TRIGGER_KINDS[trigger.type] ?? 'other',
      trigger,
      bindings,
      ...(durableClientInput ? { durableClientInput } : {}),
      callback,
    });
  }
  if (!azureFunctions) throw new Error(`Could not load @azure/functions for ${appEntry}.`);
  return { functions, hooks: sink.hooks, azureFunctions, unload };
}
