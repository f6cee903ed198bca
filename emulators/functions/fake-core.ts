/**
 * Stand-in for the `@azure/functions-core` module that the Azure Functions Node worker injects into the
 * process. `@azure/functions` calls it to register functions and hooks; we record those calls in the
 * registration sink of the host that is loading the app (bound when this module is instantiated).
 *
 * Outside a host (e.g. a unit test importing a function file directly) loading fails, which is exactly how
 * `@azure/functions` detects "no runtime" and switches to its test mode.
 */
import {
  currentRegistrationSink,
  type CoreFunctionCallback,
  type CoreFunctionMetadata,
  type CoreHookCallback,
  type RegistrationSink,
} from './registration-sink';

const sinkAtLoad = currentRegistrationSink();
if (!sinkAtLoad) {
  throw new Error('@azure/functions-core is only available inside the local Functions host.');
}
const sink: RegistrationSink = sinkAtLoad;

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
  const entry = { name: hookName, callback };
  sink.hooks.push(entry);
  return new Disposable(() => {
    const index = sink.hooks.indexOf(entry);
    if (index >= 0) sink.hooks.splice(index, 1);
  });
}

export function setProgrammingModel(programmingModel: unknown): void {
  sink.programmingModel = programmingModel;
}

export function getProgrammingModel(): unknown {
  return sink.programmingModel;
}

export function log(level: string, category: string, message: string): void {
  sink.log(level, category, message);
}
