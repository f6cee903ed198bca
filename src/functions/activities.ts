import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { cleanupBatch, reassignBatch, verifyBatch } from '../activities/batches';
import type { ActivityLogger } from '../activities/deps';
import { finalizeMigration, recordStage } from '../activities/finalize';
import { checkLicenses } from '../activities/licenses';
import { planMigration } from '../activities/plan';
import { Activities } from '../domain/workflow';
import { activityDeps } from './dependencies';

function logger(context: InvocationContext): ActivityLogger {
  return {
    info: (message, properties) => context.log(JSON.stringify({ message, ...properties })),
    warn: (message, properties) => context.warn(JSON.stringify({ message, ...properties })),
  };
}

/** Registers an activity whose handler takes the app's dependencies first. */
function register<I, O>(
  name: string,
  handler: (deps: ReturnType<typeof activityDeps>, input: I) => O | Promise<O>,
): void {
  df.app.activity(name, {
    handler: (input: unknown, context: InvocationContext) => handler(activityDeps(logger(context)), input as I),
  });
}

register(Activities.plan, planMigration);
register(Activities.checkLicenses, checkLicenses);
register(Activities.reassignBatch, reassignBatch);
register(Activities.verifyBatch, verifyBatch);
register(Activities.cleanupBatch, cleanupBatch);
register(Activities.recordStage, recordStage);
register(Activities.finalize, finalizeMigration);
