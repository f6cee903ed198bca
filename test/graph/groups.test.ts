/** The Graph layer's group operations (issue #13) against the Graph simulator: reads, membership writes, group licenses. */
import {
  GROUP_SCENARIO_GROUPS as G,
  groupLicensingScenario,
  SKU_CATALOG,
  startGraphSimulator,
  type GraphSimulator,
  type GraphSimulatorServer,
} from '../../emulators/graph';
import { requiredAppRoles } from '../../src/graph/permissions';
import { createLicensingGraph, type LicensingGraph } from '../../src/graph';

const E1 = SKU_CATALOG.STANDARDPACK.skuId;
const E3 = SKU_CATALOG.ENTERPRISEPACK.skuId;
const EXCHANGE_P2 = 'efb87545-963c-4e0d-99df-69c6916d9eb0';

type Sim = GraphSimulator & GraphSimulatorServer;
let sim: Sim | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(grantedRoles = requiredAppRoles(['groupMoves'])): Promise<{ sim: Sim; graph: LicensingGraph }> {
  sim = await startGraphSimulator({
    scenario: groupLicensingScenario({ e1Members: 30, standardMembers: 45, directE3Users: 25 }),
    profile: 'realistic',
    latency: 'none',
    noise: false,
    settings: { readLagMaxMs: 0, listLagMaxMs: 0 },
    grantedRoles,
    seed: 3,
  });
  const graph = createLicensingGraph(
    {
      baseUrl: sim.baseUrl,
      auth: 'none',
      writeBudgetPer150s: 28_500,
      resourceUnitBudgetPer10s: 33_000,
      maxConcurrency: 8,
    },
    { requestTimeoutMs: 2_000, retry: { baseDelayMs: 20, maxDelayMs: 200 } },
  );
  return { sim, graph };
}

const usersIn = (s: Sim, department: string) =>
  [...s.tenant.users.values()].filter((user) => user.department === department).map((user) => user.id);

