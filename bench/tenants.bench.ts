/**
 * Many tenants from one deployment (issue 16), `npm run bench:tenants`: three simulated tenants of 2,000 users each
 * migrate at the same time through one app. Each tenant's users/s is set against its own bound (Graph's write limit
 * for one app in one tenant, 3,000 writes per 150 s, × k), and the aggregate against 3 × that bound. With `storm`,
 * every Graph answer of the first tenant is a 429 (Retry-After 20 s, ÷ k) until the other two have finished: they
 * must not slow down (≥ 0.9 of their bound each).
 *
 *   npm run bench:tenants                              # single, together, storm: 2,000 users a tenant, k = 5
 *   npm run bench:tenants -- --only together --users 500 --scale 20
 *
 * The multi-tenant simulator runs in this process (the single-tenant benchmark puts its simulator in a child process;
 * the simulator's CLI hosts one tenant only), so the product and three simulated tenants share one event loop here:
 * the figures are a lower bound of what the product does on its own, and no memory figure is printed.
 */
import { parseArgs } from 'node:util';
import { generateScenario, startMultiTenantGraphSimulator, type MultiTenantGraphSimulator } from '../emulators/graph';
import { isFinished } from '../src/domain/status';
import { requiredAppRoles } from '../src/graph/permissions';
import type { MigrationView } from '../src/migrations/view';
import { startProduct, type Product } from './support/product';
import { boundPerSecond, PLAIN_MIX } from './support/stack';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    users: { type: 'string', default: '2000' },
    scale: { type: 'string', default: '5' },
    profile: { type: 'string', default: 'realistic' },
  },
});

const TENANTS = [
  'a1a1a1a1-1111-4111-8111-00000000b001',
  'b2b2b2b2-2222-4222-8222-00000000b002',
  'c3c3c3c3-3333-4333-8333-00000000b003',
] as const;
const HOME = TENANTS[0];
const MOVE = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }] };
const users = Number(values.users);
const k = Number(values.scale);
const profile = values.profile === 'deterministic' ? 'deterministic' : 'realistic';

