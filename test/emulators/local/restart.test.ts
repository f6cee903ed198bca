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
import type { MigrationView } from '../../../src/migrations/view';
import { keyedApi, launchOnTenant, pollUntil, waitForMigrationView, type Launcher } from './launcher';

/**
 * The acceptance point "SIGKILL everything `npm start` started mid-reassignment, run it again, and the migration
 * resumes by itself and ends correct with a complete report". The launcher runs from its TypeScript sources in its
 * own process group; the test owns the Graph simulator, so the tenant outlives the kill.
 */
const STANDARD = 'f245ecc8-75af-4f8e-b61f-27d8114de5f3';
const PREMIUM = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';
const MIGRATION_ID = 'restart-after-sigkill';
/** A fixed key, as a script gives it (LICENSE_SHIFT_LOCAL_KEY): both launches require the same one. */
const KEY = 'restart-test-fixed-key-0123456789';

function launch(workDir: string, sim: GraphSimulator): Promise<Launcher> {
  return launchOnTenant(workDir, sim.baseUrl, KEY, {
    // Paced at 32 writes a second (~300 writes in all, far below the simulator's 3,000 per 150 s): reassigning
    // ~130 users takes several seconds, so the kill below lands mid-way.
    GRAPH_WRITE_BUDGET: '4800',
  });
}

const api = keyedApi(KEY);

const waitForView = (baseUrl: string, until: (view: MigrationView) => boolean, timeoutMs: number) =>
  waitForMigrationView(KEY, baseUrl, MIGRATION_ID, until, timeoutMs);

function licenseChanges(sim: GraphSimulator): LicenseChangeEvent[] {
  return sim.events().filter((event): event is LicenseChangeEvent => event.kind === 'license');
}

/** Polls the simulator's own counter, so the kill lands while the launcher's writes are still coming. */
const waitForLicenseChanges = (sim: GraphSimulator, count: number, timeoutMs: number) =>
  pollUntil(
    `${count} license changes`,
    () => Promise.resolve(licenseChanges(sim).length >= count || undefined),
    timeoutMs,
  );

describe('npm start: SIGKILL of runtime and Azurite mid-reassignment, then start again', () => {
  let workDir: string;
  let sim: GraphSimulator;
  const launchers: Launcher[] = [];

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-restart-'));
    sim = await startGraphSimulator({
      profile: 'deterministic',
      scenario: generateScenario({ users: 160, seed: 5 }),
      latency: 'realistic',
      seed: 9,
    });
  });
  afterAll(async () => {
    for (const launcher of launchers) {
      await launcher.kill();
    }
    await sim.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('resumes the running migration by itself and ends with every user moved once and reported', async () => {
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

    // Mid-reassignment, read from the tenant itself (the status API reports progress per group of batches only):
    // some users changed, most not yet, and writes in flight.
    const reassigning = await waitForView(
      first.baseUrl,
      (view) => view.status === 'reassigning' || isFinished(view.status),
      30_000,
    );
    expect(reassigning.status).toBe('reassigning');
    await waitForLicenseChanges(sim, 25, 30_000);
    await first.kill();
    // Azurite went down with the launcher: nothing answers on its port any more.
    await expect(fetch(first.blobEndpoint, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    const changesAfterKill = licenseChanges(sim).length;
    expect(changesAfterKill).toBeLessThan(holders.length / 2);

    const second = await launch(workDir, sim);
    launchers.push(second);
    expect(second.output.join('\n')).toContain(`Resuming 1 migration from the data folder: ${MIGRATION_ID}`);
    const done = await waitForView(second.baseUrl, (view) => isFinished(view.status), 40_000);

    expect(done.status).toBe('completed');
    expect(done.counts.failed).toBe(0);
    const changes = licenseChanges(sim);

    const report = await api<{ rows: { userId: string; outcome: string }[] }>(
      second.baseUrl,
      'GET',
      `/api/migrations/${MIGRATION_ID}/report`,
    );
    expect(report.status).toBe(200);
    expect(report.json.rows.map((row) => row.userId).sort()).toEqual(holders.map((user) => user.id).sort());
    const moved = report.json.rows.filter((row) => row.outcome === 'moved');
    expect(moved.length).toBe(done.counts.moved);
    // The second run did most of the work: the kill came early in the reassignment, not after the last write.
    expect(moved.length).toBeGreaterThan(changesAfterKill + 20);

    const changesPerUser = new Map<string, number>();
    for (const change of changes) changesPerUser.set(change.userId, (changesPerUser.get(change.userId) ?? 0) + 1);
    for (const row of moved) {
      const held = sim.tenant.users.get(row.userId)!.assignedLicenses.map((license) => license.skuId);
      expect(held).toContain(PREMIUM);
      expect(held).not.toContain(STANDARD);
      // One successful license change per user: the batch cut by the kill was not written twice.
      expect(changesPerUser.get(row.userId)).toBe(1);
    }
    expect(changes.length).toBe(moved.length);
    expect(findUnlicensedGaps(changes)).toEqual([]);
    // About 35 s on an idle machine (two launcher start-ups from the TypeScript sources are most of it); the
    // margin is for shared CI machines.
  }, 90_000);
});
