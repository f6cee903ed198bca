/* eslint-disable @typescript-eslint/no-unsafe-call -- Graph JSON bodies are untyped here; the assertions check their shape. */
import {
  PLAN_RULES,
  SKU_CATALOG,
  demoScenario,
  findUnlicensedGaps,
  type Scenario,
  type ScenarioSku,
} from '../../../emulators/graph';
import { assignBody, call, control, startTestSimulator, type GraphItem, type Simulator } from './helpers';

const E1 = SKU_CATALOG.STANDARDPACK.skuId;
const E3 = SKU_CATALOG.ENTERPRISEPACK.skuId;
const EXO_P1 = '9aaf7827-d63c-4b61-89c3-182f06f82e5c';
const EXO_P2 = 'efb87545-963c-4e0d-99df-69c6916d9eb0';
const WA_PLAN = 'f477b0f0-3bb1-4890-940c-40fcee6ce05f';
const E3_GROUP = 'c3e3c3e3-0000-4000-8000-00000000e3e3';

/** Microsoft Workplace Analytics, transcribed from Microsoft's product-names and service-plan table. */
const WORKPLACE_ANALYTICS: ScenarioSku = {
  skuId: '3d957427-ecdc-4df2-aacd-01cc9d519da8',
  skuPartNumber: 'WORKPLACE_ANALYTICS',
  prepaidUnits: 5,
  servicePlans: [
    { servicePlanId: WA_PLAN, servicePlanName: 'WORKPLACE_ANALYTICS' },
    { servicePlanId: 'ff7b261f-d98b-415b-827c-42a3fdf015af', servicePlanName: 'WORKPLACE_ANALYTICS_INSIGHTS_BACKEND' },
    { servicePlanId: 'b622badb-1b45-48d5-920f-4b27a2c0996c', servicePlanName: 'WORKPLACE_ANALYTICS_INSIGHTS_USER' },
  ],
};

const exclusive = `License assignment failed because service plans ${EXO_P1},${EXO_P2} are mutually exclusive`;
const dependency = `License assignment failed because service plan ${WA_PLAN} depends on the service plan(s) ${EXO_P1},${EXO_P2}`;

/**
 * Realistic profile, service-plan rules (no lag, no noise). Sources: "Service plans that cannot be assigned at the
 * same time" (https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference) and "Manage licenses
 * for products with prerequisites" (https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems).
 */
