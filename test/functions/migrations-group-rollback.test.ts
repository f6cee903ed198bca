/**
 * Rolling back group moves end to end (issue #14, docs/group-moves.md "Rollback"): through the HTTP API, on the local
 * runtime, against the realistic Graph simulator (lag, background throttling, plan rules, app roles, group processing
 * member by member) and Azurite. A group move runs, then its rollback; the simulator's event log over both runs is the
 * evidence: nobody without a license, nobody without Exchange, and everyone back where they were.
 */
import {
  findServiceGaps,
  findUnlicensedGaps,
  findUnlicensedPeriods,
  GROUP_SCENARIO_GROUPS as G,
  groupLicensingScenario,
  type GraphSimulator,
  type GroupScenarioOptions,
  type Scenario,
  type SimulatorEvent,
} from '../../emulators/graph';
import { requiredAppRoles } from '../../src/graph/permissions';
import type { MigrationView } from '../../src/migrations/view';
import { startStack, type Stack } from '../support/e2e';
import { BUSINESS_STANDARD as STANDARD, E1, E3, EXCHANGE_PLANS, planOf } from '../support/products';

const EXCHANGE = EXCHANGE_PLANS;

interface Row {
  userId: string;
  outcome: string;
  reason: string;
  action: string;
  blockCode?: string;
  graphErrorCode?: string;
}

/** Every user's licenses, where each comes from, and the groups they are in: one comparable string per user. */
function tenantState(sim: GraphSimulator): Map<string, string> {
  const states = new Map<string, string>();
  for (const user of sim.tenant.users.values()) {
    const licenses = user.licenseStates
      .map((s) => `${s.skuId}@${s.assignedByGroup ?? 'direct'}[${[...s.disabledPlans].sort().join(',')}]:${s.state}`)
      .sort();
    const groups = [...user.memberOf].map((group) => group.id).sort();
    states.set(user.id, `${licenses.join(' ')} | ${groups.join(' ')}`);
  }
  return states;
}

const differing = (a: Map<string, string>, b: Map<string, string>): string[] =>
  [...a.keys()].filter((id) => a.get(id) !== b.get(id));

