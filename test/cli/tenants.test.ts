/**
 * The CLI across tenants: `--tenant` (or LICENSE_SHIFT_TENANT) sends tenantId on every call, so inventory, runs and
 * a run's status come from that tenant only; `tenants` lists, shows and consent-checks the registry.
 */
import { runCli } from '../../src/cli/program';
import type { Stack } from '../support/e2e';
import { MULTI_TENANT_APP_ID as APP_ID, startTenantStack, TENANT, type TenantStack } from '../support/tenants';

const KEY = 'cli-tenants-function-key';
const { home: HOME, beta: BETA, delta: DELTA, unknown: UNKNOWN } = TENANT;

describe('license-shift CLI across tenants', () => {
  let tenants: TenantStack;
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
    tenants = await startTenantStack({ users: 10, seed: 31, functionKey: KEY });
    stack = tenants.stack;
  });
  afterAll(() => tenants?.stop());

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
