import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { currentDate } from '../clock';
import type { AppDeps } from '../deps';
import { errorMessage } from '../domain/values';
import { startMigration } from '../migrations/start';
import { getMigrationView } from '../migrations/view';
import { ScheduleRepository } from '../schedules/repository';
import { runScheduleTimer } from '../schedules/timer';
import { tenantTelemetry } from '../telemetry';

/**
 * Starts the scheduled waves that are due (MIGRATION_SCHEDULE, every 5 minutes by default), tenant by tenant: each
 * registered tenant's schedules live under it and start runs only in it. A tenant without consent is passed over
 * (its schedules wait) and one tenant's failure never stops the others.
 */
export function registerScheduleTimer(deps: AppDeps): void {
  app.timer('scheduleTimer', {
    schedule: '%MIGRATION_SCHEDULE%',
    extraInputs: [df.input.durableClient()],
    handler: async (timer: Timer, context: InvocationContext) => {
      const client = df.getClient(context);
      const http = { client, store: deps.store, clock: deps.clock, settings: deps.settings };
      const homeTenantId = deps.tenants.homeTenantId;
      for (const tenant of await deps.tenants.list()) {
        if (!tenant.home && tenant.consent.status !== 'granted') continue;
        const tenantId = tenant.home ? undefined : tenant.tenantId;
        try {
          await runScheduleTimer(
            {
              repository: new ScheduleRepository(deps.store, tenantId),
              startMigration: (request, options) =>
                startMigration(http, request, { ...options, ...(tenantId ? { tenantId } : {}), homeTenantId }),
              migration: (id) => getMigrationView(http, id, ''),
              telemetry: tenantTelemetry(deps.telemetry, tenant.tenantId),
              now: () => currentDate(deps.clock),
              log: (line) => context.log(line),
            },
            timer,
          );
        } catch (error) {
          context.log(
            JSON.stringify({
              level: 'error',
              message: 'schedule timer failed',
              tenantId: tenant.tenantId,
              error: errorMessage(error),
            }),
          );
        }
      }
    },
  });
}
