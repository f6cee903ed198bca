/**
 * Runs any function app on the local runtime:
 *   node dist/emulators/functions/cli.js [--app dist/src/index.js] [--port 7071] [--data .data/runtime] [--key K] [--clock real|virtual]
 *     [--host-json path/to/host.json]
 * Settings come from local.settings.json ("Values") in the working directory, then the environment (which wins).
 * host.json is the app's own (next to its package.json) unless --host-json names another.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startFunctionsHost } from './index';

function readLocalSettings(directory: string): Record<string, string> {
  const file = path.join(directory, 'local.settings.json');
  if (!fs.existsSync(file)) return {};
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(parsed.Values ?? {}).map(([name, value]) => [name, String(value)]));
}

function defaultAppEntry(directory: string): string {
  const manifest = path.join(directory, 'package.json');
  const main = fs.existsSync(manifest)
    ? (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { main?: string }).main
    : undefined;
  return main ?? 'dist/src/index.js';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      key: { type: 'string' },
      clock: { type: 'string' },
      'host-json': { type: 'string' },
    },
  });
  const cwd = process.cwd();
  const settings = readLocalSettings(cwd);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings)) if (process.env[name] === undefined) env[name] = value;
  const port = Number(values.port ?? process.env.PORT ?? settings.PORT ?? 7071);
  if (!Number.isInteger(port) || port < 0) throw new Error(`Invalid port: ${values.port ?? process.env.PORT}`);
  const clock = values.clock === 'virtual' ? 'virtual' : 'real';
  const host = await startFunctionsHost({
    appEntry: path.resolve(cwd, values.app ?? defaultAppEntry(cwd)),
    port,
    clock,
    env,
    ...(values.data ? { persistenceDir: path.resolve(cwd, values.data) } : {}),
    ...(values.key ? { functionKey: values.key } : {}),
    ...(values['host-json'] ? { hostJson: path.resolve(cwd, values['host-json']) } : {}),
  });
  console.log(`Functions host listening on ${host.baseUrl}`);
  console.log(`host.json: ${host.settings.hostConfig.source}`);
  console.log('Functions:');
  for (const line of host.describeRoutes()) console.log(`  ${line}`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, stopping the host.`);
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
