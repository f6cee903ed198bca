/**
 * A function app for orchestrator unit tests: the real orchestrators, and activities the test scripts. The local
 * runtime loads this module and calls `createStubApp` with handlers built by the test (see ./harness.ts), so the
 * orchestrators run through the same replay as in production while every side effect is a stub.
 */
import type { ActivityHandlers } from '../../../src/activities';
import { registerActivities } from '../../../src/functions/activities';
import { registerOrchestrations } from '../../../src/functions/orchestrations';

export function createStubApp(handlers: ActivityHandlers): void {
  registerOrchestrations();
  registerActivities(handlers);
}
