import { DEMO_GROUPS, SKU_CATALOG, demoScenario, generateScenario, parseScenario } from '../../../emulators/graph';
import { startTestSimulator } from './helpers';

describe('demo tenant', () => {
  it('has real SKU and service plan ids and the edge cases a migration meets', async () => {
    const sim = await startTestSimulator({ throttling: false });
    try {
      const t = sim.tenant;
      expect(t.users.size).toBe(52);
      expect(t.size).toBe('M');
      expect(t.findSku('O365_BUSINESS_PREMIUM')!.skuId).toBe('f245ecc8-75af-4f8e-b61f-27d8114de5f3');
      expect(t.findSku('SPB')!.skuId).toBe('cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46');
      expect(t.findSku('ENTERPRISEPREMIUM')!.skuId).toBe('c7df2760-2c81-4ef7-b578-5b5392b571df');
      for (const part of Object.keys(SKU_CATALOG) as (keyof typeof SKU_CATALOG)[]) {
        expect(t.findSku(part)!.servicePlans).toHaveLength(SKU_CATALOG[part].plans.length);
      }
      const users = [...t.users.values()];
      const bs = t.findSku('O365_BUSINESS_PREMIUM')!;
      expect(bs.holders.size).toBe(35);
      expect(t.freeSeats(t.findSku('SPB')!)).toBe(5);
      expect(
        users.filter((u) => u.assignedLicenses.some((l) => l.disabledPlans.length > 0)).length,
      ).toBeGreaterThanOrEqual(3);
      expect(users.filter((u) => u.assignedLicenses.length > 1)).toHaveLength(3);
      expect(users.filter((u) => u.usageLocation === null)).toHaveLength(4);
      expect(users.filter((u) => !u.accountEnabled)).toHaveLength(2);
      expect(users.filter((u) => u.userType === 'Guest').map((u) => u.userPrincipalName)).toEqual([
        'kai.partner_fabrikam.com#EXT#@contoso.onmicrosoft.com',
      ]);
      const grouped = users.filter((u) =>
        u.licenseStates.some((s) => s.assignedByGroup === DEMO_GROUPS.businessStandard),
      );
      expect(grouped).toHaveLength(4);
      expect(grouped.filter((u) => u.licenseStates.some((s) => s.assignedByGroup === null))).toHaveLength(1);
      expect(t.findSku('ENTERPRISEPREMIUM')!.holders.size).toBe(5);
      expect(t.domains.map((d) => d.id)).toEqual(['contoso.com', 'contoso.onmicrosoft.com']);
    } finally {
      await sim.stop();
    }
  });

  it('is the same every time (fixed ids)', () => {
    expect(demoScenario()).toEqual(demoScenario());
  });
});

describe('scenario generator', () => {
  it('makes a deterministic tenant of the requested size and mix', async () => {
    const a = generateScenario({ users: 3000, seed: 9 });
    expect(a).toEqual(generateScenario({ users: 3000, seed: 9 }));
    expect(generateScenario({ users: 3000, seed: 10 }).users[0]!.id).not.toBe(a.users[0]!.id);
    const sim = await startTestSimulator({ throttling: false, scenario: a });
    try {
      expect(sim.tenant.users.size).toBe(3000);
      expect(sim.tenant.size).toBe('L');
      const bs = sim.tenant.findSku('O365_BUSINESS_PREMIUM')!.holders.size;
      expect(bs / 3000).toBeGreaterThan(0.75);
      expect(bs / 3000).toBeLessThan(0.85);
      expect(sim.tenant.freeSeats(sim.tenant.findSku('SPB')!)).toBe(3000);
      const grouped = [...sim.tenant.users.values()].filter((u) =>
        u.licenseStates.some((s) => s.assignedByGroup !== null),
      );
      expect(grouped.length).toBeGreaterThan(10);
    } finally {
      await sim.stop();
    }
  });

  it('follows a custom mix', () => {
    const s = generateScenario({
      users: 500,
      mix: { skus: { ENTERPRISEPREMIUM: 1 }, target: { sku: 'ENTERPRISEPACK', seats: 10 }, groupLicensed: 0 },
    });
    expect(s.users.every((u) => u.licenses?.[0]?.sku === 'ENTERPRISEPREMIUM')).toBe(true);
    expect(s.skus.map((k) => k.skuPartNumber).sort()).toEqual(['ENTERPRISEPACK', 'ENTERPRISEPREMIUM']);
  });
});

describe('scenario files', () => {
  it('accept a minimal valid scenario and name the offending field of an invalid one', () => {
    expect(parseScenario({ domains: [], skus: [], users: [] })).toEqual({ domains: [], skus: [], users: [] });
    expect(() =>
      parseScenario(
        { domains: [], skus: [], users: [{ userPrincipalName: 'a@b.c', usageLocation: 'USA' }] },
        'bad.json',
      ),
    ).toThrow(/bad\.json is not a valid scenario:[\s\S]*users\[0\]\.usageLocation/);
  });
});
