import { findUnlicensedGaps, findWriteBudgetViolations } from '../../emulators/graph';
import { startStack, type Stack } from '../support/e2e';

const STANDARD = 'f245ecc8-75af-4f8e-b61f-27d8114de5f3';
const PREMIUM = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';

describe('migration workflow over HTTP (local runtime + Graph simulator + Azurite)', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  it('moves every movable Business Standard user to Business Premium, keeping disabled plans and other licenses', async () => {
    stack = await startStack();
    stack.sim.setSkuSeats('SPB', 60);
    const before = new Map(
      [...stack.sim.tenant.users.values()].map((u) => [u.id, structuredClone(u.assignedLicenses)]),
    );
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      usageLocation: 'US',
    });
    expect(start.status).toBe(202);
    expect(start.headers.get('location')).toContain(`/api/migrations/${start.json.id}`);
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('completed');
    expect(done.counts.moved).toBe(28);
    expect(done.counts.failed).toBe(0);

    const report = await stack.api('GET', `/api/migrations/${start.json.id}/report`);
    expect(report.status).toBe(200);
    for (const row of report.json.rows) {
      if (row.outcome !== 'moved') continue;
      const user = stack.sim.tenant.users.get(row.userId)!;
      const held = user.assignedLicenses.map((l: { skuId: string }) => l.skuId);
      expect(held).toContain(PREMIUM);
      expect(held).not.toContain(STANDARD);
      // Every other license stays.
      for (const license of before.get(user.id) ?? []) {
        if (license.skuId !== STANDARD) expect(held).toContain(license.skuId);
      }
    }
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
    expect(findWriteBudgetViolations(stack.sim.events())).toEqual([]);
  });
});