interface TenantRun {
  tenantId: string;
  key: string;
  moved: number;
  status: string;
  /** Wall-clock ms the run was first seen reassigning, and first seen past it. */
  start: number;
  end: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function follow(product: Product, tenantId: string, key: string): Promise<TenantRun> {
  const query = tenantId === HOME ? '' : `?tenantId=${tenantId}`;
  const begun = Date.now();
  let start: number | undefined;
  for (;;) {
    const view = await product.api<MigrationView>('GET', `/api/migrations/${encodeURIComponent(key)}${query}`);
    const now = Date.now();
    if (now - begun > 30 * 60_000) throw new Error(`run ${key} did not finish: ${JSON.stringify(view)}`);
    if (view.status === 'reassigning') start ??= now;
    const pastReassign = start !== undefined && view.status !== 'reassigning';
    if (pastReassign || isFinished(view.status)) {
      // The reassign stage is over: users/s over it, as the single-tenant benchmark measures it.
      let last = view;
      while (!isFinished(last.status)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = await product.api<MigrationView>('GET', `/api/migrations/${encodeURIComponent(key)}${query}`);
      }
      return { tenantId, key, moved: last.counts.moved, status: last.status, start: start ?? now, end: now };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function threeTenants(storm: boolean, count: number = TENANTS.length): Promise<TenantRun[]> {
  const tenants = TENANTS.slice(0, count);
  const graph: MultiTenantGraphSimulator = await startMultiTenantGraphSimulator({
    tenants: tenants.map((tenantId, index) => ({
      tenantId,
      options: {
        scenario: generateScenario({
          users,
          seed: 40 + index,
          mix: { ...PLAIN_MIX, skus: { O365_BUSINESS_PREMIUM: 1 }, target: { sku: 'SPB', seats: users } },
        }),
        profile,
        timeScale: k,
        latency: 'realistic',
        seed: 40 + index,
        grantedRoles: requiredAppRoles([]),
      },
    })),
  });
  try {
    const product = await startProduct({ graphBaseUrl: graph.baseUrl, timeScale: k, env: { HOME_TENANT_ID: HOME } });
    try {
      for (const [index, tenantId] of tenants.entries()) {
        if (tenantId === HOME) continue;
        await product.api('PUT', `/api/tenants/${tenantId}`, { displayName: `Customer ${index}` });
        await product.api('POST', `/api/tenants/${tenantId}/consent-check`);
      }
      const stormed = TENANTS[1];
      if (storm) graph.tenant(stormed).setFaults([{ kind: 'error', status: 429, retryAfterSeconds: 20 }]);
      const started = await Promise.all(
        tenants.map((tenantId) =>
          product.api<{ id: string }>('POST', '/api/migrations', {
            ...MOVE,
            id: `wave-${tenantId.slice(0, 4)}`,
            ...(tenantId === HOME ? {} : { tenantId }),
          }),
        ),
      );
      const runs = tenants.map((tenantId, index) => follow(product, tenantId, started[index]!.id));
      if (storm) {
        // The storm lasts until the two other tenants are done; then the stormed tenant may finish.
        await Promise.all(runs.filter((_, index) => tenants[index] !== stormed));
        graph.tenant(stormed).setFaults([]);
      }
      return await Promise.all(runs);
    } finally {
      await product.stop();
    }
  } finally {
    await graph.stop();
  }
}

function report(title: string, runs: TenantRun[], stormed?: string): boolean {
  const bound = boundPerSecond(k);
  let pass = true;
  console.log(`\n${title} (${users.toLocaleString('en-US')} users each, k = ${k}, ${profile} profile)`);
  console.log(`bound per tenant: ${bound.toFixed(0)} users/s (3,000 writes per 150 s × ${k})`);
  for (const run of runs) {
    const seconds = (run.end - run.start) / 1000;
    const rate = run.moved / seconds;
    const ofBound = rate / bound;
    const target = run.tenantId === stormed ? '(stormed: no target)' : ofBound >= 0.9 ? '≥ 0.9 pass' : '≥ 0.9 FAIL';
    if (run.tenantId !== stormed && ofBound < 0.9) pass = false;
    console.log(
      `  ${run.tenantId}: ${run.status}, ${run.moved} moved in ${seconds.toFixed(1)} s = ${rate.toFixed(1)} users/s = ${ofBound.toFixed(2)} of bound ${target}`,
    );
  }
  const calm = runs.filter((run) => run.tenantId !== stormed);
  const first = Math.min(...calm.map((run) => run.start));
  const last = Math.max(...calm.map((run) => run.end));
  const aggregate = calm.reduce((sum, run) => sum + run.moved, 0) / ((last - first) / 1000);
  console.log(
    `  aggregate of ${calm.length} tenant(s): ${aggregate.toFixed(1)} users/s = ${(aggregate / (calm.length * bound)).toFixed(2)} of ${calm.length} × bound (${(calm.length * bound).toFixed(0)} users/s)`,
  );
  return pass;
}

async function main(): Promise<void> {
  const only = values.only ?? ['single', 'together', 'storm'];
  let pass = true;
  if (only.includes('single')) {
    // The same harness with one tenant: what one tenant alone reaches here, beside the three.
    log('one tenant alone…');
    pass = report('One tenant alone (the same harness)', await threeTenants(false, 1)) && pass;
  }
  if (only.includes('together')) {
    log('three tenants at once…');
    pass = report('Three tenants at once', await threeTenants(false)) && pass;
  }
  if (only.includes('storm')) {
    log('three tenants, a throttling storm in one…');
    pass = report('Three tenants, a throttling storm in the second', await threeTenants(true), TENANTS[1]) && pass;
  }
  process.exitCode = pass ? 0 : 1;
}

void main();
