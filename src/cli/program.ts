/**
 * `license-shift`: the API from a terminal, for admins who script. Each command is one or two HTTP calls; exit codes
 * say how a run ended so scripts can branch on them (see EXIT).
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ApiClient, CliError, runPath } from './client';
import {
  describeInventory,
  describePreview,
  describeRun,
  describeRuns,
  describeTenant,
  describeTenantOverview,
  describeTenants,
  progressLine,
  type TenantLine,
  type TenantOverviewLine,
} from './output';
import { buildRequest, type RequestFlags } from './request';
import { watchRun, type RunView } from './watch';

/** Exit codes: 0 completed (or nothing to report), 2 completed with errors, 3 needs attention, 1 failed or refused. */
export const EXIT = { ok: 0, failed: 1, completedWithErrors: 2, needsAttention: 3 } as const;

/** What POST /api/migrations answers. */
interface StartAnswer {
  id: string;
  created?: boolean;
  migration?: RunView;
}

const FAILED_STATUSES = new Set(['failed', 'cancelled', 'rejected']);

/** The exit code a run's status stands for; a run still going is 0. */
export function exitCodeFor(status: string): number {
  if (status === 'completedWithErrors') return EXIT.completedWithErrors;
  if (status === 'needsAttention') return EXIT.needsAttention;
  if (FAILED_STATUSES.has(status)) return EXIT.failed;
  return EXIT.ok;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Whether stdout is a terminal: then `--watch` draws a progress bar, else it prints one line per change. */
  tty?: boolean;
  /** Waits between polls (tests pass a short one). */
  sleep?: (ms: number) => Promise<void>;
}

interface GlobalFlags {
  url: string;
  key?: string;
  token?: string;
  tenant?: string;
  json?: boolean;
}

const DEFAULT_URL = 'http://localhost:7071';

function requestOptions(command: Command): Command {
  return command
    .option('-f, --file <request.json>', 'the request body as JSON (the body of POST /api/migrations)')
    .option('--from <sku>', 'source SKU: part number (O365_BUSINESS_PREMIUM) or id')
    .option('--to <sku>', 'target SKU: part number (SPB) or id')
    .option('--all', 'every holder of --from')
    .option('--users <upns>', 'these users (comma- or space-separated UPNs)')
    .option('--users-file <path>', 'users from a file: one UPN a line, or a CSV with UPNs in the first column')
    .option('--group <id>', 'the members of this Entra group (object id)')
    .option('--disabled-plans <plans>', "target's service plans to leave off (comma-separated names or ids)")
    .addOption(new Option('--mode <mode>', 'swap or replace').choices(['swap', 'replace']))
    .addOption(new Option('--strategy <strategy>', 'atomic or overlap').choices(['atomic', 'overlap']))
    .option('--usage-location <cc>', 'two-letter country set on users who have none')
    .option('--acknowledge-data-loss', 'go ahead although the target lacks plans that hold data')
    .option('--max-users <n>', 'move at most this many users in this run')
    .option('--batch-size <n>', 'users per Graph $batch (1-20)');
}

function sleepFor(io: CliIo): (ms: number) => Promise<void> {
  return io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
}

interface Context {
  program: Command;
  io: CliIo;
  out: (text: string) => void;
  /** The answer as JSON with --json, else the text. */
  print: (value: unknown, text: () => string) => void;
  client: () => ApiClient;
  /** Follows a run and sets the exit code from how it ended. */
  watch: (id: string, interval: string) => Promise<void>;
  /** --json was given. */
  json: () => boolean;
  state: { code: number };
}

/**
 * The commands, writing to io; `client()` is built from the global flags when a command runs. A command that reports
 * on a run sets `state.code` from its status.
 */
