/**
 * `npm start`: license-shift on this machine, no Azure needed.
 *   node dist/emulators/local/start.js [--port 7071] [--data .data] [--app dist/src/index.js] [--quiet] [--no-auth]
 * Settings: local.settings.json `Values` in the working directory, then the environment (which wins).
 * The API needs a function key, as in Azure: a new one each start (printed once), or LICENSE_SHIFT_LOCAL_KEY.
 * See docs/local.md.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalStack, type LocalStack } from './stack';
import {
  chooseLocalAuth,
  launcherOptions,
  LOCAL_KEY_SETTING,
  mergeSettings,
  readLocalSettingsFile,
  type LocalAuth,
} from './settings';

const FINISHED = new Set(['completed', 'completedWithErrors', 'needsAttention', 'cancelled', 'rejected', 'failed']);

/** From the sources (tsx) the app is src/index.ts; from dist it is the compiled dist/src/index.js. */
function locations(): { rootDir: string; appEntry: string } {
  if (__filename.endsWith('.ts')) {
    const rootDir = path.resolve(__dirname, '../..');
    return { rootDir, appEntry: path.join(rootDir, 'src/index.ts') };
  }
  const rootDir = path.resolve(__dirname, '../../..');
  return { rootDir, appEntry: path.join(rootDir, 'dist/src/index.js') };
}

const EXAMPLE_REQUEST = {
  moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
  usageLocation: 'US',
  waitForLicenses: { pollInterval: 'PT10S' },
};

/** Relative to the working directory when inside it, absolute otherwise. */
function displayPath(cwd: string, folder: string): string {
  const relative = path.relative(cwd, folder);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? folder : relative;
}

function describe(stack: LocalStack, auth: LocalAuth, cwd: string): string[] {
  const shown = (folder: string | undefined): string => (folder ? displayPath(cwd, folder) : 'memory');
  const lines = ['', `license-shift is running at ${stack.baseUrl}`, ''];
  if (stack.storage.kind === 'azurite') {
    lines.push(
      `Storage: Azurite (child process ${stack.storage.azurite.process.pid ?? '?'}) at ${stack.storage.blobEndpoint}, ` +
        `data in ${shown(stack.storage.location)}`,
    );
  } else {
    lines.push(`Storage: ${stack.storage.description}`);
  }
  if (stack.graph.kind === 'embedded') {
    const tenant = stack.graph.simulator.tenant;
    lines.push(
      `Graph: embedded simulator, demo tenant ${tenant.organization.displayName} (${tenant.users.size} users) at ` +
        `${stack.graph.baseUrl}; control API at ${stack.graph.controlUrl}`,
      '       (the embedded tenant lives in memory and starts fresh each time; GRAPH_AUTH=none)',
    );
    for (const note of stack.graph.notes) lines.push(`       Note: ${note}`);
  } else {
    lines.push(`Graph: ${stack.graph.baseUrl} (GRAPH_AUTH=${stack.appSettings.GRAPH_AUTH ?? 'managedIdentity'})`);
  }
  lines.push(`Runtime: local Functions + Durable runtime, real clock, state in ${shown(stack.runtimeDir)}`, '');
  lines.push('Functions:');
  for (const line of stack.host.describeRoutes()) lines.push(`  ${line}`);
  lines.push('');
  // The key goes into the ready-to-paste lines through a shell variable, so it is printed in two places only.
  const header = auth.kind === 'key' ? ` -H "x-functions-key: $KEY"` : '';
  if (auth.kind === 'key') {
    lines.push(
      auth.source === 'generated'
        ? `Function key (new each start; set ${LOCAL_KEY_SETTING} for a fixed one). Every API call needs it:`
        : `Function key (from ${LOCAL_KEY_SETTING}). Every API call needs it:`,
      `  export KEY=${auth.key}`,
    );
  } else {
    lines.push(
      'WARNING: --no-auth: the API takes requests without a function key. Any program on this machine, and any web ' +
        'page open in a browser here, can start, approve or cancel migrations.',
    );
    if (auth.ignoredKey) lines.push(`         ${LOCAL_KEY_SETTING} is ignored.`);
  }
  lines.push(
    '',
    'Start a migration (all Business Standard users to Business Premium):',
    `  curl -i -X POST ${stack.baseUrl}/api/migrations${header} -H 'content-type: application/json' \\`,
    `    -d '${JSON.stringify(EXAMPLE_REQUEST)}'`,
    `Follow it:  curl${header} ${stack.baseUrl}/api/migrations/<id>`,
    `Report:     curl${header} ${stack.baseUrl}/api/migrations/<id>/report   (add ?format=csv for CSV)`,
    `Dashboard:  ${stack.baseUrl}/api/dashboard${auth.kind === 'key' ? `?code=${auth.key}` : ''}`,
  );
  if (stack.graph.kind === 'embedded') {
    lines.push(
      `Land the purchase (add Business Premium seats in the demo tenant):`,
      `  curl -X PATCH ${stack.graph.controlUrl}/skus/SPB -H 'content-type: application/json' -d '{"prepaidUnits":60}'`,
    );
  }
  return lines;
}

