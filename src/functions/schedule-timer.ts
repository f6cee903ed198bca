import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { currentDate } from '../clock';
import type { AppDeps } from '../deps';
import { startMigration } from '../migrations/start';
import { getMigrationView } from '../migrations/view';
import { ScheduleRepository } from '../schedules/repository';
import { runScheduleTimer } from '../schedules/timer';

/** Starts the scheduled waves that are due (MIGRATION_SCHEDULE, every 5 minutes by default). */
export function registerScheduleTimer(deps: AppDeps): void {
  const repository = new ScheduleRepository(deps.store);
  app.timer('scheduleTimer', {
    schedule: '%MIGRATION_SCHEDULE%',
    extraInputs: [df.input.durableClient()],
    handler: async (timer: Timer, context: InvocationContext) => {
      const client = df.getClient(context);
      const http = { client, store: deps.store, clock: deps.clock, settings: deps.settings };
      await runScheduleTimer(
        {
          repository,
          startMigration: (request, options) => startMigration(http, request, options),
          migration: (id) => getMigrationView(http, id, ''),
          telemetry: deps.telemetry,
          now: () => currentDate(deps.clock),
          log: (line) => context.log(line),
        },
        timer,
      );
    },
  });
}
