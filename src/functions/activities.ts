import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandlers } from '../activities';
import type { ActivityName } from '../domain/workflow';
import { invocationLogger } from '../telemetry';

/** Registers every activity under its contract name. */
export function registerActivities(handlers: ActivityHandlers): void {
  for (const name of Object.keys(handlers) as ActivityName[]) {
    // The durable runtime hands over the JSON the orchestrator sent for this name; the contract types it.
    const handler = handlers[name] as (input: unknown, log: ReturnType<typeof invocationLogger>) => Promise<unknown>;
    df.app.activity(name, {
      handler: (input: unknown, context: InvocationContext) => handler(input, invocationLogger(context)),
    });
  }
}
