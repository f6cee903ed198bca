import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { format } from 'node:util';
import type { InvocationContextLike, LoadedApp, RegisteredFunction } from './loader';

export type LogSink = (line: string) => void;

/** Builds a fresh InvocationContext per call (from the app's own @azure/functions) and logs the invocation. */
export class Invoker {
  constructor(
    private readonly app: LoadedApp,
    private readonly log: LogSink,
    private readonly durableClientData: () => unknown,
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
    try {
      const result = await fn.callback(triggerValue, context);
      const outcome = options.outcomeOf?.(result) ?? 'Succeeded';
      this.#logDone(fn, context.invocationId, started, outcome);
      return result;
    } catch (error) {
      this.#logDone(fn, context.invocationId, started, `Failed: ${firstLine(error)}`);
      throw error;
    }
  }

  #logDone(fn: RegisteredFunction, invocationId: string, started: number, outcome: string): void {
    const duration = Math.round(performance.now() - started);
    this.log(`Executed 'Functions.${fn.name}' (${outcome}, Id=${invocationId}, Duration=${duration}ms)`);
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? '';
}
