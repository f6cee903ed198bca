import { findUnlicensedGaps, findWriteBudgetViolations } from '../../emulators/graph';
import { licenseWritesPerUser, SKU, snapshotUsers, type SimpleUser } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';
import type { MigrationView } from '../../src/migrations/view';

interface Row {
  userId: string;
  userPrincipalName: string;
  outcome: string;
  reason: string;
  move: number;
  before: { skuId: string; disabledPlans: string[] }[];
  after: { skuId: string; disabledPlans: string[] }[];
}

describe('migration workflow over HTTP (local runtime + Graph simulator + Azurite)', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  async function run(body: unknown): Promise<{ id: string; rows: Row[]; view: MigrationView }> {
    const start = await stack.api('POST', '/api/migrations', body);
    expect(start.status).toBe(202);
    const view = await stack.waitForFinish(start.json.id);
    const report = await stack.api('GET', `/api/migrations/${start.json.id}/report`);
    expect(report.status).toBe(200);
    return { id: start.json.id, rows: report.json.rows, view };
  }

  it('moves every movable Business Standard user to Business Premium: disabled plans and other licenses kept, nobody unlicensed', async () => {
    stack = await startStack();
    stack.sim.setSkuSeats('SPB', 60);
    const before = snapshotUsers(stack.sim);
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      usageLocation: 'US',
    });
    expect(start.status).toBe(202);
    expect(start.headers.get('location')).toContain(`/api/migrations/${start.json.id}`);
    expect(start.json.links).toEqual(
      expect.objectContaining({
        approve: expect.any(String),
        reject: expect.any(String),
        recheck: expect.any(String),
        cancel: expect.any(String),
        report: expect.any(String),
      }),
    );
    const done = await stack.waitForFinish(start.json.id);
    expect(done).toEqual(expect.objectContaining({ status: 'completed', progress: 100 }));
    // 22 + 3 with Business Basic + 3 given a usage location; group-licensed, disabled and guest users are blocked.
    expect(done.counts).toEqual(expect.objectContaining({ moved: 28, failed: 0, blocked: 7 }));

    const after = snapshotUsers(stack.sim);
    const report = await stack.api('GET', `/api/migrations/${start.json.id}/report`);
    const rows = report.json.rows as Row[];
    const moved = rows.filter((row) => row.outcome === 'moved');
    expect(moved).toHaveLength(28);
    const planNames = new Map(
      stack.sim.tenant.findSku('SPB')!.servicePlans.map((p) => [p.servicePlanId, p.servicePlanName]),
    );
    const standardNames = new Map(
      stack.sim.tenant.findSku('O365_BUSINESS_PREMIUM')!.servicePlans.map((p) => [p.servicePlanId, p.servicePlanName]),
    );
    for (const row of moved) {
      const was = before.get(row.userId)!;
      const now = after.get(row.userId)!;
      expect(now.skus).toContain(SKU.businessPremium);
      expect(now.skus).not.toContain(SKU.businessStandard);
      for (const sku of was.skus) if (sku !== SKU.businessStandard) expect(now.skus).toContain(sku);
      // Plans switched off on Business Standard stay off on Business Premium (matched by name).
      const keptOff = (was.disabled[SKU.businessStandard] ?? []).map((id) => standardNames.get(id));
      const nowOff = (now.disabled[SKU.businessPremium] ?? []).map((id) => planNames.get(id));
      for (const name of keptOff) if ([...planNames.values()].includes(name!)) expect(nowOff).toContain(name);
    }
    expect(moved.some((row) => (before.get(row.userId)!.disabled[SKU.businessStandard] ?? []).length > 0)).toBe(true);
    // Users without a usage location got the requested one.
    expect(moved.filter((row) => before.get(row.userId)!.usageLocation === null)).toHaveLength(3);
    for (const row of moved) expect(after.get(row.userId)!.usageLocation).not.toBeNull();
    // Each moved user was written exactly once.
    const writes = licenseWritesPerUser(stack.sim);
    for (const row of moved) expect(writes.get(row.userId)).toBe(1);
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
    expect(findWriteBudgetViolations(stack.sim.events())).toEqual([]);

    // Blocked users are each reported with a reason in plain words and left untouched.
    const blocked = rows.filter((row) => row.outcome === 'blocked');
    expect(blocked.map((row) => row.reason).join('\n')).toMatch(/group/);
    expect(blocked.map((row) => row.reason).join('\n')).toMatch(/disabled/);
    expect(blocked.map((row) => row.reason).join('\n')).toMatch(/fabrikam\.com/);
    for (const row of blocked) expect(after.get(row.userId)!.skus).toEqual(before.get(row.userId)!.skus);

    // The CSV has one row per user plus a header.
    const csv = await stack.api('GET', `/api/migrations/${start.json.id}/report?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text.trim().split('\n')).toHaveLength(rows.length + 1);
  });

  it('reports every edge case per user while the others proceed', async () => {
    stack = await startStack();
    stack.sim.setSkuSeats('SPB', 60);
    const before = snapshotUsers(stack.sim);
    // One user is already on the target: give them Business Premium and take Business Standard away first.
    const already = [...before.values()].find(
      (u) => u.skus.length === 1 && u.skus[0] === SKU.businessStandard && u.usageLocation,
    )!;
    stack.sim.tenant.assignLicense(
      already.id,
      { addLicenses: [{ skuId: SKU.businessPremium, disabledPlans: [] }], removeLicenses: [SKU.businessStandard] },
      { cause: 'control' },
    );
    const standardHolders = [...before.values()].filter((u) => u.skus.includes(SKU.businessStandard)).map((u) => u.upn);
    const { rows, view } = await run({
      moves: [
        { from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { upns: [...standardHolders, 'nobody@contoso.com'] } },
      ],
    });
    const failedRows = rows.filter((row) => row.outcome === 'failed').map((row) => [row.userPrincipalName, row.reason]);
    expect({ status: view.status, failedRows }).toEqual({ status: 'completed', failedRows: [] });
    const byUpn = new Map(rows.map((row) => [row.userPrincipalName.toLowerCase(), row]));
    expect(byUpn.get(already.upn)).toEqual(expect.objectContaining({ outcome: 'skipped' }));
    expect(byUpn.get(already.upn)!.reason).toMatch(/already/);
    expect(byUpn.get('nobody@contoso.com')).toEqual(expect.objectContaining({ outcome: 'blocked' }));
    const reasonsOf = (predicate: (u: SimpleUser) => boolean) =>
      [...before.values()].filter(predicate).map((u) => byUpn.get(u.upn)!);
    for (const row of reasonsOf((u) => u.usageLocation === null && u.skus.includes(SKU.businessStandard))) {
      expect(row.outcome).toBe('blocked');
      expect(row.reason).toMatch(/usage location/);
    }
    for (const row of reasonsOf((u) => !u.accountEnabled && u.skus.includes(SKU.businessStandard))) {
      expect(row.outcome).toBe('blocked');
      expect(row.reason).toMatch(/disabled/);
    }
    expect(rows.find((row) => row.userPrincipalName.includes('#EXT#'))).toEqual(
      expect.objectContaining({ outcome: 'blocked', reason: expect.stringMatching(/fabrikam\.com/) }),
    );
    expect(rows.filter((row) => row.outcome === 'blocked' && /group/.test(row.reason)).length).toBeGreaterThan(0);
    // Everyone else moved: 22 + 3 with Business Basic, minus the one already done.
    expect(rows.filter((row) => row.outcome === 'moved')).toHaveLength(24);
  });

  it('runs mixed targets in one migration and keeps every other license in swap mode', async () => {
    stack = await startStack();
    const before = snapshotUsers(stack.sim);
    const e1Users = [...before.values()].filter((u) => u.skus.includes(SKU.o365E1)).map((u) => u.upn);
    const basicOnly = [...before.values()]
      .filter((u) => u.skus.length === 1 && u.skus[0] === SKU.businessBasic)
      .map((u) => u.id);
    const { rows, view } = await run({
      moves: [
        { from: 'STANDARDPACK', to: 'ENTERPRISEPACK', users: { upns: e1Users } },
        { from: SKU.businessBasic, to: 'O365_BUSINESS_PREMIUM', users: { ids: basicOnly } },
      ],
    });
    expect(view.status).toBe('completed');
    const after = snapshotUsers(stack.sim);
    for (const upn of e1Users) {
      const user = [...after.values()].find((u) => u.upn === upn)!;
      expect(user.skus).toEqual([SKU.o365E3]);
    }
    for (const id of basicOnly) expect(after.get(id)!.skus).toEqual([SKU.businessStandard]);
    expect(new Set(rows.map((row) => row.move))).toEqual(new Set([0, 1]));
  });

  it('replace mode removes every directly assigned license and keeps group-inherited ones', async () => {
    stack = await startStack();
    stack.sim.setSkuSeats('SPB', 60);
    const before = snapshotUsers(stack.sim);
    const withBasic = [...before.values()].filter(
      (u) => u.skus.includes(SKU.businessBasic) && u.skus.includes(SKU.businessStandard),
    );
    expect(withBasic.length).toBeGreaterThan(0);
    const { view } = await run({
      mode: 'replace',
      moves: [{ to: 'SPB', users: { ids: withBasic.map((u) => u.id) } }],
    });
    expect(view.status).toBe('completed');
    const after = snapshotUsers(stack.sim);
    for (const user of withBasic) expect(after.get(user.id)!.skus).toEqual([SKU.businessPremium]);
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
  });

  it('overlap strategy adds the target first and removes the source only in cleanup', async () => {
    stack = await startStack();
    const before = snapshotUsers(stack.sim);
    const e3Users = [...before.values()].filter((u) => u.skus.includes(SKU.o365E3));
    stack.sim.setSkuSeats('ENTERPRISEPREMIUM', 10);
    const { view } = await run({
      strategy: 'overlap',
      moves: [{ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPREMIUM', users: { ids: e3Users.map((u) => u.id) } }],
    });
    expect(view).toEqual(expect.objectContaining({ status: 'completed' }));
    const after = snapshotUsers(stack.sim);
    for (const user of e3Users) expect(after.get(user.id)!.skus).toEqual([SKU.o365E5]);
    // Each user first held both (the add), then only the target (the cleanup).
    for (const user of e3Users) {
      const changes = stack.sim
        .events()
        .flatMap((e) => (e.kind === 'license' && e.userId === user.id && e.cause === 'assignLicense' ? [e] : []));
      expect(changes).toHaveLength(2);
      const [add, remove] = changes;
      expect(add!.after.map((l) => l.skuId).sort()).toEqual([SKU.o365E3, SKU.o365E5].sort());
      expect(remove!.after.map((l) => l.skuId)).toEqual([SKU.o365E5]);
    }
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
  });

  it('stops a downgrade that loses data after planning unless acknowledged, and then proceeds', async () => {
    stack = await startStack();
    const before = snapshotUsers(stack.sim);
    const e5 = [...before.values()].filter((u) => u.skus.includes(SKU.o365E5)).map((u) => u.id);
    const request = { moves: [{ from: 'ENTERPRISEPREMIUM', to: 'ENTERPRISEPACK', users: { ids: e5 } }] };
    const stopped = await run(request);
    expect(stopped.view.status).toBe('needsAttention');
    expect(stopped.view.message).toMatch(/acknowledgeDataLoss/);
    expect(stopped.view.message).toMatch(/ENTERPRISEPREMIUM → ENTERPRISEPACK loses/);
    const report = await stack.api('GET', `/api/migrations/${stopped.id}/report`);
    expect(report.json.plan.downgrades[0].lostPlans.length).toBeGreaterThan(0);
    expect(snapshotUsers(stack.sim)).toEqual(before);

    const acknowledged = await run({ ...request, acknowledgeDataLoss: true });
    expect(acknowledged.view.status).toBe('completed');
    for (const id of e5) expect(snapshotUsers(stack.sim).get(id)!.skus).toEqual([SKU.o365E3]);
  });

  it('reports a dry run as the plan and changes nobody', async () => {
    stack = await startStack();
    stack.sim.setSkuSeats('SPB', 60);
    const before = snapshotUsers(stack.sim);
    const { view, rows } = await run({
      dryRun: true,
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
    });
    expect(view.status).toBe('completed');
    expect(view.message).toMatch(/Dry run/);
    expect(rows.filter((row) => /dry run, nothing changed; would/.test(row.reason)).length).toBe(25);
    expect(snapshotUsers(stack.sim)).toEqual(before);
  });
});