describe('realistic profile: service-plan rules', () => {
  let sim: Simulator;
  const start = (scenario: Scenario = withWorkplaceAnalytics()) =>
    startTestSimulator({
      profile: 'realistic',
      noise: false,
      throttling: false,
      scenario,
      settings: { readLagMaxMs: 0, listLagMaxMs: 0, groupProcessingDelayMs: 60_000 },
    });
  afterEach(() => sim.stop());

  const e1Holder = () => [...sim.tenant.findSku(E1)!.holders][0]!;
  const unlicensed = () => [...sim.tenant.users.values()].find((u) => u.usageLocation && u.licenseStates.length === 0)!;
  const assign = (id: string, add: { skuId: string; disabledPlans?: string[] }[], remove: string[] = []) =>
    call(sim, 'POST', `/users/${id}/assignLicense`, assignBody(add, remove));

  it('rejects E1 and E3 with both Exchange Online plans enabled, with the exact message, and changes nothing', async () => {
    sim = await start();
    const user = e1Holder();
    const res = await assign(user.id, [{ skuId: E3 }]);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'Request_BadRequest', message: exclusive });
    expect(user.assignedLicenses).toEqual([{ skuId: E1, disabledPlans: [] }]);
    expect(sim.events().filter((e) => e.kind === 'license')).toEqual([]);
  });

  it('lets E1 and E3 overlap when E3 Exchange is disabled, then swaps E1 out and re-enables it in one call', async () => {
    sim = await start();
    const user = e1Holder();
    const overlap = await assign(user.id, [{ skuId: E3, disabledPlans: [EXO_P2] }]);
    expect(overlap.status).toBe(200);
    expect(overlap.body.assignedLicenses).toEqual(
      expect.arrayContaining([
        { skuId: E1, disabledPlans: [] },
        { skuId: E3, disabledPlans: [EXO_P2] },
      ]),
    );
    // Re-enabling the plan while E1 stays is the conflict again.
    expect((await assign(user.id, [{ skuId: E3 }])).body.error.message).toBe(exclusive);
    const swap = await assign(user.id, [{ skuId: E3, disabledPlans: [] }], [E1]);
    expect(swap.status).toBe(200);
    expect(swap.body.assignedLicenses).toEqual([{ skuId: E3, disabledPlans: [] }]);
    expect(findUnlicensedGaps(sim.events())).toEqual([]);
  });

  it('rejects an add-on without the plan it depends on, and removing that plan while the add-on stays', async () => {
    sim = await start();
    const bare = unlicensed();
    const alone = await assign(bare.id, [{ skuId: WORKPLACE_ANALYTICS.skuId }]);
    expect(alone.status).toBe(400);
    expect(alone.body.error).toMatchObject({ code: 'Request_BadRequest', message: dependency });
    expect(bare.assignedLicenses).toEqual([]);
    // With Exchange Online from E3 in the same call it is fine.
    expect((await assign(bare.id, [{ skuId: E3 }, { skuId: WORKPLACE_ANALYTICS.skuId }])).status).toBe(200);
    const removeBase = await assign(bare.id, [], [E3]);
    expect(removeBase.status).toBe(400);
    expect(removeBase.body.error.message).toBe(dependency);
    // Switching the base plan off counts as removing it: only enabled plans satisfy a dependency.
    const disableBase = await assign(bare.id, [{ skuId: E3, disabledPlans: [EXO_P2] }]);
    expect(disableBase.body.error.message).toBe(dependency);
    expect(bare.assignedLicenses.map((l) => l.skuId).sort()).toEqual([E3, WORKPLACE_ANALYTICS.skuId].sort());
  });

  it('records MutuallyExclusiveViolation on group members: Error for a new assignment, ActiveWithError for one in force', async () => {
    sim = await start();
    const groupId = E3_GROUP;
    const withE1 = e1Holder();
    const plain = unlicensed();
    sim.tenant.setGroupMembership(groupId, withE1.id, true);
    sim.tenant.setGroupMembership(groupId, plain.id, true);
    const stateOf = async (userId: string): Promise<GraphItem> =>
      (
        (await call(sim, 'GET', `/users/${userId}?$select=licenseAssignmentStates`)).body
          .licenseAssignmentStates as GraphItem[]
      ).find((s) => s.assignedByGroup === groupId && s.skuId === E3);
    const groupAssign = async (disabledPlans: string[]) => {
      const res = await call(
        sim,
        'POST',
        `/groups/${groupId}/assignLicense`,
        assignBody([{ skuId: E3, disabledPlans }]),
      );
      expect(res.status).toBe(202);
      sim.processPendingGroups();
    };

    await groupAssign([]);
    expect(await stateOf(withE1.id)).toMatchObject({
      state: 'Error',
      error: 'MutuallyExclusiveViolation',
      disabledPlans: [],
    });
    expect(await stateOf(plain.id)).toMatchObject({ state: 'Active', error: 'None' });
    expect(withE1.assignedLicenses.map((l) => l.skuId)).toEqual([E1]);

    // The documented way to overlap: the group disables E3's Exchange plan. The failed assignment is retried.
    await groupAssign([EXO_P2]);
    expect(await stateOf(withE1.id)).toMatchObject({ state: 'Active', error: 'None', disabledPlans: [EXO_P2] });

    // Re-enabling it cannot apply to the E1 holder: the assignment stays in force with its old plans.
    await groupAssign([]);
    expect(await stateOf(withE1.id)).toMatchObject({
      state: 'ActiveWithError',
      error: 'MutuallyExclusiveViolation',
      disabledPlans: [EXO_P2],
    });
    expect(await stateOf(plain.id)).toMatchObject({ state: 'Active', error: 'None', disabledPlans: [] });
  });

  it('keeps a group license whose removal would break a dependency, as ActiveWithError / DependencyViolation', async () => {
    sim = await start();
    const groupId = E3_GROUP;
    const user = unlicensed();
    sim.tenant.setGroupMembership(groupId, user.id, true);
    await call(sim, 'POST', `/groups/${groupId}/assignLicense`, assignBody([{ skuId: E3 }]));
    sim.processPendingGroups();
    expect((await assign(user.id, [{ skuId: WORKPLACE_ANALYTICS.skuId }])).status).toBe(200);
    // The user leaves the group (as a directory sync would): E3 cannot go while Workplace Analytics needs Exchange.
    expect((await control(sim, 'DELETE', `/groups/${groupId}/members/${user.id}`)).status).toBe(200);
    const states = (await call(sim, 'GET', `/users/${user.id}?$select=licenseAssignmentStates,assignedLicenses`)).body;
    expect(states.licenseAssignmentStates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          skuId: E3,
          assignedByGroup: groupId,
          state: 'ActiveWithError',
          error: 'DependencyViolation',
        }),
        expect.objectContaining({
          skuId: WORKPLACE_ANALYTICS.skuId,
          assignedByGroup: null,
          state: 'Active',
          error: 'None',
        }),
      ]),
    );
    expect((states.assignedLicenses as GraphItem[]).map((l) => l.skuId as string).sort()).toEqual(
      [E3, WORKPLACE_ANALYTICS.skuId].sort(),
    );
    // Once the add-on is gone, reprocessing removes the group license.
    expect((await assign(user.id, [], [WORKPLACE_ANALYTICS.skuId])).status).toBe(200);
    sim.tenant.reprocess(user.id, { cause: 'reprocess' });
    expect(user.assignedLicenses).toEqual([]);
  });

  it('keeps the rules as data: each has a source, and the table can be changed at run time', async () => {
    sim = await start();
    for (const rule of PLAN_RULES) expect(rule.sources.length).toBeGreaterThan(0);
    const ids = (await control(sim, 'GET', '/plan-rules')).body.map((r: { id: string }) => r.id);
    expect(ids).toEqual(PLAN_RULES.map((r) => r.id));
    // A tenant where Exchange Online Plan 1 and Plan 2 stack: drop that rule.
    await control(
      sim,
      'PUT',
      '/plan-rules',
      ids.filter((id: string) => id !== 'exchange-online-plan1-plan2'),
    );
    expect((await assign(e1Holder().id, [{ skuId: E3 }])).status).toBe(200);
  });

  it('has no plan rules in the deterministic profile (scenario rules only)', async () => {
    sim = await startTestSimulator({ profile: 'deterministic', throttling: false, scenario: withWorkplaceAnalytics() });
    expect((await assign(e1Holder().id, [{ skuId: E3 }])).status).toBe(200);
  });
});

function withWorkplaceAnalytics(): Scenario {
  const scenario = demoScenario();
  return {
    ...scenario,
    skus: [...scenario.skus, WORKPLACE_ANALYTICS],
    groups: [...(scenario.groups ?? []), { id: E3_GROUP, displayName: 'Licensing - E3', members: [] }],
  };
}