export function buildProgram(io: CliIo, state: { code: number } = { code: EXIT.ok }): Command {
  // Subcommands inherit these when they are added: errors come back to runCli rather than exiting the process.
  const program = new Command('license-shift')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const out = (text: string) => io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const globals = () => program.opts<GlobalFlags>();
  const client = () => {
    const { url, key, token, tenant } = globals();
    const bearer = token ?? io.env.LICENSE_SHIFT_TOKEN;
    const tenantId = tenant ?? io.env.LICENSE_SHIFT_TENANT;
    return new ApiClient({
      baseUrl: url,
      key: key ?? io.env.LICENSE_SHIFT_KEY,
      ...(bearer ? { token: bearer } : {}),
      ...(tenantId ? { tenant: tenantId } : {}),
      fetch: io.fetch ?? fetch,
    });
  };
  const print = (value: unknown, text: () => string) => out(globals().json ? JSON.stringify(value, null, 2) : text());
  const watch = async (id: string, interval: string): Promise<void> => {
    const seconds = Number(interval);
    if (!(seconds > 0)) throw new CliError(`--interval must be a number of seconds above 0, got "${interval}"`);
    const final = await watchRun(client(), id, {
      intervalMs: seconds * 1000,
      sleep: sleepFor(io),
      tty: io.tty === true,
      line: (view) => out(progressLine(view)),
    });
    print(final, () => describeRun(final));
    state.code = exitCodeFor(final.status);
  };

  program
    .description('Move Microsoft 365 users between license SKUs with license-shift, from a terminal.')
    .addOption(
      new Option('--url <url>', 'base URL of the app').env('LICENSE_SHIFT_URL').default(DEFAULT_URL, DEFAULT_URL),
    )
    .addOption(
      new Option('--key <key>', 'function key (prefer the variable: flags show up in ps)').env('LICENSE_SHIFT_KEY'),
    )
    .addOption(
      new Option('--token <token>', 'bearer token for App Service authentication (API_AUTH=appService)').env(
        'LICENSE_SHIFT_TOKEN',
      ),
    )
    .addOption(
      new Option('--tenant <id>', 'the registered tenant to act in (license-shift tenants); default: home').env(
        'LICENSE_SHIFT_TENANT',
      ),
    )
    .option('--json', 'print the API answer as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 completed (or done), 2 completedWithErrors, 3 needsAttention, 1 failed, cancelled, rejected or refused.\n' +
        'Example: LICENSE_SHIFT_KEY=… license-shift start --from O365_BUSINESS_PREMIUM --to SPB --all --require-approval',
    );

  const context: Context = { program, io, out, print, client, watch, json: () => globals().json === true, state };
  planCommands(context);
  runCommands(context);
  linkedRunCommands(context);
  tenantCommands(context);
  return program;
}

/** Runs the CLI on argv (without node and the script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const state = { code: EXIT.ok as number };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.code;
  } catch (error) {
    // --help and --version end with code 0; a usage error commander has already explained.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.failed;
    if (error instanceof CliError) {
      io.stderr(`license-shift: ${error.message}\n`);
      for (const problem of error.errors) io.stderr(`  ${problem.field}: ${problem.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

/** skus, preview, start. */
function planCommands({ program, out, print, client, watch, json }: Context): void {
  program
    .command('skus')
    .description('the tenant’s license inventory: seats enabled, consumed, free, and short for unfinished runs')
    .option('--refresh', 'read Graph now rather than the 30-second cache')
    .action(async (flags: { refresh?: boolean }) => {
      const inventory = await client().get<Parameters<typeof describeInventory>[0]>(
        `/api/skus${flags.refresh ? '?refresh=true' : ''}`,
      );
      print(inventory, () => describeInventory(inventory));
    });

  requestOptions(program.command('preview'))
    .description('plan a migration without changing anything: users to change, skip and block, seats, data loss')
    .action(async (flags: RequestFlags) => {
      const answer = await client().call<Parameters<typeof describePreview>[0]>(
        'POST',
        '/api/migrations/preview',
        buildRequest(flags),
      );
      print(answer.body, () => describePreview(answer.body));
    });

  requestOptions(program.command('start'))
    .description('start a migration (flags, or --file request.json)')
    .option('--id <id>', 'the run id (letters, digits, _ or -); the same id again returns the existing run')
    .option('--dry-run', 'plan and report only; change nobody')
    .option('--require-approval', 'wait for approve or reject before changing anyone')
    .option('-w, --watch', 'then follow the run until it finishes or waits for someone')
    .option('--interval <seconds>', 'seconds between polls with --watch', '5')
    .action(async (flags: RequestFlags & { watch?: boolean; interval: string }) => {
      const answer = await client().call<StartAnswer>('POST', '/api/migrations', buildRequest(flags));
      const started = answer.body;
      // 200: a run with this id exists already (the same request again), 202: a new one.
      const verb = started.created === false ? 'Exists' : 'Started';
      if (flags.watch && !json()) out(`${verb}: ${started.id}`);
      else
        print(started, () => `${verb}: ${started.id}${started.migration ? `\n${describeRun(started.migration)}` : ''}`);
      if (flags.watch) await watch(started.id, flags.interval);
    });
}

