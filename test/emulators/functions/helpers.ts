import * as path from 'node:path';
import { startFunctionsHost, type FunctionsHost, type FunctionsHostOptions } from '../../../emulators/functions';
import { TEST_START_MS } from '../../support/clock';

export const DURABLE_APP = path.join(__dirname, 'apps', 'durable-app.ts');
export const HTTP_APP = path.join(__dirname, 'apps', 'http-app.ts');
export const TIMER_APP = path.join(__dirname, 'apps', 'timer-app.ts');
export const PARITY_APP = path.join(__dirname, 'apps', 'parity-app.ts');
export const TIMER_PARITY_APP = path.join(__dirname, 'apps', 'timer-parity-app.ts');

/** host.json of an app on the Durable Task Scheduler, as the product deploys (its own host.json says the same). */
export const DTS_HOST_JSON = {
  version: '2.0',
  extensions: { durableTask: { storageProvider: { type: 'azureManaged' } } },
};
/** host.json of an app on the Azure Storage provider. */
export const AZURE_STORAGE_HOST_JSON = {
  version: '2.0',
  extensions: { durableTask: { storageProvider: { type: 'AzureStorage' } } },
};

export const isDone = (s: { runtimeStatus: string }): boolean =>
  !['Pending', 'Running', 'Suspended'].includes(s.runtimeStatus);

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