/** Running migrations from an earlier run continue by themselves; say so, so nobody starts them again. */
async function describeResumed(baseUrl: string, functionKey: string | undefined): Promise<string | undefined> {
  const response = await fetch(`${baseUrl}/api/migrations?top=500`, {
    headers: functionKey ? { 'x-functions-key': functionKey } : {},
  });
  if (!response.ok) return undefined;
  const body = (await response.json()) as { migrations?: { id: string; status: string }[] };
  const running = (body.migrations ?? []).filter((migration) => !FINISHED.has(migration.status));
  if (running.length === 0) return undefined;
  const list = running.map((migration) => `${migration.id} (${migration.status})`).join(', ');
  return `Resuming ${running.length} migration${running.length === 1 ? '' : 's'} from the data folder: ${list}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      app: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'no-auth': { type: 'boolean', default: false },
    },
  });
  const cwd = process.cwd();
  const settings = mergeSettings(readLocalSettingsFile(cwd), process.env);
  const options = launcherOptions(values, settings, cwd);
  const auth = chooseLocalAuth(settings, { noAuth: values['no-auth'] });
  const where = locations();
  const print = (line: string): void => void process.stdout.write(`${line}\n`);

  const startedAt = Date.now();
  print(`Starting license-shift locally (data folder ${displayPath(cwd, options.dataDir)}) ...`);
  const stack = await startLocalStack({
    rootDir: where.rootDir,
    appEntry: options.appEntry ?? where.appEntry,
    settings,
    port: options.port,
    dataDir: options.dataDir,
    functionKey: auth.kind === 'key' ? auth.key : undefined,
    // --quiet drops the per-invocation lines, never the runtime's own errors (a function it could not index, say).
    log: values.quiet ? (line) => (line.startsWith('[host]') ? print(line) : undefined) : print,
  });
  for (const line of describe(stack, auth, cwd)) print(line);
  const resumed = await describeResumed(stack.baseUrl, stack.functionKey).catch(() => undefined);
  if (resumed) {
    print(resumed);
    if (stack.graph.kind === 'embedded') {
      print(
        '  Note: the embedded demo tenant started fresh, so these runs now see every user as the demo began. ' +
          'Use a separate simulator (docs/local.md) to resume against the same tenant.',
      );
    }
  }
  print(`Ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s. Press Ctrl+C to stop.`);

  let stopping = false;
  const shutdown = (reason: string, exitCode: number): void => {
    if (stopping) {
      // A second Ctrl+C: stop waiting for a clean shutdown.
      process.exit(1);
    }
    stopping = true;
    print(`${reason}: stopping the runtime${stack.storage.kind === 'azurite' ? ' and Azurite' : ''} ...`);
    stack.stop().then(
      () => process.exit(exitCode),
      (error: unknown) => {
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  if (stack.storage.kind === 'azurite') {
    stack.storage.azurite.process.once('exit', (code, signal) => {
      if (!stopping) shutdown(`Azurite stopped unexpectedly (${signal ?? `exit code ${String(code)}`})`, 1);
    });
  }
}

main().catch((error: unknown) => {
  const portTaken = (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
  const hint = portTaken ? ' (another program uses this port: choose one with --port or PORT, 0 for any free one)' : '';
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}${hint}\n`);
  process.exit(1);
});
