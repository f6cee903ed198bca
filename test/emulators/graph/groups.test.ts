/**
 * Group-based licensing in the simulator (issue #13): group properties, membership writes Graph refuses, processing
 * that takes its time member by member, per-member errors and `membersWithLicenseErrors`, and the evidence checks
 * that prove nobody went without a license or a service.
 */
import {
  findServiceGaps,
  findUnlicensedGaps,
  findUnlicensedPeriods,
  GROUP_SCENARIO_GROUPS as G,
  groupLicensingScenario,
  SKU_CATALOG,
  type SimulatorEvent,
} from '../../../emulators/graph';
import { assignBody, call, startTestSimulator, type Simulator } from './helpers';

const E1 = SKU_CATALOG.STANDARDPACK.skuId;
const E3 = SKU_CATALOG.ENTERPRISEPACK.skuId;
const EXCHANGE_P1 = '9aaf7827-d63c-4b61-89c3-182f06f82e5c';
const EXCHANGE_P2 = 'efb87545-963c-4e0d-99df-69c6916d9eb0';
const ROLE_ROLES = ['GroupMember.ReadWrite.All', 'GroupMember.Read.All', 'RoleManagement.ReadWrite.Directory'];

const ref = (sim: Simulator, userId: string) => ({ '@odata.id': `${sim.baseUrl}/directoryObjects/${userId}` });
const kinds = (sim: Simulator, kind: SimulatorEvent['kind']) => sim.events().filter((e) => e.kind === kind);

async function processingStates(sim: Simulator, groupId: string, until: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 400; i += 1) {
    const state = (await call(sim, 'GET', `/groups/${groupId}?$select=licenseProcessingState`)).body
      .licenseProcessingState.state as string;
    if (seen[seen.length - 1] !== state) seen.push(state);
    if (state === until) return seen;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`group ${groupId} never reached ${until}; saw ${seen.join(' → ')}`);
}

