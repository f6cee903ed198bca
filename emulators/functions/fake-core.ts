/**
 * Stand-in for the `@azure/functions-core` module that the Azure Functions Node worker injects into the
 * process. `@azure/functions` calls it to register functions and hooks; we record those calls in the
 * registration sink of the host that is currently loading an app. The sink lives on `globalThis` because
 * this module may be instantiated more than once (jest isolates module registries per loaded app).
 */
export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';

export interface CoreBindingInfo {
  type: string;
  direction: 'in' | 'out' | 'inout';
  name?: string;
  [option: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBindingInfo>;
  retryOptions?: unknown;
}

/** The raw handler `@azure/functions` registers: (trigger value, InvocationContext) => result. */
export type CoreFunctionCallback = (...args: unknown[]) => unknown;
export type CoreHookCallback = (context: Record<string, unknown>) => unknown;

export interface RegistrationSink {
  readonly functions: Map<string, { metadata: CoreFunctionMetadata; callback: CoreFunctionCallback }>;
  readonly hooks: { name: string; callback: CoreHookCallback }[];
  programmingModel?: unknown;
  /** Set once startup is over: the real worker rejects registrations after that. */
  locked: boolean;
  log(level: string, category: string, message: string): void;
}

const SINK_KEY = Symbol.for('license-shift.functions-core.sink');

/** Bound on first use, i.e. while the app loads, so a later host loading another app doesn't steal its logs. */
let boundSink: RegistrationSink | undefined;

function currentSink(): RegistrationSink {
  boundSink ??= (globalThis as Record<symbol, RegistrationSink | undefined>)[SINK_KEY];
  if (!boundSink) {
    throw new Error('@azure/functions-core was used while no local Functions host is loading an app.');
  }
  return boundSink;
}

/** Used by the loader: directs registrations to `sink` while an app module loads. */
export function installRegistrationSink(sink: RegistrationSink | undefined): void {
  (globalThis as Record<symbol, RegistrationSink | undefined>)[SINK_KEY] = sink;
}

export const version = '3.10.1';
export const hostVersion = '4.1037.0';

export class Disposable {
  #onDispose: (() => void) | undefined;
  constructor(onDispose: () => void) {
    this.#onDispose = onDispose;
  }
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  dispose(): void {
    this.#onDispose?.();
    this.#onDispose = undefined;
  }
}

export function registerFunction(metadata: CoreFunctionMetadata, callback: CoreFunctionCallback): Disposable {
  const sink = currentSink();
  if (sink.locked) {
    throw new Error(`A function can only be registered during app startup (tried to register "${metadata.name}").`);
  }
  const key = metadata.name.toLowerCase();
  if (sink.functions.has(key)) {
    throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
  }
  sink.functions.set(key, { metadata, callback });
  return new Disposable(() => sink.functions.delete(key));
}

export function registerHook(hookName: string, callback: CoreHookCallback): Disposable {
  const sink = currentSink();
  const entry = { name: hookName, callback };
  sink.hooks.push(entry);
  return new Disposable(() => {
    const index = sink.hooks.indexOf(entry);
    if (index >= 0) sink.hooks.splice(index, 1);
  });
}

export function setProgrammingModel(programmingModel: unknown): void {
  currentSink().programmingModel = programmingModel;
}

export function getProgrammingModel(): unknown {
  return currentSink().programmingModel;
}

export function log(level: string, category: string, message: string): void {
  currentSink().log(level, category, message);
}
