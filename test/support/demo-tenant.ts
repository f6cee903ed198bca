import type { GraphSimulator } from '../../emulators/graph';

/** SKU ids of the demo tenant (Microsoft's published GUIDs). */
export const SKU = {
  businessBasic: '3b555118-da6a-4418-894f-7df1e2096870',
  businessStandard: 'f245ecc8-75af-4f8e-b61f-27d8114de5f3',
  businessPremium: 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46',
  o365E1: '18181a46-0d4e-45cd-891e-60aabd171b4e',
  o365E3: '6fd2c87f-b296-42f0-b197-1e91e994b900',
  o365E5: 'c7df2760-2c81-4ef7-b578-5b5392b571df',
} as const;

export interface SimpleUser {
  id: string;
  upn: string;
  skus: string[];
  disabled: Record<string, string[]>;
  usageLocation: string | null;
  accountEnabled: boolean;
}

/** The tenant's users as plain data, for before/after comparisons. */
export function snapshotUsers(sim: GraphSimulator): Map<string, SimpleUser> {
  const users = new Map<string, SimpleUser>();
  for (const user of sim.tenant.users.values()) {
    users.set(user.id, {
      id: user.id,
      upn: user.userPrincipalName,
      skus: user.assignedLicenses.map((license) => license.skuId),
      disabled: Object.fromEntries(user.assignedLicenses.map((license) => [license.skuId, [...license.disabledPlans]])),
      usageLocation: user.usageLocation,
      accountEnabled: user.accountEnabled,
    });
  }
  return users;
}

/** Successful assignLicense writes per user, from the simulator's event log. */
export function licenseWritesPerUser(sim: GraphSimulator): Map<string, number> {
  const writes = new Map<string, number>();
  for (const event of sim.events()) {
    if (event.kind === 'license' && event.cause === 'assignLicense')
      writes.set(event.userId, (writes.get(event.userId) ?? 0) + 1);
  }
  return writes;
}

/** Number of license writes the simulator applied (any cause but the control API). */
export function licenseChangeCount(sim: GraphSimulator): number {
  return sim.events().filter((event) => event.kind === 'license' && event.cause === 'assignLicense').length;
}
