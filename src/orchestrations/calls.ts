/**
 * Typed calls from orchestrations to activities and sub-orchestrations: the name picks the input and result types
 * from the contracts in `src/domain/workflow.ts`, so orchestrator code never casts a result.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type {
  ActivityInput,
  ActivityName,
  ActivityOutput,
  OrchestratorContracts,
  OrchestratorName,
} from '../domain/workflow';

declare const resultType: unique symbol;

/** A durable task whose result has the type `T` (a compile-time tag only). */
export type TypedTask<T> = Task & { readonly [resultType]?: T };

/** Activities that only read or record are retried by the host on transient failures. */
export const readRetry = new df.RetryOptions(5_000, 4);
readRetry.backoffCoefficient = 2;

/**
 * Batch activities are idempotent (each re-reads its users and only makes them hold what the plan says), so the host
 * may retry a batch that crashed or timed out; per-user Graph failures are results, not activity failures.
 */
export const batchRetry = new df.RetryOptions(10_000, 3);
batchRetry.backoffCoefficient = 2;

export function activityTask<N extends ActivityName>(
  context: OrchestrationContext,
  name: N,
  input: ActivityInput<N>,
  retry: df.RetryOptions = readRetry,
): TypedTask<ActivityOutput<N>> {
  return context.df.callActivityWithRetry(name, retry, input);
}

export function* callActivity<N extends ActivityName>(
  context: OrchestrationContext,
  name: N,
  input: ActivityInput<N>,
  retry: df.RetryOptions = readRetry,
): Generator<Task, ActivityOutput<N>, unknown> {
  return yield* result(activityTask(context, name, input, retry));
}

export function* callSubOrchestrator<N extends OrchestratorName>(
  context: OrchestrationContext,
  name: N,
  input: OrchestratorContracts[N]['input'],
  instanceId: string,
): Generator<Task, OrchestratorContracts[N]['output'], unknown> {
  const task: TypedTask<OrchestratorContracts[N]['output']> = context.df.callSubOrchestrator(name, input, instanceId);
  return yield* result(task);
}

export function* whenAll<T>(context: OrchestrationContext, tasks: TypedTask<T>[]): Generator<Task, T[], unknown> {
  // The contract types each task's result; Task.all resolves to those results in order.
  return (yield context.df.Task.all(tasks)) as T[];
}

function* result<T>(task: TypedTask<T>): Generator<Task, T, unknown> {
  // The task was created from a contract entry (see above), which is what the registered handler returns.
  return (yield task) as T;
}
