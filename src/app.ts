/**
 * The composition root: `createApp` builds the app's dependencies (or takes the ones given), builds every activity
 * once from them, and registers every trigger. The Functions host runs it through src/index.ts with production
 * dependencies; tests and the local runtime call it with their own clock, telemetry, Graph or storage.
 */
import { app } from '@azure/functions';
import { createActivities } from './activities';
import { buildAppDeps, type AppDeps, type AppOptions } from './deps';
import { registerActivities } from './functions/activities';
import { registerDashboard } from './functions/dashboard';
import { registerHealth } from './functions/health';
import { ledgerReservations, registerInventoryRoutes } from './functions/inventory';
import { registerLinkedRunRoutes } from './functions/linked-runs';
import { registerMigrationRoutes } from './functions/migrations';
import { registerOpenApi } from './functions/openapi';
import { registerOrchestrations } from './functions/orchestrations';
import { registerPreviewRoute } from './functions/preview';
import { registerScheduleTimer } from './functions/schedule-timer';
import { registerScheduleRoutes } from './functions/schedules';
import { registerTenantRoutes } from './functions/tenants';

export type { AppDeps, AppOptions } from './deps';

export function createApp(options: AppOptions): AppDeps {
  const deps = buildAppDeps(options);
  app.setup({ enableHttpStream: false });
  registerHealth();
  registerOrchestrations();
  registerActivities(createActivities(deps));
  registerMigrationRoutes(deps);
  registerLinkedRunRoutes(deps);
  registerScheduleRoutes(deps);
  registerInventoryRoutes(deps, { reservations: ledgerReservations(deps) });
  registerPreviewRoute(deps);
  registerOpenApi(deps);
  registerScheduleTimer(deps);
  registerTenantRoutes(deps);
  registerDashboard(deps);
  // An instance that scales in must not lose the last events of a run (Migration.Finished, say).
  app.hook.appTerminate(() => deps.telemetry.flush());
  return deps;
}