/** runs, status, approve, reject, cancel, recheck. */
function runCommands({ program, print, client, watch, state }: Context): void {
  program
    .command('runs')
    .description('recent runs, labelled by their moves in product names')
    .option('--status <statuses>', 'only these statuses (comma-separated)')
    .option('--since <instant>', 'started at or after (ISO 8601)')
    .option('--started-by <name>', 'started by this signed-in user')
    .option('--dry-run', 'dry runs only')
    .action(async (flags: { status?: string; since?: string; startedBy?: string; dryRun?: boolean }) => {
      const query = new URLSearchParams();
      if (flags.status) query.set('status', flags.status);
      if (flags.since) query.set('since', flags.since);
      if (flags.startedBy) query.set('startedBy', flags.startedBy);
      if (flags.dryRun) query.set('dryRun', 'true');
      const search = query.toString();
      const list = await client().get<{ migrations: RunView[] }>(`/api/migrations${search ? `?${search}` : ''}`);
      print(list, () => describeRuns(list.migrations));
    });

  program
    .command('status <id>')
    .description('a run’s status, counts, progress and what it waits for; exits by its status once finished')
    .option('-w, --watch', 'follow it with a progress bar until it finishes or waits for someone')
    .option('--interval <seconds>', 'seconds between polls with --watch', '5')
    .action(async (id: string, flags: { watch?: boolean; interval: string }) => {
      if (flags.watch) return watch(id, flags.interval);
      const run = await client().get<RunView>(runPath(id));
      print(run, () => describeRun(run));
      state.code = exitCodeFor(run.status);
    });

  const decision = (name: 'approve' | 'reject', what: string) =>
    program
      .command(`${name} <id>`)
      .description(what)
      .option('--reason <text>', 'why (kept with the decision: a change ticket, say)')
      .option('--by <name>', 'who decides, where the app does not sign users in')
      .action(async (id: string, flags: { reason?: string; by?: string }) => {
        const accepted = await client().post<unknown>(runPath(id, `/${name}`), {
          ...(flags.reason ? { reason: flags.reason } : {}),
          ...(flags.by ? { by: flags.by } : {}),
        });
        print(accepted, () => `${name === 'approve' ? 'Approved' : 'Rejected'}: ${id}`);
      });
  decision('approve', 'approve a run awaiting approval');
  decision('reject', 'reject a run awaiting approval (nobody is changed)');

  const action = (name: string, path: string, what: string, done: string) =>
    program
      .command(`${name} <id>`)
      .description(what)
      .action(async (id: string) => {
        const accepted = await client().post<unknown>(runPath(id, path));
        print(accepted, () => `${done}: ${id}`);
      });
  action('cancel', '/cancel', 'cancel a run; users already moved stay moved', 'Cancel asked');
  action('recheck', '/recheck', 'a run waiting for licenses looks at the seats again now', 'Re-check asked');
}

