import * as path from 'node:path';
import { startFunctionsHost, type FunctionsHost, type FunctionsHostOptions } from '../../../emulators/functions';

export const DURABLE_APP = path.join(__dirname, 'apps', 'durable-app.ts');
export const HTTP_APP = path.join(__dirname, 'apps', 'http-app.ts');
export const TIMER_APP = path.join(__dirname, 'apps', 'timer-app.ts');

/** Starts a host on a free port with logs captured (not printed). */
export async function startTestHost(
  overrides: Partial<FunctionsHostOptions> = {},
): Promise<{ host: FunctionsHost; logs: string[] }> {
  const logs: string[] = [];
  const host = await startFunctionsHost({
    appEntry: DURABLE_APP,
    port: 0,
    clock: 'virtual',
    log: (line) => logs.push(line),
    ...overrides,
  });
  return { host, logs };
}
