/** Prints local.settings.sample.json from the settings list: `npx tsx scripts/print-local-settings.ts > local.settings.sample.json`. */
import { APP_SETTINGS } from '../src/config/settings';

const values: Record<string, string> = {
  FUNCTIONS_WORKER_RUNTIME: 'node',
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=http://localhost:8080;Authentication=None',
};
for (const setting of APP_SETTINGS) {
  if (setting.secret) continue;
  values[setting.name] = setting.localValue;
}
process.stdout.write(JSON.stringify({ IsEncrypted: false, Values: values }, null, 2) + '\n');
