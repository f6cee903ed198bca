/**
 * Child-process script: imports a function module directly first (so @azure/functions settles into test mode and
 * the module is cached), then starts a host on that same module and calls it over HTTP.
 */
import * as path from 'node:path';
import { startFunctionsHost } from '../../../../emulators/functions';
import { ping } from './standalone-function';

async function main(): Promise<void> {
  const direct = ping();
  const host = await startFunctionsHost({
    appEntry: path.join(__dirname, 'standalone-function.ts'),
    port: 0,
    log: () => {},
  });
  const response = await fetch(`${host.baseUrl}/api/ping`);
  console.log(JSON.stringify({ direct: direct.body, status: response.status, body: await response.text() }));
  await host.stop();
}

void main();
