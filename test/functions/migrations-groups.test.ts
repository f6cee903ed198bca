/**
 * Group-based moves end to end (issue #13, docs/group-moves.md): through the HTTP API, on the local runtime, against
 * the realistic Graph simulator (lag, background throttling, plan rules, app roles, group processing member by
 * member) and Azurite. The simulator's event log is the evidence: nobody without a license, nobody without Exchange.
 */
import {
  findServiceGaps,
  findUnlicensedGaps,
  findUnlicensedPeriods,
  GROUP_SCENARIO_GROUPS as G,
  groupLicensingScenario,
  type GroupScenarioOptions,
  type SimulatorEvent,
} from '../../emulators/graph';
import type { MigrationView } from '../../src/migrations/view';
import { requiredAppRoles } from '../../src/graph/permissions';
import { startStack, type Stack } from '../support/e2e';
import {
  BUSINESS_PREMIUM as PREMIUM,
  BUSINESS_STANDARD as STANDARD,
  E1,
  E3,
  EXCHANGE_PLANS,
} from '../support/products';

const EXCHANGE = EXCHANGE_PLANS;

interface Row {
  userId: string;
  userPrincipalName: string;
  outcome: string;
  reason: string;
  action: string;
  blockCode?: string;
  graphErrorCode?: string;
  before: { skuId: string }[];
  after: { skuId: string }[];
}