describe('Graph layer: groups', () => {
  it('reads a group, its direct members (users with license state, nested groups) and members in error', async () => {
    const { sim, graph } = await start();
    const dynamic = await graph.getGroup(G.dynamicSales);
    expect(dynamic).toMatchObject({
      id: G.dynamicSales,
      displayName: 'Dyn – Sales (Premium)',
      groupTypes: ['DynamicMembership'],
      membershipRule: '(user.department -eq "Sales")',
      onPremisesSyncEnabled: null,
      isAssignableToRole: false,
      licenseProcessingState: 'ProcessingComplete',
    });
    expect(await graph.getGroup('30000000-0000-4000-8000-000000000000')).toBeUndefined();
    const members = await graph.listGroupMembers(G.licStandard);
    expect(members.users).toHaveLength(45);
    expect(members.users[0]!.licenseAssignmentStates).toEqual([
      expect.objectContaining({ assignedByGroup: G.licStandard, state: 'Active' }),
    ]);
    const nested = await graph.listGroupMembers(G.nestedOnly);
    expect(nested).toEqual({ users: [], groups: [{ id: G.nestedTeam }] });
    sim.setSkuSeats('ENTERPRISEPACK', 25 + 10);
    await graph.assignGroupLicense(G.licE1, [{ skuId: E3, disabledPlans: [EXCHANGE_P2] }], []);
    sim.processPendingGroups();
    const inError = await graph.listMembersWithLicenseErrors(G.licE1);
    expect(inError).toHaveLength(20);
    expect(inError[0]!.licenseAssignmentStates).toContainEqual(
      expect.objectContaining({ skuId: E3, error: 'CountViolation', state: 'Error' }),
    );
    expect((await graph.getGroup(G.licE1))!.assignedLicenses).toEqual([
      { skuId: E1, disabledPlans: [] },
      { skuId: E3, disabledPlans: [EXCHANGE_P2] },
    ]);
  });

  it('adds and removes members in $batch requests, taking "already a member" and "not a member" as done', async () => {
    const { sim, graph } = await start();
    const engineers = usersIn(sim, 'Engineering');
    sim.tenant.setGroupMembership(G.licE3, engineers[0]!, true);
    const added = await graph.addGroupMembers(G.licE3, engineers);
    expect(added.map((r) => (r.ok ? r.outcome : r.error.code))).toEqual([
      'alreadyMember',
      ...Array.from({ length: 24 }, () => 'added'),
    ]);
    // 25 writes in two $batch requests.
    const batches = sim.events().filter((e) => e.kind === 'request' && e.path === '/$batch');
    expect(batches).toHaveLength(2);
    const removed = await graph.removeGroupMembers(G.licE3, [...engineers.slice(0, 3), usersIn(sim, 'Sales')[0]!]);
    expect(removed.map((r) => (r.ok ? r.outcome : r.error.code))).toEqual([
      'removed',
      'removed',
      'removed',
      'notMember',
    ]);
    const memberships = sim.events().filter((e) => e.kind === 'membership' && e.cause === 'graph');
    expect(memberships).toHaveLength(24 + 3);
  });

  it('gets per-user refusals for dynamic, synced and role-assignable groups, with the reason', async () => {
    const { sim, graph } = await start();
    const [user] = usersIn(sim, 'Engineering');
    const [dynamic] = await graph.addGroupMembers(G.dynamicSales, [user!]);
    expect(dynamic).toMatchObject({ ok: false, error: { status: 403, code: 'Authorization_RequestDenied' } });
    expect(dynamic!.ok ? '' : dynamic!.error.reason).toMatch(/dynamic or role-assignable/);
    const [synced] = await graph.addGroupMembers(G.syncedFinance, [user!]);
    expect(synced).toMatchObject({ ok: false, error: { status: 400, errorClass: 'permanent' } });
    const [admins] = await graph.removeGroupMembers(G.roleAdmins, [user!]);
    expect(admins).toMatchObject({ ok: false, error: { status: 403 } });
  });

  it('retries throttled and failed membership items until they land, without adding anyone twice', async () => {
    const { sim, graph } = await start();
    const engineers = usersIn(sim, 'Engineering').slice(0, 10);
    sim.setFaults([
      { kind: 'error', status: 503, method: 'POST', path: '/members/$ref', times: 3 },
      { kind: 'error', status: 429, method: 'POST', path: '/members/$ref', times: 2, retryAfterSeconds: 0.05 },
    ]);
    const added = await graph.addGroupMembers(G.licE3, engineers);
    expect(added.every((r) => r.ok)).toBe(true);
    const memberships = sim.events().filter((e) => e.kind === 'membership');
    expect(memberships).toHaveLength(10);
  });

  it('checks membership and group-license writes before anyone is touched, by writes that change nothing', async () => {
    const { sim, graph } = await start(requiredAppRoles());
    const member = usersIn(sim, 'Sales')[0]!;
    const missing = await graph.checkWriteAccess([
      { operation: 'addGroupMember', groupId: G.licStandard, memberId: member, isMember: true },
      { operation: 'assignGroupLicense', groupId: G.licE1 },
    ]);
    expect(missing.map((m) => [m.operation, m.permission])).toEqual([['addGroupMember', 'GroupMember.ReadWrite.All']]);
    // Neither check changed anything.
    expect(sim.events().filter((e) => e.kind === 'membership' || e.kind === 'groupLicense')).toEqual([]);
    sim.grantedRoles = new Set(requiredAppRoles(['groupMoves']));
    expect(
      await graph.checkWriteAccess([
        { operation: 'addGroupMember', groupId: G.licStandard, memberId: member, isMember: true },
        { operation: 'removeGroupMember', groupId: G.licPremium, memberId: member, isMember: false },
      ]),
    ).toEqual([]);
    expect(sim.events().filter((e) => e.kind === 'membership')).toEqual([]);
  });
});