/** rollback, retry, report. */
function linkedRunCommands({ program, io, print, client }: Context): void {
  const linked = (name: 'rollback' | 'retry', what: string) =>
    program
      .command(`${name} <id>`)
      .description(what)
      .option('--dry-run', 'plan it only')
      .option('--usage-location <cc>', 'retry: two-letter country for users who have none')
      .option('--force', 'rollback: restore users changed since the run')
      .option('--acknowledge-data-loss', 'go ahead although plans that hold data are lost')
      .action(
        async (
          id: string,
          flags: { dryRun?: boolean; usageLocation?: string; force?: boolean; acknowledgeDataLoss?: boolean },
        ) => {
          const body = {
            ...(flags.usageLocation ? { usageLocation: flags.usageLocation } : {}),
            ...(flags.force ? { force: true } : {}),
            ...(flags.acknowledgeDataLoss ? { acknowledgeDataLoss: true } : {}),
          };
          const started = await client().post<{ id: string }>(
            runPath(id, `/${name}${flags.dryRun ? '?dryRun=true' : ''}`),
            body,
          );
          print(started, () => `Started ${name === 'rollback' ? 'a rollback' : 'a retry'} of ${id}: ${started.id}`);
        },
      );
  linked('rollback', 'start a run that restores what a finished run changed');
  linked('retry', 'start a run for a finished run’s failed (and fixably blocked) users');

  program
    .command('report <id>')
    .description('a run’s per-user report, as JSON or CSV')
    .option('--csv', 'CSV rather than JSON')
    .option('-o, --output <file>', 'write it to this file rather than to stdout')
    .action(async (id: string, flags: { csv?: boolean; output?: string }) => {
      const path = runPath(id, `/report${flags.csv ? '?format=csv' : ''}`);
      const answer = await client().call<unknown>('GET', path, undefined, flags.csv ? 'text/csv' : 'application/json');
      const text = flags.csv ? answer.text : JSON.stringify(answer.body, null, 2) + '\n';
      if (flags.output) {
        writeFileSync(flags.output, text);
        io.stderr(`Saved ${flags.output}\n`);
      } else io.stdout(text);
    });
}

/** tenants [list], tenants show <id>, tenants consent-check <id>, tenants overview. */
function tenantCommands({ program, print, client }: Context): void {
  const tenants = program
    .command('tenants')
    .description('the tenants this deployment serves (list, show, consent-check, overview); --tenant picks one');
  tenants
    .command('list', { isDefault: true })
    .description('every registered tenant, the home tenant first, with its consent status')
    .action(async () => {
      const answer = await client().get<{ homeTenantId: string; tenants: TenantLine[] }>('/api/tenants');
      print(answer, () => describeTenants(answer.tenants));
    });
  tenants
    .command('show <id>')
    .description('one tenant: name, domain, consent (and the admin-consent URL while it is missing), limits')
    .action(async (id: string) => {
      const tenant = await client().get<TenantLine>(`/api/tenants/${encodeURIComponent(id)}`);
      print(tenant, () => describeTenant(tenant));
    });
  tenants
    .command('consent-check <id>')
    .description('ask the tenant now whether it has granted consent, and record the answer')
    .action(async (id: string) => {
      const tenant = await client().post<TenantLine>(`/api/tenants/${encodeURIComponent(id)}/consent-check`);
      print(tenant, () => describeTenant(tenant));
    });
  tenants
    .command('overview')
    .description('every tenant at a glance: runs by status, runs waiting, free seats per SKU')
    .action(async () => {
      const answer = await client().get<{ tenants: TenantOverviewLine[] }>('/api/tenants/overview');
      print(answer, () => describeTenantOverview(answer.tenants));
    });
}
