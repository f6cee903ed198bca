/** Test-only function app: a timer trigger that records each firing by starting an orchestration. */
import type { Timer } from '@azure/functions';
import * as df from 'durable-functions';

/** Returns its input, so the instance list shows every timer object ScheduledStart received. */
// eslint-disable-next-line require-yield -- an orchestrator must be a generator even when it schedules nothing
df.app.orchestration('Recorded', function* (context) {
  return context.df.getInput<unknown>();
});

df.app.client.timer('ScheduledStart', {
  schedule: '0 0 0 * * *',
  handler: async (timer: Timer, client) => {
    await client.startNew('Recorded', {
      input: { isPastDue: timer.isPastDue, next: timer.scheduleStatus?.next, last: timer.scheduleStatus?.last },
    });
  },
});

/** Its schedule comes from an app setting, as the product's does. */
df.app.client.timer('SettingTick', {
  schedule: '%TICK_SCHEDULE%',
  handler: async (timer: Timer, client) => {
    await client.startNew('Recorded', { input: { setting: true, next: timer.scheduleStatus?.next } });
  },
});
