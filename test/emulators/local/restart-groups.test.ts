import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  findUnlicensedPeriods,
  GROUP_SCENARIO_GROUPS as G,
  groupLicensingScenario,
  SKU_CATALOG,
  startGraphSimulator,
  type GraphSimulator,
  type MembershipEvent,
  type RequestEvent,
} from '../../../emulators/graph';
import { isFinished } from '../../../src/domain/status';
import type { MigrationView } from '../../../src/migrations/view';
import { keyedApi, launchOnTenant, waitForMigrationView, type Launcher } from './launcher';

/**
 * Group moves survive a crash (issue #13): SIGKILL everything `npm start` started while the run waits for group
 * processing, start it again, and the run resumes by itself: no membership is written twice, everyone ends in the
 * target group holding the target, and nobody was ever without a license. The test owns the Graph simulator, so
 * the tenant (and its processing queue) outlives the kill.
 */
const PREMIUM = SKU_CATALOG.SPB.skuId;
const MIGRATION_ID = 'groups-restart-after-sigkill';
const KEY = 'groups-restart-test-fixed-key-0123';
const USERS = 120;

function launch(workDir: string, sim: GraphSimulator): Promise<Launcher> {
  return launchOnTenant(workDir, sim.baseUrl, KEY, {});
}

const api = keyedApi(KEY);

const waitForView = (baseUrl: string, until: (view: MigrationView) => boolean, timeoutMs: number) =>
  waitForMigrationView(KEY, baseUrl, MIGRATION_ID, until, timeoutMs);

describe('npm start: SIGKILL while a group move waits for group processing, then start again', () => {
  let workDir: string;
  let sim: GraphSimulator;
  const launchers: Launcher[] = [];

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-groups-restart-'));
    sim = await startGraphSimulator({
      profile: 'deterministic',
      scenario: groupLicensingScenario({
        e1Members: 0,
        standardMembers: USERS,
        directE3Users: 0,
        memberWithoutUsageLocation: false,
      }),
      latency: 'realistic',
      seed: 11,
      // Entra takes its time: each member's group license arrives 4 s after they join, so the kill lands in the wait.
      settings: { groupProcessingDelayMs: 4000 },
    });
  });
  afterAll(async () => {
    for (const launcher of launchers) await launcher.kill();
    await sim.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('resumes the group move by itself: no membership written twice, everyone moved, nobody unlicensed', async () => {
    const ids = sim.tenant.groups.get(G.licStandard)!.members.map((member) => member.id);
    const first = await launch(workDir, sim);
    launchers.push(first);
    const start = await api<{ id: string }>(first.baseUrl, 'POST', '/api/migrations', {
      id: MIGRATION_ID,
      moves: [
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { groupId: G.licStandard },
          assignVia: { group: G.licPremium },
          sourceGroups: 'leave',
        },
      ],
      waitForLicenses: { pollInterval: 'PT1S', timeout: 'PT1H' },
    });
    expect(start.status).toBe(202);
    const waiting = await waitForView(
      first.baseUrl,
      (view) => (view.status === 'processingGroups' && view.waitingFor !== undefined) || isFinished(view.status),
      60_000,
    );
    expect(waiting.waitingFor?.reason).toMatch(/^waiting for group processing: \d+ of 120 members done/);
    await first.kill();
    // Killed before group licensing reached everyone: some members still lack Premium.
    const premiumHolders = () =>
      ids.filter((id) => sim.tenant.users.get(id)!.assignedLicenses.some((l) => l.skuId === PREMIUM));
    expect(premiumHolders().length).toBeLessThan(USERS);

    const second = await launch(workDir, sim);
    launchers.push(second);
    expect(second.output.join('\n')).toContain(`Resuming 1 migration from the data folder: ${MIGRATION_ID}`);
    const done = await waitForView(second.baseUrl, (view) => isFinished(view.status), 90_000);
    expect(done).toMatchObject({ status: 'completed', counts: { moved: USERS, failed: 0 } });

    const memberships = sim.events().filter((e): e is MembershipEvent => e.kind === 'membership');
    const adds = memberships.filter((e) => e.change === 'add' && e.groupId === G.licPremium);
    const removes = memberships.filter((e) => e.change === 'remove' && e.groupId === G.licStandard);
    expect(adds.map((e) => e.userId).sort()).toEqual([...ids].sort());
    expect(removes.map((e) => e.userId).sort()).toEqual([...ids].sort());
    // Not even a refused duplicate: each membership write the run made landed once. Planning's permission checks are
    // the only other ones, and change nothing: re-adding a member of the source group ("already exist") and removing
    // a non-member from the (empty) target group (404).
    const writes = sim.events().filter((e): e is RequestEvent => e.kind === 'request' && e.path.endsWith('/$ref'));
    const joins = writes.filter((e) => e.method === 'POST' && e.path.startsWith(`/groups/${G.licPremium}/`));
    const leaves = writes.filter((e) => e.method === 'DELETE' && e.path.startsWith(`/groups/${G.licStandard}/`));
    expect(joins).toHaveLength(USERS);
    expect(leaves).toHaveLength(USERS);
    expect([...joins, ...leaves].every((e) => e.status === 204)).toBe(true);
    const checks = writes.filter((e) => !joins.includes(e) && !leaves.includes(e));
    expect(checks.map((e) => `${e.method} ${e.status}`).sort()).toEqual(['DELETE 404', 'POST 400']);
    for (const id of ids) expect(sim.tenant.users.get(id)!.assignedLicenses.map((l) => l.skuId)).toEqual([PREMIUM]);
    expect(findUnlicensedPeriods(sim.events())).toEqual([]);
    const report = await api<{ rows: { userId: string; outcome: string }[] }>(
      second.baseUrl,
      'GET',
      `/api/migrations/${MIGRATION_ID}/report`,
    );
    expect(report.json.rows.map((row) => row.userId).sort()).toEqual([...ids].sort());
    expect(report.json.rows.every((row) => row.outcome === 'moved')).toBe(true);
  }, 180_000);
});
