import { findUnlicensedGaps, generateScenario, type GraphSimulator } from '../../emulators/graph';
import type { MigrationView } from '../../src/migrations/view';
import { startStack, type Stack } from '../support/e2e';
import { pollUntil } from '../emulators/local/launcher';

/** Every user's licenses with their disabled plans, as one comparable string per user. */
function licenseStates(sim: GraphSimulator): Map<string, string> {
  const states = new Map<string, string>();
  for (const user of sim.tenant.users.values()) {
    const licenses = user.assignedLicenses
      .map(
        (license) =>
          `${license.skuId.toLowerCase()}[${[...license.disabledPlans]
            .map((p) => p.toLowerCase())
            .sort()
            .join(',')}]`,
      )
      .sort();
    states.set(user.id, licenses.join(' '));
  }
  return states;
}

function changedUsers(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before.keys()].filter((id) => before.get(id) !== after.get(id));
}

const ALL_TO_PREMIUM = { moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }] };

describe('rollback (local runtime + Graph simulator, realistic profile + Azurite)', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  async function migrate(body: unknown, timeoutMs = 240_000): Promise<MigrationView> {
    const start = await stack.api('POST', '/api/migrations', body);
    expect(start.status).toBe(202);
    return stack.waitForFinish(start.json.id, timeoutMs);
  }

  async function rollBack(id: string, body: unknown = {}, timeoutMs = 240_000): Promise<MigrationView> {
    const start = await stack.api('POST', `/api/migrations/${id}/rollback`, body);
    expect(start.status).toBe(202);
    expect(start.json.rollbackOf).toBe(id);
    return stack.waitForFinish(start.json.id, timeoutMs);
  }

  it('moves 1,000 users, then rolls them back: everyone holds exactly their before-state, disabled plans included, and the reports link both runs', async () => {
    stack = await startStack({ simulator: { scenario: generateScenario({ users: 1_300, seed: 11 }) } });
    const before = licenseStates(stack.sim);
    const original = await migrate({ ...ALL_TO_PREMIUM, usageLocation: 'US', includeDisabledUsers: true });
    expect(original.status).toBe('completed');
    expect(original.counts.moved).toBeGreaterThanOrEqual(1_000);
    const moved = changedUsers(before, licenseStates(stack.sim));
    expect(moved.length).toBe(original.counts.moved);
    // Some of them had plans switched off on Business Standard: the rollback must bring exactly those back.
    expect(moved.some((id) => /\[[^\]]+\]/.test(before.get(id)!))).toBe(true);

    const rollback = await rollBack(original.id, { acknowledgeDataLoss: true });
    expect(rollback).toEqual(expect.objectContaining({ status: 'completed', rollbackOf: original.id }));
    expect(rollback.counts.moved).toBe(original.counts.moved);
    // Usage locations set by the original stay (a rollback restores licenses); every license is as before.
    expect(changedUsers(before, licenseStates(stack.sim))).toEqual([]);
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);

    const originalView = await stack.api('GET', `/api/migrations/${original.id}`);
    expect(originalView.json.rolledBackBy).toEqual([rollback.id]);
    expect(originalView.json.links.rolledBackBy).toEqual([expect.stringContaining(`/api/migrations/${rollback.id}`)]);
    const rollbackView = await stack.api('GET', `/api/migrations/${rollback.id}`);
    expect(rollbackView.json.rollbackOf).toBe(original.id);
    const originalReport = await stack.api('GET', `/api/migrations/${original.id}/report`);
    expect(originalReport.json.rolledBackBy).toEqual([rollback.id]);
    const rollbackReport = await stack.api('GET', `/api/migrations/${rollback.id}/report`);
    expect(rollbackReport.json.rollbackOf).toBe(original.id);
    const restored = (rollbackReport.json.rows as { outcome: string; action: string }[]).filter(
      (r) => r.outcome === 'moved',
    );
    expect(restored).toHaveLength(original.counts.moved);
    expect(restored[0]!.action).toMatch(/add O365_BUSINESS_PREMIUM; remove SPB/);
  }, 600_000);

  async function control(method: string, path: string, body?: unknown): Promise<void> {
    const response = await fetch(`${stack.sim.controlUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
  }

  it('leaves users changed by hand since the original run alone ("changed since"), and restores them too with force', async () => {
    stack = await startStack({ simulator: { scenario: generateScenario({ users: 200, seed: 12 }) } });
    const before = licenseStates(stack.sim);
    const original = await migrate({ ...ALL_TO_PREMIUM, usageLocation: 'US' });
    expect(original.status).toBe('completed');
    const moved = changedUsers(before, licenseStates(stack.sim));
    // An admin switches Sway off on Business Premium for 10 of the moved users, by hand.
    const premium = stack.sim.tenant.findSku('SPB')!;
    const sway = premium.servicePlans.find((plan) => plan.servicePlanName === 'SWAY')!.servicePlanId;
    const swayOn = (id: string) =>
      !stack.sim.tenant.users
        .get(id)!
        .assignedLicenses.some((l) => l.skuId === premium.skuId && l.disabledPlans.includes(sway));
    const byHand = moved.filter(swayOn).slice(0, 10);
    for (const id of byHand) {
      await control('POST', `/users/${id}/assignLicense`, {
        addLicenses: [{ skuId: premium.skuId, disabledPlans: [sway] }],
        removeLicenses: [],
      });
    }
    const handState = licenseStates(stack.sim);
    // Changed "since the run", not a moment ago: Entra shows a write to every read only after its replication lag,
    // and no product can see a change Graph does not show yet.
    await pollUntil(
      'the changes by hand visible to every read',
      () => stack.sim.tenant.recentlyChangedUsers().length === 0 || undefined,
      30_000,
    );

    const first = await rollBack(original.id, { acknowledgeDataLoss: true });
    expect(first.status).toBe('completed');
    expect(first.counts).toEqual(expect.objectContaining({ moved: moved.length - 10, skipped: 10 }));
    const report = await stack.api('GET', `/api/migrations/${first.id}/report`);
    const skipped = (report.json.rows as { userId: string; outcome: string; reason: string }[]).filter(
      (row) => row.outcome === 'skipped',
    );
    expect(skipped.map((row) => row.userId).sort()).toEqual([...byHand].sort());
    for (const row of skipped) expect(row.reason).toMatch(/^changed since the original run/);
    const now = licenseStates(stack.sim);
    for (const id of byHand) expect(now.get(id)).toBe(handState.get(id));
    expect(changedUsers(before, now).sort()).toEqual([...byHand].sort());

    // With force, the 10 get their before-state back too; the others already have it and are skipped.
    const forced = await rollBack(original.id, { acknowledgeDataLoss: true, force: true });
    expect(forced.status).toBe('completed');
    expect(forced.counts.moved).toBe(10);
    expect(changedUsers(before, licenseStates(stack.sim))).toEqual([]);
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
    const links = await stack.api('GET', `/api/migrations/${original.id}`);
    expect(links.json.rolledBackBy).toEqual([first.id, forced.id]);
  }, 600_000);

  it('waits with "buy N more …" when the old subscription was reduced, continues when the seats land, and nobody is ever unlicensed', async () => {
    stack = await startStack({ simulator: { scenario: generateScenario({ users: 200, seed: 13 }) } });
    const before = licenseStates(stack.sim);
    const original = await migrate({ ...ALL_TO_PREMIUM, usageLocation: 'US' });
    expect(original.status).toBe('completed');
    const moved = original.counts.moved;
    // The admin reduces Business Standard to what is still in use plus 5.
    const standard = stack.sim.tenant.findSku('O365_BUSINESS_PREMIUM')!;
    const inUse = [...stack.sim.tenant.users.values()].filter((u) =>
      u.assignedLicenses.some((l) => l.skuId.toLowerCase() === standard.skuId.toLowerCase()),
    ).length;
    await control('PATCH', '/skus/O365_BUSINESS_PREMIUM', { prepaidUnits: { enabled: inUse + 5 } });
    // Lists and consumed units lag writes for up to a second here (realistic profile, time scale 10).
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    stack.host.clock.setAutoAdvance(false);
    const start = await stack.api('POST', `/api/migrations/${original.id}/rollback`, { acknowledgeDataLoss: true });
    expect(start.status).toBe(202);
    const waiting = await stack.waitForMigration(
      start.json.id,
      (view) => view.status === 'waitingForLicenses' && view.waitingFor !== undefined,
    );
    expect(waiting.waitingFor!.reason).toMatch(
      new RegExp(`need ${moved}, 5 free: buy ${moved - 5} more Microsoft 365 Business Standard licenses`),
    );
    expect(changedUsers(before, licenseStates(stack.sim)).length).toBe(moved);

    await control('PATCH', '/skus/O365_BUSINESS_PREMIUM', { prepaidUnits: { enabled: inUse + moved } });
    await stack.host.clock.advanceBy(2 * 60_000);
    stack.host.clock.setAutoAdvance(true);
    const done = await stack.waitForFinish(start.json.id, 240_000);
    expect(done.status).toBe('completed');
    expect(done.counts.moved).toBe(moved);
    expect(changedUsers(before, licenseStates(stack.sim))).toEqual([]);
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
  }, 600_000);
});
