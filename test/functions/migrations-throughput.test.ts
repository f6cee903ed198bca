/**
 * Throughput features seen through the HTTP API, on the local runtime with the realistic Graph simulator: two runs
 * competing for seats (one proceeds, holding them; the other waits, told who holds them, and goes once they are
 * back), and live progress (the status moves within two seconds of a batch's result, before its round ends).
 */
import { generateScenario, type GraphSimulator } from '../../emulators/graph';
import type { MigrationView } from '../../src/migrations/view';
import { deadlineAfter } from '../support/clock';
import { SKU } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';

/** Demo users who hold Business Standard directly, with a usage location: each can move on its own. */
function movableUpns(sim: GraphSimulator, count: number): string[] {
  const movable = [...sim.tenant.users.values()].filter(
    (user) =>
      user.accountEnabled &&
      user.usageLocation !== null &&
      user.licenseStates.every((state) => state.assignedByGroup === null) &&
      user.assignedLicenses.length === 1 &&
      user.assignedLicenses[0]?.skuId === SKU.businessStandard,
  );
  return movable.slice(0, count).map((user) => user.userPrincipalName);
}

const toPremium = (upns: string[]) => ({
  moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { upns } }],
  waitForLicenses: { pollInterval: 'PT1M', timeout: 'PT72H' },
});

describe('runs sharing a tenant', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  it('two runs needing 4 of 6 free seats: one proceeds holding them, the other waits, told who holds them', async () => {
    // Writes slow enough (about one a second) to see the first run while it holds its seats.
    stack = await startStack({ env: { GRAPH_WRITE_BUDGET: '150' } });
    const upns = movableUpns(stack.sim, 8);
    stack.sim.setSkuSeats('SPB', stack.sim.tenant.consumedUnits(stack.sim.tenant.findSku('SPB')!) + 6);
    const [a, b] = await Promise.all([
      stack.api('POST', '/api/migrations', toPremium(upns.slice(0, 4))),
      stack.api('POST', '/api/migrations', toPremium(upns.slice(4))),
    ]);
    const ids = [a.json.id as string, b.json.id as string];
    const seen = new Map<string, MigrationView>();
    const expired = deadlineAfter(60_000);
    while (!expired() && !(seen.has('holding') && seen.has('waiting'))) {
      for (const id of ids) {
        const view = (await stack.api<MigrationView>('GET', `/api/migrations/${id}`)).json;
        if (view.status === 'waitingForLicenses' && /reserved by run/.test(view.waitingFor?.reason ?? '')) {
          seen.set('waiting', view);
        }
        if (view.status === 'reassigning' && view.reservedSeats) seen.set('holding', view);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const holding = seen.get('holding');
    const waiting = seen.get('waiting');
    expect(holding?.reservedSeats).toEqual([{ skuId: SKU.businessPremium, seats: 4 }]);
    expect(waiting?.waitingFor?.reason).toMatch(
      new RegExp(
        `^need 4, 6 free but 4 reserved by run ${holding?.id ?? '?'}: buy 2 more Microsoft 365 Business Premium licenses`,
      ),
    );
    const first = await stack.waitForFinish(holding!.id, 120_000);
    expect(first).toMatchObject({ status: 'completed', counts: { moved: 4 } });
    expect(first.reservedSeats).toBeUndefined();
    // The first run ended: only its 4 taken seats are gone. Two more are bought; a recheck lets the second go.
    stack.sim.setSkuSeats('SPB', stack.sim.tenant.consumedUnits(stack.sim.tenant.findSku('SPB')!) + 4);
    expect((await stack.api('POST', `/api/migrations/${waiting!.id}/recheck`)).status).toBe(202);
    const second = await stack.waitForFinish(waiting!.id, 120_000);
    expect(second).toMatchObject({ status: 'completed', counts: { moved: 4 } });
  });
});

describe('live progress', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  it('counts move within 2 s of a batch result, before the round of activities ends', async () => {
    const scenario = generateScenario({
      users: 300,
      seed: 5,
      mix: { noUsageLocation: 0, disabledAccounts: 0, groupLicensed: 0 },
    });
    // 8 writes a second at k = 10: the one round of this run's activities (about 240 users) takes half a minute.
    stack = await startStack({ simulator: { scenario }, env: { GRAPH_WRITE_BUDGET: '1200' } });
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
    });
    const id = start.json.id as string;
    const firstWrite = (): boolean =>
      stack.sim.events().some((event) => event.kind === 'license' && event.cause === 'assignLicense');
    const expired = deadlineAfter(60_000);
    while (!expired() && !firstWrite()) await new Promise((resolve) => setTimeout(resolve, 10));
    const firstResultAt = performance.now();
    const moving = await stack.waitForMigration(id, (view) => view.counts.moved > 0, 10_000);
    const seenAfterMs = performance.now() - firstResultAt;
    const wave = await stack.host.getInstance(`${id}:reassign:0`);
    expect(moving.status).toBe('reassigning');
    expect(seenAfterMs).toBeLessThanOrEqual(2_000);
    // The wave has not finished its first round: the orchestrator's own counts have not moved yet.
    expect((wave?.customStatus as { batchesDone?: number } | null)?.batchesDone ?? 0).toBe(0);
    expect(moving.progress).toBeGreaterThan(0);
    const done = await stack.waitForFinish(id, 180_000);
    expect(done.status).toBe('completed');
  });
});