describe('group licensing in the simulator', () => {
  let sim: Simulator;
  afterEach(async () => {
    await sim?.stop();
  });

  it('describes groups as Graph does: type, rule, sync, role-assignable, licenses and processing state', async () => {
    sim = await startTestSimulator({
      scenario: groupLicensingScenario({ e1Members: 3, standardMembers: 3, directE3Users: 1 }),
    });
    const dynamic = await call(sim, 'GET', `/groups/${G.dynamicSales}`);
    expect(dynamic.body).toMatchObject({
      groupTypes: ['DynamicMembership'],
      membershipRule: '(user.department -eq "Sales")',
      membershipRuleProcessingState: 'On',
      isAssignableToRole: false,
      onPremisesSyncEnabled: null,
      licenseProcessingState: { state: 'ProcessingComplete' },
    });
    const synced = await call(
      sim,
      'GET',
      `/groups/${G.syncedFinance}?$select=id,onPremisesSyncEnabled,assignedLicenses`,
    );
    expect(synced.body).toEqual({
      '@odata.context': expect.any(String),
      id: G.syncedFinance,
      onPremisesSyncEnabled: true,
      assignedLicenses: [{ skuId: SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId, disabledPlans: [] }],
    });
    expect((await call(sim, 'GET', `/groups/${G.roleAdmins}`)).body.isAssignableToRole).toBe(true);
    expect((await call(sim, 'GET', `/groups/${G.licE1}?$select=nope`)).status).toBe(400);
  });

  it('refuses membership writes to dynamic, synced and (without the role) role-assignable groups', async () => {
    sim = await startTestSimulator({
      profile: 'realistic',
      noise: false,
      settings: { readLagMaxMs: 0, listLagMaxMs: 0 },
      grantedRoles: ['GroupMember.ReadWrite.All', 'GroupMember.Read.All'],
      scenario: groupLicensingScenario({ e1Members: 3, standardMembers: 3, directE3Users: 2 }),
    });
    const user = [...sim.tenant.users.values()].find((u) => u.department === 'Engineering')!;
    const dynamic = await call(sim, 'POST', `/groups/${G.dynamicSales}/members/$ref`, ref(sim, user.id));
    expect(dynamic.status).toBe(403);
    expect(dynamic.body.error).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
    const synced = await call(sim, 'POST', `/groups/${G.syncedFinance}/members/$ref`, ref(sim, user.id));
    expect(synced.status).toBe(400);
    expect(synced.body.error.message).toMatch(/on-premises mastered Directory Sync objects/);
    const roleAssignable = await call(sim, 'POST', `/groups/${G.roleAdmins}/members/$ref`, ref(sim, user.id));
    expect(roleAssignable.status).toBe(403);
    // With RoleManagement.ReadWrite.Directory the same write goes through.
    sim.grantedRoles = new Set(ROLE_ROLES);
    expect((await call(sim, 'POST', `/groups/${G.roleAdmins}/members/$ref`, ref(sim, user.id))).status).toBe(204);
    expect(kinds(sim, 'membership')).toEqual([
      expect.objectContaining({ groupId: G.roleAdmins, userId: user.id, change: 'add', cause: 'graph' }),
    ]);
  });

  it('answers a second add with "already exist" and removing a non-member with 404, changing nothing', async () => {
    sim = await startTestSimulator({
      scenario: groupLicensingScenario({ e1Members: 3, standardMembers: 3, directE3Users: 2 }),
    });
    const user = [...sim.tenant.users.values()].find((u) => u.department === 'Engineering')!;
    expect((await call(sim, 'POST', `/groups/${G.licE3}/members/$ref`, ref(sim, user.id))).status).toBe(204);
    const again = await call(sim, 'POST', `/groups/${G.licE3}/members/$ref`, ref(sim, user.id));
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe(
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
    expect((await call(sim, 'DELETE', `/groups/${G.licE3}/members/${user.id}/$ref`)).status).toBe(204);
    const gone = await call(sim, 'DELETE', `/groups/${G.licE3}/members/${user.id}/$ref`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('Request_ResourceNotFound');
    const missing = await call(
      sim,
      'POST',
      `/groups/${G.licE3}/members/$ref`,
      ref(sim, '20000000-0000-4000-8000-999999999999'),
    );
    expect(missing.status).toBe(404);
    expect(kinds(sim, 'membership').map((e) => (e.kind === 'membership' ? e.change : ''))).toEqual(['add', 'remove']);
  });

  it('processes a large group member by member (realistic), then reports members in error', async () => {
    sim = await startTestSimulator({
      profile: 'realistic',
      noise: false,
      timeScale: 10,
      settings: { readLagMaxMs: 0, listLagMaxMs: 0, groupProcessingDelayMs: 500 },
      scenario: groupLicensingScenario({ e1Members: 120, standardMembers: 2, directE3Users: 0, e3Seats: 100 }),
    });
    const started = await call(
      sim,
      'POST',
      `/groups/${G.licE1}/assignLicense`,
      assignBody([{ skuId: E3, disabledPlans: [EXCHANGE_P2] }]),
    );
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`${sim.baseUrl}/groups/${G.licE1}`);
    expect(started.body.licenseProcessingState.state).toBe('QueuedForProcessing');
    const polled = await processingStates(sim, G.licE1, 'ProcessingComplete');
    expect(polled).toContain('ProcessingInProgress');
    const states = kinds(sim, 'groupProcessing').map((e) => (e.kind === 'groupProcessing' ? e.state : ''));
    expect(states.filter((state, i) => state !== states[i - 1])).toEqual([
      'QueuedForProcessing',
      'ProcessingInProgress',
      'ProcessingComplete',
    ]);
    const progress = kinds(sim, 'groupProcessing').flatMap((e) => (e.kind === 'groupProcessing' ? [e.processed] : []));
    expect(progress.length).toBeGreaterThan(5);
    expect(progress[progress.length - 1]).toBe(120);
    // 100 seats: the last 20 members processed get CountViolation; membersWithLicenseErrors lists exactly them.
    const errors = await call(
      sim,
      'GET',
      `/groups/${G.licE1}/membersWithLicenseErrors?$select=id,licenseAssignmentStates`,
    );
    expect(errors.body.value).toHaveLength(20);
    for (const member of errors.body.value) {
      expect(member['@odata.type']).toBe('#microsoft.graph.user');
      expect(member.licenseAssignmentStates).toContainEqual(
        expect.objectContaining({ skuId: E3, assignedByGroup: G.licE1, state: 'Error', error: 'CountViolation' }),
      );
    }
    expect(kinds(sim, 'groupLicense')).toEqual([
      expect.objectContaining({ groupId: G.licE1, before: [{ skuId: E1, disabledPlans: [] }] }),
    ]);
  });

  it('E1 → E3 on one group: the documented order never leaves a member without Exchange; the wrong one does', async () => {
    sim = await startTestSimulator({
      profile: 'realistic',
      noise: false,
      settings: { readLagMaxMs: 0, listLagMaxMs: 0 },
      scenario: groupLicensingScenario({ e1Members: 5, standardMembers: 2, directE3Users: 0 }),
    });
    const skus = [...sim.tenant.skus.values()];
    const exchange = { skus, planIds: [EXCHANGE_P1, EXCHANGE_P2], service: 'Exchange Online' };
    // Add E3 with its Exchange plan off while E1 stays; then, in one call, switch it on and remove E1.
    await call(
      sim,
      'POST',
      `/groups/${G.licE1}/assignLicense`,
      assignBody([{ skuId: E3, disabledPlans: [EXCHANGE_P2] }]),
    );
    sim.processPendingGroups();
    const member = sim.tenant.users.get(sim.tenant.directUserMembers(sim.tenant.groups.get(G.licE1)!)[0]!.id)!;
    expect(member.licenseStates.map((s) => [s.skuId, s.state, s.error])).toEqual([
      [E1, 'Active', 'None'],
      [E3, 'Active', 'None'],
    ]);
    await call(sim, 'POST', `/groups/${G.licE1}/assignLicense`, assignBody([{ skuId: E3 }], [E1]));
    sim.processPendingGroups();
    expect(member.assignedLicenses).toEqual([{ skuId: E3, disabledPlans: [] }]);
    expect(findServiceGaps(sim.events(), exchange)).toEqual([]);
    expect(findUnlicensedGaps(sim.events())).toEqual([]);
    expect(findUnlicensedPeriods(sim.events())).toEqual([]);
    // Every license change carries the member's states, so the evidence shows where each license came from.
    const last = kinds(sim, 'license').at(-1);
    expect(last).toMatchObject({ states: [{ skuId: E3, assignedByGroup: G.licE1, state: 'Active', error: 'None' }] });

    // Removing E1 first and adding E3 afterwards is what the checks exist to catch.
    sim.loadScenario(groupLicensingScenario({ e1Members: 5, standardMembers: 2, directE3Users: 0 }));
    await call(sim, 'POST', `/groups/${G.licE1}/assignLicense`, assignBody([], [E1]));
    sim.processPendingGroups();
    await call(sim, 'POST', `/groups/${G.licE1}/assignLicense`, assignBody([{ skuId: E3 }]));
    sim.processPendingGroups();
    expect(findServiceGaps(sim.events(), exchange)).toHaveLength(5);
    expect(findUnlicensedPeriods(sim.events())).toHaveLength(5);
    expect(findUnlicensedGaps(sim.events())).toHaveLength(5);
  });

  it('records a direct license removed under a group-inherited one as a state change, not a lapse', async () => {
    sim = await startTestSimulator({
      scenario: groupLicensingScenario({ e1Members: 2, standardMembers: 2, directE3Users: 3 }),
    });
    const user = [...sim.tenant.users.values()].find((u) => u.department === 'Engineering')!;
    expect((await call(sim, 'POST', `/groups/${G.licE3}/members/$ref`, ref(sim, user.id))).status).toBe(204);
    sim.processPendingGroups();
    expect((await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([], [E3]))).status).toBe(200);
    expect(user.licenseStates).toEqual([expect.objectContaining({ skuId: E3, assignedByGroup: G.licE3 })]);
    expect(kinds(sim, 'license')).toEqual([]);
    const changes = kinds(sim, 'licenseState');
    expect(changes).toHaveLength(2);
    expect(changes[1]).toMatchObject({ userId: user.id, cause: 'assignLicense' });
    expect(findUnlicensedPeriods(sim.events())).toEqual([]);
  });
});
