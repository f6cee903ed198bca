/**
 * Direct moves between products whose service plans cannot be held together, end to end on the realistic simulator
 * (its plan-rule table: Office 365 E1's Exchange Online (Plan 1) and E3's Exchange Online (Plan 2) are mutually
 * exclusive). With `strategy: "overlap"`, E3 is added with its clashing Exchange plan off while E1 stays, and cleanup
 * then swaps them in one call: every user ends on E3 and nobody is ever without Exchange.
 */
import { findServiceGaps, findUnlicensedPeriods, generateScenario, type SimulatorEvent } from '../../emulators/graph';
import { startStack, type Stack } from '../support/e2e';
import { E1, E3, EXCHANGE_PLANS, planOf } from '../support/products';

describe('overlap between mutually exclusive products (E1 → E3) over HTTP on the realistic simulator', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      simulator: {
        scenario: generateScenario({
          users: 120,
          seed: 11,
          mix: {
            skus: { STANDARDPACK: 1 },
            disabledAccounts: 0,
            noUsageLocation: 0,
            groupLicensed: 0,
            disabledPlans: 0,
            target: { sku: 'ENTERPRISEPACK', seats: 120 },
          },
        }),
      },
    });
  });
  afterAll(() => stack?.stop());

  it('ends with every user on E3 alone and nobody ever without Exchange', async () => {
    const e1Holders = [...stack.sim.tenant.users.values()]
      .filter((user) => user.assignedLicenses.some((license) => license.skuId === E1))
      .map((user) => user.id);
    expect(e1Holders).toHaveLength(120);

    const started = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'STANDARDPACK', to: 'ENTERPRISEPACK', users: { all: true } }],
      strategy: 'overlap',
    });
    expect(started.status).toBe(202);
    const done = await stack.waitForFinish(started.json.id as string, 180_000);
    expect(done).toMatchObject({ status: 'completed', counts: { moved: 120, failed: 0 } });

    for (const userId of e1Holders) {
      const licenses = stack.sim.tenant.users.get(userId)!.assignedLicenses;
      expect(licenses.map((license) => ({ skuId: license.skuId, disabledPlans: license.disabledPlans }))).toEqual([
        { skuId: E3, disabledPlans: [] },
      ]);
    }
    const events: SimulatorEvent[] = stack.sim.events();
    const skus = [...stack.sim.tenant.skus.values()];
    expect(findServiceGaps(events, { skus, planIds: EXCHANGE_PLANS, service: 'Exchange Online' })).toEqual([]);
    expect(findUnlicensedPeriods(events)).toEqual([]);
    // The documented order: E3 came first with its clashing Exchange plan off beside E1, then one call swapped them.
    const e3Exchange = planOf('ENTERPRISEPACK', 'EXCHANGE_S_ENTERPRISE');
    for (const userId of e1Holders) {
      const states = events.flatMap((event) =>
        event.kind === 'license' && event.userId === userId
          ? [event.after.map((license) => `${license.skuId}:${license.disabledPlans.join(',')}`).sort()]
          : [],
      );
      expect(states).toContainEqual([`${E1}:`, `${E3}:${e3Exchange}`].sort());
      expect(states.at(-1)).toEqual([`${E3}:`]);
    }
  });
});
