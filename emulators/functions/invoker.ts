import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { format } from 'node:util';
import type { InvocationContextLike, LoadedApp, RegisteredFunction } from './loader';

export type LogSink = (line: string) => void;

/** host.json functionTimeout: milliseconds, and the TimeSpan text the host prints. */
export interface FunctionTimeout {
  ms: number;
  text: string;
}

/**
 * What a function that ran past functionTimeout fails with (WebJobs SDK FunctionExecutor.TryHandleTimeoutAsync,
 * Microsoft.Azure.WebJobs.Host.FunctionTimeoutException).
 */
export class FunctionTimeoutError extends Error {
  override name = 'Microsoft.Azure.WebJobs.Host.FunctionTimeoutException';
}

/** Builds a fresh InvocationContext per call (from the app's own @azure/functions) and logs the invocation. */
export class Invoker {
  constructor(
    private readonly app: LoadedApp,
    private readonly log: LogSink,
    private readonly durableClientData: () => unknown,
    private readonly timeout?: FunctionTimeout,
  ) {}

  createContext(fn: RegisteredFunction, triggerMetadata?: Record<string, unknown>): InvocationContextLike {
    const inputs = fn.bindings.filter((binding) => binding.direction === 'in' && binding !== fn.trigger);
    const outputs = fn.bindings.filter((binding) => binding.direction === 'out' && binding.name !== '$return');
    const returnBinding = fn.bindings.find((binding) => binding.name === '$return');
    const context = new this.app.azureFunctions.InvocationContext({
      invocationId: randomUUID(),
      functionName: fn.name,
      triggerMetadata,
      logHandler: (level: string, ...args: unknown[]) => {
        const prefix = level === 'information' ? '' : `${level.toUpperCase()}: `;
        this.log(`[${fn.name}] ${prefix}${format(...args)}`);
      },
      options: { trigger: fn.trigger, extraInputs: inputs, extraOutputs: outputs, return: returnBinding },
    });
    if (fn.durableClientInput) context.extraInputs.set(fn.durableClientInput, this.durableClientData());
    return context;
  }

  /** Calls the function; one log line per invocation with its outcome and duration. */
  async invoke(
    fn: RegisteredFunction,
    triggerValue: unknown,
    options: { triggerMetadata?: Record<string, unknown>; outcomeOf?: (result: unknown) => string | undefined } = {},
  ): Promise<unknown> {
    const context = this.createContext(fn, options.triggerMetadata);
    const started = performance.now();
    // Hook contexts are the plain "init" objects the worker passes; @azure/functions wraps them and writes back.
    const { appHookData } = hookContextBase(this.app);
    const hookData: Record<string, unknown> = {};
    const pre = {
      hookData,
      appHookData,
      invocationContext: context,
      inputs: [triggerValue],
      functionCallback: fn.callback,
    };
    let result: unknown;
    let error: unknown;
    const run = (async () => {
      await this.#runHooks('preInvocation', pre);
      return await pre.functionCallback(...pre.inputs, context);
    })();
    try {
      result = await this.#withinTimeout(run, fn, context.invocationId);
    } catch (thrown) {
      if (thrown instanceof FunctionTimeoutError) {
        // The host gives up on the invocation (and recycles the worker); nothing it returns later is used.
        this.#logDone(fn, context.invocationId, started, `Failed: ${thrown.message}`);
        throw thrown;
      }
      error = thrown;
    }
    const post = { hookData, appHookData, invocationContext: context, inputs: pre.inputs, result, error };
    try {
      await this.#runHooks('postInvocation', post);
    } catch (thrown) {
      post.error = thrown;
    }
    if (post.error !== undefined) {
      this.#logDone(fn, context.invocationId, started, `Failed: ${firstLine(post.error)}`);
      throw toError(post.error);
    }
    this.#logDone(fn, context.invocationId, started, options.outcomeOf?.(post.result) ?? 'Succeeded');
    return post.result;
  }

  /** Node can't interrupt the function: past the timeout it keeps running, but the invocation fails without it. */
  #withinTimeout(run: Promise<unknown>, fn: RegisteredFunction, invocationId: string): Promise<unknown> {
    const timeout = this.timeout;
    if (timeout === undefined) return run;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.log(
          `Timeout value of ${timeout.text} exceeded by function 'Functions.${fn.name}' (Id: '${invocationId}'). Initiating cancellation.`,
        );
        reject(
          new FunctionTimeoutError(`Timeout value of ${timeout.text} was exceeded by function: Functions.${fn.name}`),
        );
      }, timeout.ms);
      timer.unref();
    });
    // A late failure of the abandoned invocation must not surface as an unhandled rejection.
    run.catch(() => {});
    return Promise.race([run, expired]).finally(() => clearTimeout(timer));
  }

  async #runHooks(name: 'preInvocation' | 'postInvocation', hookContext: Record<string, unknown>): Promise<void> {
    for (const hook of this.app.hooks) {
      if (hook.name === name) await hook.callback(hookContext);
    }
  }

  #logDone(fn: RegisteredFunction, invocationId: string, started: number, outcome: string): void {
    const duration = Math.round(performance.now() - started);
    this.log(`Executed 'Functions.${fn.name}' (${outcome}, Id=${invocationId}, Duration=${duration}ms)`);
  }
}

/** appHookData is shared by every hook of the app, as in the worker. */
const appHookDataByApp = new WeakMap<LoadedApp, Record<string, unknown>>();
export function hookContextBase(app: LoadedApp): { appHookData: Record<string, unknown> } {
  let appHookData = appHookDataByApp.get(app);
  if (!appHookData) {
    appHookData = {};
    appHookDataByApp.set(app, appHookData);
  }
  return { appHookData };
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? '';
}
