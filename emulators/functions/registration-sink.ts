/**
 * Where the `@azure/functions-core` stand-in (`fake-core.ts`) records registrations. The sink lives on `globalThis`
 * because the stand-in may be instantiated more than once (jest isolates module registries per loaded app).
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

/** Used by the loader: directs registrations to `sink` while an app module loads. */
export function installRegistrationSink(sink: RegistrationSink | undefined): void {
  (globalThis as Record<symbol, RegistrationSink | undefined>)[SINK_KEY] = sink;
}

export function currentRegistrationSink(): RegistrationSink | undefined {
  return (globalThis as Record<symbol, RegistrationSink | undefined>)[SINK_KEY];
}
