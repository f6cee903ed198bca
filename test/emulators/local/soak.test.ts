import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  findUnlicensedGaps,
  generateScenario,
  startGraphSimulator,
  type GraphSimulator,
  type LicenseChangeEvent,
} from '../../../emulators/graph';
import { isFinished } from '../../../src/domain/status';
import { requiredAppRoles } from '../../../src/graph/permissions';
import type { MigrationView } from '../../../src/migrations/view';
import { keyedApi, launchOnTenant, pollUntil, type Launcher } from './launcher';

/**
 * Soak: 10,000 users under the simulator's realistic profile (replication lag, stray 429s, 503s and resets, plan
 * rules, app roles), with `npm start` SIGKILLed mid-reassignment and started again. Nobody is ever unlicensed, the
 * report matches the tenant, and each user gets one successful license change; a user whose write's answer was lost
 * to the kill is read back first, and the report says so.
 */
const STANDARD = 'f245ecc8-75af-4f8e-b61f-27d8114de5f3';
const PREMIUM = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';
const MIGRATION_ID = 'soak-10k';
const KEY = 'soak-test-fixed-key-0123456789abcdef';
/** Graph's limits × k, its delays ÷ k, and the app's budget × k: production's shape, 20 times faster. */
const K = 20;

function launch(workDir: string, sim: GraphSimulator): Promise<Launcher> {
  return launchOnTenant(workDir, sim.baseUrl, KEY, {
    GRAPH_WRITE_BUDGET: String(2_850 * K),
    GRAPH_RESOURCE_UNIT_BUDGET: String(3_300 * K),
  });
}

const api = keyedApi(KEY);

const licenseChanges = (sim: GraphSimulator) =>
  sim.events().filter((event): event is LicenseChangeEvent => event.kind === 'license');

describe('soak: 10,000 users, realistic Graph, SIGKILL mid-reassignment', () => {
  let workDir: string;
  let sim: GraphSimulator;
  const launchers: Launcher[] = [];

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-soak-'));
    sim = await startGraphSimulator({
      scenario: generateScenario({
        users: 10_000,
        seed: 21,
        mix: { skus: { O365_BUSINESS_PREMIUM: 1 }, target: { sku: 'SPB', seats: 10_000 }, groupLicensed: 0.02 },
      }),
      latency: 'realistic',
      timeScale: K,
      seed: 21,
      grantedRoles: requiredAppRoles(['usageLocation']),
    });
  });
  afterAll(async () => {
    for (const launcher of launchers) await launcher.kill();
    await sim.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('ends correct after a kill: no gap, report equals tenant, one license change per moved user', async () => {
    const holders = [...sim.tenant.users.values()].filter((user) =>
      user.licenseStates.some((state) => state.skuId === STANDARD),
    );
    const first = await launch(workDir, sim);
    launchers.push(first);
    const start = await api<{ id: string }>(first.baseUrl, 'POST', '/api/migrations', {
      id: MIGRATION_ID,
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      usageLocation: 'US',
    });
    expect(start.status).toBe(202);
    await pollUntil('1,500 changes', () => Promise.resolve(licenseChanges(sim).length >= 1_500 || undefined), 240_000);
    await first.kill();
    const atKill = licenseChanges(sim).length;

    const second = await launch(workDir, sim);
    launchers.push(second);
    const done = await pollUntil(
      'the migration to finish',
      async () => {
        const view = await api<MigrationView>(second.baseUrl, 'GET', `/api/migrations/${MIGRATION_ID}`);
        return view.status === 200 && isFinished(view.json.status) ? view.json : undefined;
      },
      300_000,
    );
    const report = await api<{ rows: { userId: string; outcome: string; reason: string }[] }>(
      second.baseUrl,
      'GET',
      `/api/migrations/${MIGRATION_ID}/report`,
    );
    const rows = report.json.rows;
    const changes = licenseChanges(sim).filter((change) => change.cause === 'assignLicense');
    const perUser = new Map<string, number>();
    for (const change of changes) perUser.set(change.userId, (perUser.get(change.userId) ?? 0) + 1);
    const moved = rows.filter((row) => row.outcome === 'moved');
    const readBack = moved.filter((row) => /answer was lost/.test(row.reason));
    const counts = {
      users: holders.length,
      moved: moved.length,
      failed: done.counts.failed,
      blocked: done.counts.blocked,
      skipped: done.counts.skipped,
      changesAtKill: atKill,
      readBack: readBack.length,
      noise: ((await (await fetch(`${sim.controlUrl}/counters`)).json()) as { noise?: unknown }).noise,
    };
    process.stdout.write(`soak counts: ${JSON.stringify(counts)}\n`);

    expect(done.status).toBe('completed');
    expect(rows.map((row) => row.userId).sort()).toEqual(holders.map((user) => user.id).sort());
    // The report matches the tenant, user by user.
    for (const row of rows) {
      const held = sim.tenant.users.get(row.userId)!.assignedLicenses.map((license) => license.skuId);
      if (row.outcome === 'moved') {
        expect(held).toContain(PREMIUM);
        expect(held).not.toContain(STANDARD);
        expect(perUser.get(row.userId)).toBe(1);
      } else expect(perUser.get(row.userId)).toBeUndefined();
    }
    expect(changes.length).toBe(moved.length);
    expect(findUnlicensedGaps(licenseChanges(sim))).toEqual([]);
    expect(moved.length).toBeGreaterThan(9_000);
    expect(atKill).toBeLessThan(moved.length);
  }, 600_000);
});
