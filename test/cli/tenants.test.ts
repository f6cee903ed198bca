/**
 * The CLI across tenants: `--tenant` (or LICENSE_SHIFT_TENANT) sends tenantId on every call, so inventory, runs and
 * a run's status come from that tenant only; `tenants` lists, shows and consent-checks the registry.
 */
import {
  generateScenario,
  startMultiTenantGraphSimulator,
  type MultiTenantGraphSimulator,
} from '../../emulators/graph';
import { runCli } from '../../src/cli/program';
import { requiredAppRoles } from '../../src/graph/permissions';
import { startStack, type Stack } from '../support/e2e';

const KEY = 'cli-tenants-function-key';
const HOME = 'a0a0a0a0-1111-4111-8111-0000000000d1';
const BETA = 'b0b0b0b0-2222-4222-8222-0000000000d2';
const DELTA = 'd0d0d0d0-4444-4444-8444-0000000000d4';
const UNKNOWN = 'e0e0e0e0-5555-4555-8555-0000000000d5';
const APP_ID = '9a9a9a9a-6666-4666-8666-0000000000d6';

const options = (seed: number, from: 'O365_BUSINESS_PREMIUM' | 'ENTERPRISEPACK', to: 'SPB' | 'ENTERPRISEPREMIUM') => ({
  scenario: generateScenario({
    users: 10,
    seed,
    mix: {
      skus: { [from]: 1 },
      disabledAccounts: 0,
      noUsageLocation: 0,
      groupLicensed: 0,
      target: { sku: to, seats: 10 },
    },
  }),
  latency: 'none' as const,
  noise: false,
  seed,
  grantedRoles: requiredAppRoles([]),
});

describe('license-shift CLI across tenants', () => {
  let graph: MultiTenantGraphSimulator;
  let stack: Stack;

  const cli =
    (env: NodeJS.ProcessEnv = {}) =>
    async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(['--url', stack.baseUrl, ...argv], {
        stdout: (text) => (out += text),
        stderr: (text) => (err += text),
        env: { LICENSE_SHIFT_KEY: KEY, ...env },
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 100))),
      });
      return { code, out, err };
    };
  const run = cli();
  const parts = (out: string) =>
    (JSON.parse(out) as { skus: { skuPartNumber: string }[] }).skus.map((s) => s.skuPartNumber);

  beforeAll(async () => {
    graph = await startMultiTenantGraphSimulator({
      tenants: [
        { tenantId: HOME, options: options(31, 'O365_BUSINESS_PREMIUM', 'SPB') },
        { tenantId: BETA, options: options(32, 'ENTERPRISEPACK', 'ENTERPRISEPREMIUM') },
        { tenantId: DELTA, consented: false, options: options(33, 'ENTERPRISEPACK', 'ENTERPRISEPREMIUM') },
      ],
    });
    stack = await startStack({
      sim: graph.tenant(HOME),
      graphBaseUrl: graph.baseUrl,
      clock: 'virtual',
      functionKey: KEY,
      env: { HOME_TENANT_ID: HOME, GRAPH_MULTITENANT_APP_ID: APP_ID },
    });
    for (const [tenantId, displayName] of [
      [BETA, 'Beta Ltd'],
      [DELTA, 'Delta Inc'],
    ] as const) {
      expect((await stack.api('PUT', `/api/tenants/${tenantId}`, { displayName })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await stack?.stop();
    await graph?.stop();
  });

  it('lists, shows and consent-checks tenants', async () => {
    const help = await run('--help');
    expect(help.out).toMatch(/^ {2}tenants\b/m);
    expect(help.out).toMatch(/--tenant <id>/);
    expect(help.out).toMatch(/LICENSE_SHIFT_TENANT/);

    const list = await run('tenants');
    expect(list.code).toBe(0);
    expect(list.out.split('\n')[0]).toMatch(new RegExp(`^${HOME} .* home$`));
    expect(list.out).toMatch(new RegExp(`${BETA}  Beta Ltd  consent unknown`));
    expect((await run('tenants', 'list')).out).toBe(list.out);

    const checked = await run('tenants', 'consent-check', BETA);
    expect(checked.code).toBe(0);
    expect(checked.out).toMatch(/Consent: granted/);
    const delta = await run('tenants', 'consent-check', DELTA);
    expect(delta.out).toMatch(/Consent: notConsented/);
    expect(delta.out).toContain(`https://login.microsoftonline.com/${DELTA}/adminconsent?client_id=${APP_ID}`);
    const shown = await run('--json', 'tenants', 'show', BETA);
    expect(JSON.parse(shown.out)).toMatchObject({ tenantId: BETA, consent: { status: 'granted' } });
    const missing = await run('tenants', 'show', UNKNOWN);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/404 Tenant not found/);
  });

  it('acts in the tenant --tenant (or LICENSE_SHIFT_TENANT) names, and only there', async () => {
    const home = await run('--json', 'skus');
    const beta = await run('--json', '--tenant', BETA, 'skus');
    const fromEnv = await cli({ LICENSE_SHIFT_TENANT: BETA })('--json', 'skus');
    expect(parts(home.out)).toContain('SPB');
    expect(parts(home.out)).not.toContain('ENTERPRISEPACK');
    expect(parts(beta.out)).toEqual(expect.arrayContaining(['ENTERPRISEPACK', 'ENTERPRISEPREMIUM']));
    expect(parts(beta.out)).not.toContain('SPB');
    expect(parts(fromEnv.out)).toEqual(parts(beta.out));

    const started = await run(
      '--tenant',
      BETA,
      'start',
      '--id',
      'beta-cli',
      '--from',
      'ENTERPRISEPACK',
      '--to',
      'ENTERPRISEPREMIUM',
      '--all',
      '--require-approval',
    );
    expect(started.code).toBe(0);
    expect(started.out).toContain(`Started: ${BETA}~beta-cli`);
    await stack.waitForMigration(`${BETA}~beta-cli`, (view) => view.status === 'awaitingApproval');
    const betaRuns = await run('--json', '--tenant', BETA, 'runs');
    expect((JSON.parse(betaRuns.out) as { migrations: { id: string }[] }).migrations.map((m) => m.id)).toEqual([
      `${BETA}~beta-cli`,
    ]);
    expect(JSON.parse((await run('--json', 'runs')).out)).toEqual({ migrations: [] });
    expect((await run('--tenant', BETA, 'status', 'beta-cli')).out).toMatch(/awaiting approval|awaitingApproval/i);
    // The home tenant has no such run, and Beta's key is refused there: nothing is shown.
    const crossed = await run('status', `${BETA}~beta-cli`);
    expect(crossed.code).toBe(1);
    expect(crossed.err).toMatch(/404/);
    expect((await run('--tenant', BETA, 'reject', 'beta-cli', '--by', 'cli-test')).code).toBe(0);

    const overview = await run('tenants', 'overview');
    expect(overview.out).toMatch(new RegExp(`Beta Ltd \\(${BETA}\\), consent granted\\n {2}runs: 1 `));

    const unknown = await run('--tenant', UNKNOWN, 'skus');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^ {2}tenantId: is not a registered tenant/m);
    const refused = await run(
      '--tenant',
      DELTA,
      'start',
      '--from',
      'ENTERPRISEPACK',
      '--to',
      'ENTERPRISEPREMIUM',
      '--all',
    );
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/409 .*adminconsent\?client_id=/);
  });
});