describe('group-based moves over HTTP (local runtime + realistic Graph simulator + Azurite)', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  async function start(options: GroupScenarioOptions = {}): Promise<Stack> {
    stack = await startStack({
      simulator: {
        scenario: groupLicensingScenario(options),
        grantedRoles: requiredAppRoles(['usageLocation', 'groupMoves']),
      },
    });
    return stack;
  }

  /** Every distinct status the API showed while the run went on (polled as a client would). */
  function watch(id: string): { seen: MigrationView[]; stop: () => Promise<void> } {
    const seen: MigrationView[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const view = await stack.api<MigrationView>('GET', `/api/migrations/${id}`);
        const last = seen[seen.length - 1];
        if (view.status === 200 && JSON.stringify(view.json.waitingFor) !== JSON.stringify(last?.waitingFor)) {
          seen.push(view.json);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    return {
      seen,
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }

  async function report(id: string): Promise<{
    rows: Row[];
    json: { plan: { groups?: unknown[] }; summary: { sourceSkus: { skuId: string; seatsFreed: number }[] } };
  }> {
    const response = await stack.api('GET', `/api/migrations/${id}/report`);
    expect(response.status).toBe(200);
    return { rows: response.json.rows as Row[], json: response.json };
  }

  const members = (groupId: string): string[] =>
    stack.sim.tenant.groups.get(groupId)!.members.flatMap((m) => ('userPrincipalName' in m ? [m.id] : []));
  const held = (userId: string): string[] => stack.sim.tenant.users.get(userId)!.assignedLicenses.map((l) => l.skuId);
  const eventsOf = (kind: SimulatorEvent['kind']) => stack.sim.events().filter((event) => event.kind === kind);

  it('moves a 300-member group from Office 365 E1 to E3 as documented: never without Exchange, waiting for the purchase', async () => {
    await start({ directE3Users: 0 });
    stack.sim.setSkuSeats('ENTERPRISEPACK', 100);
    stack.host.clock.setAutoAdvance(false);
    const started = await stack.api('POST', '/api/migrations', {
      moves: [{ group: G.licE1, from: 'STANDARDPACK', to: 'ENTERPRISEPACK' }],
    });
    expect(started.status).toBe(202);
    const id = started.json.id as string;
    const waiting = await stack.waitForMigration(
      id,
      (v) => v.status === 'waitingForLicenses' && v.waitingFor !== undefined,
    );
    expect(waiting.waitingFor!.reason).toMatch(/need 300, 100 free: buy 200 more Office 365 E3 licenses/);
    expect(eventsOf('groupLicense')).toEqual([]);

    // The purchase lands (control API); the next timed check picks it up.
    const landed = await fetch(`${stack.sim.controlUrl}/skus/ENTERPRISEPACK`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prepaidUnits: { enabled: 400 } }),
    });
    expect(landed.ok).toBe(true);
    const statuses = watch(id);
    await stack.host.clock.advanceBy(60 * 60_000);
    stack.host.clock.setAutoAdvance(true);
    const done = await stack.waitForFinish(id, 120_000);
    await statuses.stop();
    expect(done).toMatchObject({ status: 'completed', counts: { moved: 300, failed: 0 } });
    expect(
      statuses.seen.some(
        (v) =>
          v.status === 'processingGroups' &&
          /^waiting for group processing: \d+ of 300 members done, \d+ with errors$/.test(v.waitingFor?.reason ?? ''),
      ),
    ).toBe(true);

    // The group: first E3 with Exchange Online (Plan 2) off next to E1, then one change that drops E1 and switches it on.
    const changes = eventsOf('groupLicense').map((e) => (e.kind === 'groupLicense' ? e.after : []));
    expect(changes.at(-2)).toEqual([
      { skuId: E1, disabledPlans: [] },
      { skuId: E3, disabledPlans: [EXCHANGE[1]] },
    ]);
    expect(changes.at(-1)).toEqual([{ skuId: E3, disabledPlans: [] }]);
    const ids = members(G.licE1);
    for (const userId of ids) expect(held(userId)).toEqual([E3]);
    const events = stack.sim.events().filter((e) => e.kind !== 'license' || ids.includes(e.userId));
    const skus = [...stack.sim.tenant.skus.values()];
    expect(findServiceGaps(events, { skus, planIds: EXCHANGE, service: 'Exchange Online' })).toEqual([]);
    expect(findUnlicensedPeriods(events)).toEqual([]);
    expect(findUnlicensedGaps(events)).toEqual([]);

    const { rows, json } = await report(id);
    expect(rows.map((row) => row.userId).sort()).toEqual([...ids].sort());
    for (const row of rows) {
      expect(row).toMatchObject({
        outcome: 'moved',
        action: 'follow group Lic – Office 365 E1: add ENTERPRISEPACK; remove STANDARDPACK',
      });
      expect(row.after.map((l) => l.skuId)).toEqual([E3]);
    }
    expect(json.summary.sourceSkus).toContainEqual(expect.objectContaining({ skuId: E1, seatsFreed: 300 }));
  });

  it('moves 200 users from "Lic – Business Standard" to "Lic – Business Premium", leaving the source group', async () => {
    await start({ memberWithoutUsageLocation: false, directE3Users: 0, e1Members: 0 });
    const ids = members(G.licStandard);
    const started = await stack.api('POST', '/api/migrations', {
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
    expect(started.status).toBe(202);
    const done = await stack.waitForFinish(started.json.id, 120_000);
    expect(done).toMatchObject({ status: 'completed', counts: { moved: 200, failed: 0, total: 200 } });
    expect(members(G.licStandard)).toEqual([]);
    expect(members(G.licPremium).sort()).toEqual([...ids].sort());
    for (const userId of ids) {
      expect(held(userId)).toEqual([PREMIUM]);
      expect(stack.sim.tenant.users.get(userId)!.licenseStates).toEqual([
        expect.objectContaining({ skuId: PREMIUM, assignedByGroup: G.licPremium, state: 'Active', error: 'None' }),
      ]);
    }
    // Never without both: each user got Premium before losing Standard.
    expect(findUnlicensedPeriods(stack.sim.events())).toEqual([]);
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
    const memberships = eventsOf('membership');
    expect(memberships.filter((e) => e.kind === 'membership' && e.change === 'add')).toHaveLength(200);
    expect(memberships.filter((e) => e.kind === 'membership' && e.change === 'remove')).toHaveLength(200);
    const { rows } = await report(started.json.id);
    expect(rows.every((row) => row.outcome === 'moved')).toBe(true);
    expect(rows[0]!.action).toBe('join group Lic – Business Premium (adds SPB); leave group Lic – Business Standard');
  });

  it('converts 500 direct E3 users to a group that assigns E3: no lapse, the direct assignments gone, no seats freed', async () => {
    await start({ e1Members: 0, standardMembers: 1, directE3Users: 500 });
    const consumed = stack.sim.tenant.consumedUnits(stack.sim.tenant.findSku('ENTERPRISEPACK')!);
    const started = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPACK', users: { all: true }, assignVia: { group: G.licE3 } }],
    });
    expect(started.status).toBe(202);
    const done = await stack.waitForFinish(started.json.id, 180_000);
    expect(done).toMatchObject({ status: 'completed', counts: { moved: 500, failed: 0 } });
    const converted = members(G.licE3);
    expect(converted).toHaveLength(500);
    for (const userId of converted) {
      expect(stack.sim.tenant.users.get(userId)!.licenseStates).toEqual([
        expect.objectContaining({ skuId: E3, assignedByGroup: G.licE3, state: 'Active' }),
      ]);
    }
    // The license never lapsed: assignedLicenses never changed for anyone; only where it comes from did.
    expect(eventsOf('license')).toEqual([]);
    expect(eventsOf('licenseState').length).toBeGreaterThanOrEqual(1000);
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
    expect(findUnlicensedPeriods(stack.sim.events())).toEqual([]);
    expect(stack.sim.tenant.consumedUnits(stack.sim.tenant.findSku('ENTERPRISEPACK')!)).toBe(consumed);
    const { json } = await report(started.json.id);
    expect(json.summary.sourceSkus).toEqual([expect.objectContaining({ skuId: E3, seatsFreed: 0 })]);
  });

  it('refuses dynamic, synced and nested-only groups with the reason, and reports a member error while the rest proceed', async () => {
    await start({ e1Members: 3, standardMembers: 6, directE3Users: 0 });
    const standard = members(G.licStandard);
    const upn = (userId: string) => stack.sim.tenant.users.get(userId)!.userPrincipalName;
    const started = await stack.api('POST', '/api/migrations', {
      moves: [
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { ids: standard.slice(0, 2) },
          assignVia: { group: G.dynamicSales },
        },
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { groupId: G.syncedFinance },
          assignVia: { group: G.licPremium },
          sourceGroups: 'leave',
        },
        { group: G.nestedOnly, from: 'STANDARDPACK', to: 'ENTERPRISEPACK' },
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { upns: standard.slice(2).map(upn) },
          assignVia: { group: G.licPremium },
          sourceGroups: 'leave',
        },
      ],
    });
    expect(started.status).toBe(202);
    const done = await stack.waitForFinish(started.json.id, 120_000);
    expect(done).toMatchObject({ status: 'completedWithErrors', counts: { moved: 3, failed: 1, blocked: 10 } });
    const { rows, json } = await report(started.json.id);
    const byMove = (n: number) => rows.filter((row) => (row as unknown as { move: number }).move === n);
    for (const row of byMove(0)) {
      expect(row).toMatchObject({
        outcome: 'blocked',
        blockCode: 'groupRefused',
        reason: expect.stringMatching(/dynamic membership/),
      });
    }
    for (const row of byMove(1)) {
      expect(row).toMatchObject({
        outcome: 'blocked',
        reason: expect.stringMatching(/synced from on-premises Active Directory/),
      });
    }
    expect(byMove(2)).toHaveLength(3);
    for (const row of byMove(2)) expect(row).toMatchObject({ outcome: 'blocked', blockCode: 'nestedOnly' });
    expect(json.plan.groups).toContainEqual(
      expect.objectContaining({
        groupId: G.nestedOnly,
        refused: expect.stringMatching(/only nested groups as members/),
      }),
    );
    // The member without a usage location: group licensing records the error; reported with its meaning; keeps Standard.
    const failed = rows.find((row) => row.outcome === 'failed')!;
    expect(failed.userId).toBe(standard[5]);
    expect(failed).toMatchObject({
      graphErrorCode: 'ProhibitedInUsageLocationViolation',
      reason: expect.stringMatching(/no usage location.*Set the user's usage location/),
    });
    expect(held(failed.userId)).toEqual([STANDARD]);
    expect(byMove(3).filter((row) => row.outcome === 'moved')).toHaveLength(3);
    expect(findUnlicensedPeriods(stack.sim.events())).toEqual([]);
    // Nothing was written to the refused groups.
    expect(
      eventsOf('membership').filter(
        (e) => e.kind === 'membership' && ([G.dynamicSales, G.syncedFinance] as string[]).includes(e.groupId),
      ),
    ).toEqual([]);
  });

  it('shows exactly which groups and users change in a dry run and while awaiting approval, changing nothing', async () => {
    await start({ e1Members: 4, standardMembers: 5, directE3Users: 0 });
    const body = {
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
    };
    const dry = await stack.api('POST', '/api/migrations', { ...body, dryRun: true });
    expect((await stack.waitForFinish(dry.json.id)).message).toMatch(/Dry run/);
    const dryReport = await report(dry.json.id);
    expect(dryReport.json.plan.groups).toEqual([
      expect.objectContaining({
        kind: 'product',
        groupName: 'Lic – Office 365 E1',
        users: 4,
        action: expect.stringMatching(
          /add Office 365 E3 with EXCHANGE_S_ENTERPRISE off next to Office 365 E1; once every member holds it, remove Office 365 E1/,
        ),
      }),
      expect.objectContaining({ kind: 'join', groupName: 'Lic – Business Premium', users: 5 }),
    ]);
    expect(dryReport.rows).toHaveLength(9);
    for (const row of dryReport.rows)
      expect(row.reason).toMatch(/^dry run, nothing changed; would (follow group|move from)/);

    const approval = await stack.api('POST', '/api/migrations', { ...body, requireApproval: true });
    await stack.waitForMigration(approval.json.id, (v) => v.status === 'awaitingApproval');
    const pending = await report(approval.json.id);
    expect(pending.json.plan.groups).toEqual(dryReport.json.plan.groups);
    expect(pending.rows.map((row) => row.action).sort()).toEqual(dryReport.rows.map((row) => row.action).sort());
    await stack.api('POST', `/api/migrations/${approval.json.id}/reject`, { by: 'cab@fabrikam.com' });
    expect((await stack.waitForFinish(approval.json.id)).status).toBe('rejected');
    expect(eventsOf('groupLicense')).toEqual([]);
    expect(eventsOf('membership')).toEqual([]);
    expect(eventsOf('license')).toEqual([]);
  });

  it('a run without the groupMoves roles stops in planning, naming GroupMember.ReadWrite.All, before anyone is touched', async () => {
    stack = await startStack({
      simulator: {
        scenario: groupLicensingScenario({ e1Members: 2, standardMembers: 3, directE3Users: 0 }),
        grantedRoles: requiredAppRoles(),
      },
    });
    const started = await stack.api('POST', '/api/migrations', {
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
    const done = await stack.waitForFinish(started.json.id);
    expect(done.status).toBe('failed');
    expect(done.message).toMatch(
      /GroupMember\.ReadWrite\.All, to add users to groups and take them out.*Nobody was changed/,
    );
    expect(eventsOf('membership')).toEqual([]);
  });
});