describe('rolling back group moves over HTTP (local runtime + realistic Graph simulator + Azurite)', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  async function start(scenario: Scenario): Promise<Stack> {
    stack = await startStack({
      simulator: { scenario, grantedRoles: requiredAppRoles(['usageLocation', 'groupMoves']) },
    });
    return stack;
  }

  const scenario = (options: GroupScenarioOptions): Scenario => groupLicensingScenario(options);

  async function migrate(body: unknown): Promise<MigrationView> {
    const started = await stack.api('POST', '/api/migrations', body);
    expect(started.status).toBe(202);
    return stack.waitForFinish(started.json.id as string, 180_000);
  }

  async function rollBack(id: string, body: unknown = {}): Promise<MigrationView> {
    const started = await stack.api('POST', `/api/migrations/${id}/rollback`, body);
    if (started.status !== 202) console.log(started.text);
    expect(started.status).toBe(202);
    expect(started.json.rollbackOf).toBe(id);
    return stack.waitForFinish(started.json.id as string, 180_000);
  }

  async function rows(id: string): Promise<Row[]> {
    const response = await stack.api('GET', `/api/migrations/${id}/report`);
    expect(response.status).toBe(200);
    return response.json.rows as Row[];
  }

  const members = (groupId: string): string[] =>
    stack.sim.tenant.groups.get(groupId)!.members.flatMap((m) => ('userPrincipalName' in m ? [m.id] : []));
  const groupLicenses = (groupId: string) => stack.sim.tenant.groups.get(groupId)!.assignedLicenses;
  const eventsOf = (kind: SimulatorEvent['kind'], since = 0) =>
    stack.sim.events().filter((event) => event.kind === kind && event.seq > since);
  const lastSeq = (): number => stack.sim.events().at(-1)?.seq ?? 0;
  const eventsSince = (since: number) => stack.sim.events().filter((event) => event.seq > since);

  it('rolls a 300-member group back from Office 365 E3 to E1, Sway still off as before, never without Exchange', async () => {
    const tenant = scenario({ directE3Users: 0 });
    const sway = planOf('STANDARDPACK', 'SWAY');
    tenant.groups!.find((group) => group.id === G.licE1)!.licenses = [{ sku: 'STANDARDPACK', disabledPlans: [sway] }];
    await start(tenant);
    const before = tenantState(stack.sim);
    const ids = members(G.licE1);
    const original = await migrate({ moves: [{ group: G.licE1, from: 'STANDARDPACK', to: 'ENTERPRISEPACK' }] });
    expect(original).toMatchObject({ status: 'completed', counts: { moved: 300 } });
    expect(groupLicenses(G.licE1).map((l) => l.skuId)).toEqual([E3]);

    const since = lastSeq();
    const rollback = await rollBack(original.id, { acknowledgeDataLoss: true });
    expect(rollback).toMatchObject({ status: 'completed', rollbackOf: original.id, counts: { moved: 300, failed: 0 } });
    // The group (Sway stayed off on E3): E1 first with Exchange Online (Plan 1) off next to E3, then one change that
    // drops E3 and switches Exchange on, leaving E1 exactly as it was.
    const changes = eventsOf('groupLicense', since).map((e) => (e.kind === 'groupLicense' ? e.after : []));
    expect(changes).toEqual([
      [
        { skuId: E3, disabledPlans: [sway] },
        { skuId: E1, disabledPlans: [sway, EXCHANGE[0]] },
      ],
      [{ skuId: E1, disabledPlans: [sway] }],
    ]);
    expect(differing(before, tenantState(stack.sim))).toEqual([]);
    const skus = [...stack.sim.tenant.skus.values()];
    const events = stack.sim.events().filter((e) => e.kind !== 'license' || ids.includes(e.userId));
    expect(findServiceGaps(events, { skus, planIds: EXCHANGE, service: 'Exchange Online' })).toEqual([]);
    expect(findUnlicensedPeriods(stack.sim.events())).toEqual([]);
    // Within the rollback, nothing was removed before its replacement (across both runs E1 goes and comes back).
    expect(findUnlicensedGaps(eventsSince(since))).toEqual([]);

    const restored = await rows(rollback.id);
    expect(restored).toHaveLength(300);
    for (const row of restored) {
      expect(row).toMatchObject({
        outcome: 'moved',
        action: 'follow group Lic – Office 365 E1: add STANDARDPACK; remove ENTERPRISEPACK',
      });
    }
  });

  it('rolls 200 users moved between licensing groups back: each in its source group only, holding its source product', async () => {
    await start(scenario({ memberWithoutUsageLocation: false, directE3Users: 0, e1Members: 0 }));
    const before = tenantState(stack.sim);
    const ids = members(G.licStandard);
    const original = await migrate({
      moves: [
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { groupId: G.licStandard },
          assignVia: { group: G.licPremium },
          sourceGroups: 'leave',
        },
      ],
    });
    expect(original).toMatchObject({ status: 'completed', counts: { moved: 200 } });
    expect(members(G.licStandard)).toEqual([]);

    const since = lastSeq();
    const rollback = await rollBack(original.id, { acknowledgeDataLoss: true });
    expect(rollback).toMatchObject({ status: 'completed', counts: { moved: 200, failed: 0, total: 200 } });
    expect(members(G.licStandard).sort()).toEqual([...ids].sort());
    expect(members(G.licPremium)).toEqual([]);
    for (const userId of ids) {
      expect(stack.sim.tenant.users.get(userId)!.licenseStates).toEqual([
        expect.objectContaining({ skuId: STANDARD, assignedByGroup: G.licStandard, state: 'Active', error: 'None' }),
      ]);
    }
    expect(differing(before, tenantState(stack.sim))).toEqual([]);
    // Each user rejoined its source group before it left the target: never without a license.
    const memberships = eventsOf('membership', since).flatMap((e) => (e.kind === 'membership' ? [e] : []));
    expect(memberships.filter((e) => e.change === 'add' && e.groupId === G.licStandard)).toHaveLength(200);
    expect(memberships.filter((e) => e.change === 'remove' && e.groupId === G.licPremium)).toHaveLength(200);
    for (const userId of ids) {
      const joined = memberships.find((e) => e.userId === userId && e.change === 'add')!;
      const left = memberships.find((e) => e.userId === userId && e.change === 'remove')!;
      expect(joined.seq).toBeLessThan(left.seq);
    }
    expect(findUnlicensedPeriods(stack.sim.events())).toEqual([]);
    expect(findUnlicensedGaps(eventsSince(since))).toEqual([]);
    const restored = await rows(rollback.id);
    expect(restored.every((row) => row.outcome === 'moved')).toBe(true);
    expect(restored[0]!.action).toBe(
      'rejoin group Lic – Business Standard (adds O365_BUSINESS_PREMIUM); leave group Lic – Business Premium',
    );
  });

  it('rolls a direct → group conversion back: the direct E3 with its plans again, out of the group, no seat used', async () => {
    const tenant = scenario({ e1Members: 0, standardMembers: 1, directE3Users: 100 });
    const sway = planOf('ENTERPRISEPACK', 'SWAY');
    const direct = tenant.users.filter((user) => user.licenses?.some((l) => l.sku === 'ENTERPRISEPACK'));
    for (const user of direct.slice(0, 10)) user.licenses = [{ sku: 'ENTERPRISEPACK', disabledPlans: [sway] }];
    await start(tenant);
    const before = tenantState(stack.sim);
    const e3 = stack.sim.tenant.findSku('ENTERPRISEPACK')!;
    const consumed = stack.sim.tenant.consumedUnits(e3);
    const original = await migrate({
      moves: [{ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPACK', users: { all: true }, assignVia: { group: G.licE3 } }],
    });
    expect(original).toMatchObject({ status: 'completed', counts: { moved: 100 } });
    expect(members(G.licE3)).toHaveLength(100);

    const since = lastSeq();
    // No acknowledgeDataLoss: the users keep the same product throughout.
    const rollback = await rollBack(original.id);
    expect(rollback).toMatchObject({ status: 'completed', counts: { moved: 100, failed: 0 } });
    expect(members(G.licE3)).toEqual([]);
    expect(differing(before, tenantState(stack.sim))).toEqual([]);
    expect(stack.sim.tenant.consumedUnits(e3)).toBe(consumed);
    expect(findUnlicensedPeriods(stack.sim.events())).toEqual([]);
    expect(findUnlicensedGaps(eventsSince(since))).toEqual([]);
    const restored = await rows(rollback.id);
    expect(restored.every((row) => row.outcome === 'moved')).toBe(true);
    expect(restored[0]!.action).toBe('add ENTERPRISEPACK (direct); leave group Lic – Office 365 E3');
  });

  it('leaves a group changed by hand since the original run alone ("changed since") while the rest goes back; force restores it too', async () => {
    await start(scenario({ e1Members: 20, standardMembers: 30, memberWithoutUsageLocation: false, directE3Users: 0 }));
    const before = tenantState(stack.sim);
    const e1Members = members(G.licE1);
    const original = await migrate({
      moves: [
        { group: G.licE1, from: 'STANDARDPACK', to: 'ENTERPRISEPACK' },
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { groupId: G.licStandard },
          assignVia: { group: G.licPremium },
          sourceGroups: 'leave',
        },
      ],
    });
    expect(original).toMatchObject({ status: 'completed', counts: { moved: 50 } });
    // An admin switches Sway off in the E1 group's E3, by hand (Entra admin center: the group's licenses).
    const swayE3 = planOf('ENTERPRISEPACK', 'SWAY');
    const byHand = await fetch(`${stack.sim.baseUrl}/groups/${G.licE1}/assignLicense`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ addLicenses: [{ skuId: E3, disabledPlans: [swayE3] }], removeLicenses: [] }),
    });
    expect(byHand.status).toBe(202);
    expect((await fetch(`${stack.sim.controlUrl}/groups/process`, { method: 'POST' })).ok).toBe(true);
    const handState = tenantState(stack.sim);

    const since = lastSeq();
    const first = await rollBack(original.id, { acknowledgeDataLoss: true });
    expect(first).toMatchObject({ status: 'completed', counts: { moved: 30, skipped: 20 } });
    const firstRows = await rows(first.id);
    const skipped = firstRows.filter((row) => row.outcome === 'skipped');
    expect(skipped.map((row) => row.userId).sort()).toEqual([...e1Members].sort());
    for (const row of skipped) {
      expect(row.reason).toMatch(
        /^changed since the original run: group "Lic – Office 365 E1" .* assigned Office 365 E3 after it/,
      );
    }
    expect(eventsOf('groupLicense', since)).toEqual([]);
    for (const userId of e1Members) expect(tenantState(stack.sim).get(userId)).toBe(handState.get(userId));
    expect(differing(before, tenantState(stack.sim)).sort()).toEqual([...e1Members].sort());

    const forced = await rollBack(original.id, { acknowledgeDataLoss: true, force: true });
    expect(forced).toMatchObject({ status: 'completed', counts: { moved: 20, skipped: 30 } });
    expect(differing(before, tenantState(stack.sim))).toEqual([]);
    const skus = [...stack.sim.tenant.skus.values()];
    expect(findServiceGaps(stack.sim.events(), { skus, planIds: EXCHANGE, service: 'Exchange Online' })).toEqual([]);
    expect(findUnlicensedPeriods(stack.sim.events())).toEqual([]);
    const links = await stack.api('GET', `/api/migrations/${original.id}`);
    expect(links.json.rolledBackBy).toEqual([first.id, forced.id]);
  });

  it('goes through dry run, approval and the seat wait like a forward run; the report names each group and member', async () => {
    await start(scenario({ e1Members: 30, standardMembers: 10, memberWithoutUsageLocation: false, directE3Users: 0 }));
    const before = tenantState(stack.sim);
    const original = await migrate({
      moves: [
        { group: G.licE1, from: 'STANDARDPACK', to: 'ENTERPRISEPACK' },
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { groupId: G.licStandard },
          assignVia: { group: G.licPremium },
          sourceGroups: 'leave',
        },
      ],
    });
    expect(original).toMatchObject({ status: 'completed', counts: { moved: 40 } });
    const since = lastSeq();

    // Dry run: the plan names both groups and every member, and nothing is written.
    const dry = await stack.api('POST', `/api/migrations/${original.id}/rollback?dryRun=true`, {
      acknowledgeDataLoss: true,
    });
    expect(dry.status).toBe(202);
    expect((await stack.waitForFinish(dry.json.id as string)).message).toMatch(/Dry run/);
    const dryReport = await stack.api('GET', `/api/migrations/${dry.json.id}/report`);
    const groups = [
      expect.objectContaining({
        kind: 'product',
        groupName: 'Lic – Office 365 E1',
        users: 30,
        action: expect.stringMatching(
          /add Office 365 E1 with EXCHANGE_S_STANDARD off next to Office 365 E3; once every member holds it, remove Office 365 E3 .*\(back to what the group assigned before the original run\)$/,
        ),
      }),
      expect.objectContaining({
        kind: 'restore',
        groupName: 'Lic – Business Premium',
        users: 10,
        action: expect.stringMatching(
          /users get Microsoft 365 Business Standard back .* and only then leave the group$/,
        ),
      }),
    ];
    expect(dryReport.json.plan.groups).toEqual(groups);
    const dryRows = dryReport.json.rows as Row[];
    expect(dryRows).toHaveLength(40);
    for (const row of dryRows) expect(row.reason).toMatch(/^dry run, nothing changed; would /);
    const writes = ['license', 'licenseState', 'groupLicense', 'membership'] as const;
    for (const kind of writes) expect(eventsOf(kind, since)).toEqual([]);

    // The E1 subscription was reduced meanwhile: after approval, the rollback waits for the purchase.
    stack.sim.setSkuSeats('STANDARDPACK', 5);
    stack.host.clock.setAutoAdvance(false);
    const started = await stack.api('POST', `/api/migrations/${original.id}/rollback`, {
      acknowledgeDataLoss: true,
      requireApproval: true,
    });
    expect(started.status).toBe(202);
    const id = started.json.id as string;
    await stack.waitForMigration(id, (view) => view.status === 'awaitingApproval');
    const pending = await stack.api('GET', `/api/migrations/${id}/report`);
    expect(pending.json.plan.groups).toEqual(groups);
    expect(eventsOf('groupLicense', since)).toEqual([]);
    expect(eventsOf('membership', since)).toEqual([]);
    expect((await stack.api('POST', `/api/migrations/${id}/approve`, { by: 'cab@fabrikam.com' })).status).toBe(202);
    const waiting = await stack.waitForMigration(
      id,
      (view) => view.status === 'waitingForLicenses' && view.waitingFor !== undefined,
    );
    expect(waiting.waitingFor!.reason).toMatch(/need 30, 5 free: buy 25 more Office 365 E1 licenses/);
    expect(eventsOf('groupLicense', since)).toEqual([]);

    stack.sim.setSkuSeats('STANDARDPACK', 30);
    await stack.host.clock.advanceBy(60 * 60_000);
    stack.host.clock.setAutoAdvance(true);
    const done = await stack.waitForFinish(id, 180_000);
    expect(done).toMatchObject({ status: 'completed', rollbackOf: original.id, counts: { moved: 40, failed: 0 } });
    expect(differing(before, tenantState(stack.sim))).toEqual([]);
    expect(findUnlicensedPeriods(stack.sim.events())).toEqual([]);
    expect(findUnlicensedGaps(eventsSince(since))).toEqual([]);
    const report = await stack.api('GET', `/api/migrations/${id}/report`);
    expect(report.json.plan.groups).toEqual(groups);
    const restored = report.json.rows as (Row & { userPrincipalName: string })[];
    expect(restored.map((row) => row.userId).sort()).toEqual(dryRows.map((row) => row.userId).sort());
    for (const row of restored) {
      expect(row.outcome).toBe('moved');
      expect(row.userPrincipalName).toMatch(/@/);
    }
  });

  it('retries a run with group moves (no 400 for its stored moves), re-planning only the user who failed', async () => {
    await start(scenario({ e1Members: 0, standardMembers: 5, directE3Users: 0 }));
    const original = await migrate({
      moves: [
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { groupId: G.licStandard },
          assignVia: { group: G.licPremium },
          sourceGroups: 'leave',
        },
      ],
    });
    // Group licensing records the missing usage location as the member's error: the user fails and keeps Standard.
    expect(original).toMatchObject({ status: 'completedWithErrors', counts: { moved: 4, failed: 1 } });
    const failed = (await rows(original.id)).find((row) => row.outcome === 'failed')!;
    expect(failed).toMatchObject({ graphErrorCode: 'ProhibitedInUsageLocationViolation' });

    const since = lastSeq();
    const retry = await stack.api('POST', `/api/migrations/${original.id}/retry`, { usageLocation: 'US' });
    expect(retry.status).toBe(202);
    expect(retry.json.retryOf).toBe(original.id);
    const done = await stack.waitForFinish(retry.json.id as string, 180_000);
    // Given a usage location, the member (already in the target group) is reprocessed and inherits the target.
    expect(done).toMatchObject({ status: 'completed', retryOf: original.id, counts: { total: 1, moved: 1 } });
    expect((await rows(done.id)).map((row) => row.userId)).toEqual([failed.userId]);
    // Nobody else was written to.
    for (const kind of ['license', 'licenseState', 'membership'] as const) {
      const others = eventsOf(kind, since).filter((e) => 'userId' in e && e.userId !== failed.userId);
      expect(others).toEqual([]);
    }
    expect(eventsOf('groupLicense', since)).toEqual([]);

    // The rollback of the original is planned from its records too (no 400 either).
    const rollback = await stack.api('POST', `/api/migrations/${original.id}/rollback?dryRun=true`, {
      acknowledgeDataLoss: true,
    });
    expect(rollback.status).toBe(202);
  });
});
