import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { startMigration } from '../migrations/start';
import { getMigrationView } from '../migrations/view';
import { scheduleNow } from '../schedules/clock';
import { ScheduleRepository } from '../schedules/repository';
import { runScheduleTimer } from '../schedules/timer';
import { telemetry } from '../telemetry';
import { appStore } from './dependencies';

/** Starts the scheduled waves that are due (MIGRATION_SCHEDULE, every 5 minutes by default). */
export async function scheduleTimer(timer: Timer, context: InvocationContext): Promise<void> {
  const client = df.getClient(context);
  const store = appStore();
  await runScheduleTimer(
    {
      repository: new ScheduleRepository(store),
      startMigration: (request, options) => startMigration({ client, store, now: scheduleNow }, request, options),
      migration: (id) => getMigrationView(client, id, '', scheduleNow()),
      telemetry: telemetry(),
      now: scheduleNow,
      log: (line) => context.log(line),
    },
    timer,
  );
}

app.timer('scheduleTimer', {
  schedule: '%MIGRATION_SCHEDULE%',
  extraInputs: [df.input.durableClient()],
  handler: scheduleTimer,
});
