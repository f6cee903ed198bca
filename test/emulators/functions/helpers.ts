import * as path from 'node:path';
import { startFunctionsHost, type FunctionsHost, type FunctionsHostOptions } from '../../../emulators/functions';
import { TEST_START_MS } from '../../support/clock';

export const DURABLE_APP = path.join(__dirname, 'apps', 'durable-app.ts');
export const HTTP_APP = path.join(__dirname, 'apps', 'http-app.ts');
export const TIMER_APP = path.join(__dirname, 'apps', 'timer-app.ts');

/** Starts a host on a free port with logs captured (not printed); a virtual clock starts at the test instant. */
export async function startTestHost(
  overrides: Partial<FunctionsHostOptions> = {},
): Promise<{ host: FunctionsHost; logs: string[] }> {
  const logs: string[] = [];
  const host = await startFunctionsHost({
    appEntry: DURABLE_APP,
    port: 0,
    clock: 'virtual',
    ...(overrides.clock === 'real' ? {} : { startAt: TEST_START_MS }),
    log: (line) => logs.push(line),
    ...overrides,
  });
  return { host, logs };
}
