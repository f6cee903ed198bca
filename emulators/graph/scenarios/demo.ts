import { SeededRandom } from '../random';
import type { Scenario, ScenarioLicense, ScenarioSku, ScenarioUser } from '../types';
import { SKU_CATALOG, type CatalogPartNumber } from './catalog';

/** Fixed ids so tests, the demo UI and docs can refer to them. */
export const DEMO_TENANT_ID = '5f1c2a9e-3b7d-4e8a-9c61-2d4b8f0e7a13';
export const DEMO_GROUPS = {
  businessStandard: 'a6f0c1d2-7e3b-4c59-8a1f-6b2d9e4c3f70',
  allStaff: 'b7e1d2c3-8f4a-4d6b-9b2e-7c3e0f5d4a81',
} as const;

/** Builds a scenario SKU from the transcribed catalog. */
export function catalogSku(
  part: CatalogPartNumber,
  seats: ScenarioSku['prepaidUnits'],
  extra: Partial<Omit<ScenarioSku, 'skuId' | 'skuPartNumber' | 'servicePlans' | 'prepaidUnits'>> = {},
): ScenarioSku {
  const entry = SKU_CATALOG[part];
  return {
    skuId: entry.skuId,
    skuPartNumber: entry.skuPartNumber,
    displayName: entry.displayName,
    appliesTo: entry.appliesTo,
    prepaidUnits: seats,
    servicePlans: entry.plans.map(([servicePlanId, servicePlanName]) => ({
      servicePlanId,
      servicePlanName,
      appliesTo: entry.appliesTo,
    })),
    ...extra,
  };
}

const FIRST = [
  'Adele',
  'Alex',
  'Allan',
  'Bianca',
  'Brian',
  'Cameron',
  'Christie',
  'Debra',
  'Diego',
  'Emily',
  'Enrico',
  'Grady',
  'Henrietta',
  'Irvin',
  'Isaiah',
  'Johanna',
  'Joni',
  'Lee',
  'Lidia',
  'Lynne',
  'Megan',
  'Miriam',
  'Nestor',
  'Patti',
  'Pradeep',
  'Raul',
  'Sanjay',
  'Wilna',
  'Yuki',
  'Zara',
];
const LAST = [
  'Vance',
  'Wilber',
  'Deyoung',
  'Pisani',
  'Johnson',
  'White',
  'Cline',
  'Berg',
  'Siciliani',
  'Braun',
  'Cattaneo',
  'Archie',
  'Mueller',
  'Sink',
  'Langer',
  'Lauer',
  'Sherman',
  'Gu',
  'Holloway',
  'Robbins',
  'Bowen',
  'Graham',
  'Wilke',
  'Fernandez',
  'Gupta',
  'Razo',
  'Shah',
  'Naidoo',
  'Tanaka',
  'Okafor',
];
const DEPARTMENTS = ['Sales', 'Marketing', 'Finance', 'Operations', 'Engineering', 'Legal', 'HR', 'Support'];

/**
 * The built-in demo tenant (Contoso): 52 users, mostly on Business Standard, with the edge cases a migration
 * must handle. Business Premium starts with only 5 seats so a demo shows the wait-for-licenses stage until
 * the purchase lands (`setSkuSeats('SPB', n)`). See README.md for the full table.
 */
export function demoScenario(): Scenario {
  const random = new SeededRandom(2026);
  const users: ScenarioUser[] = [];
  const person = (index: number, licenses: ScenarioLicense[], extra: Partial<ScenarioUser> = {}): ScenarioUser => {
    const first = FIRST[index % FIRST.length] as string;
    const last = LAST[(index * 7) % LAST.length] as string;
    const upn = `${first}.${last}${index > 29 ? index : ''}@contoso.com`.toLowerCase();
    return {
      id: random.uuid(),
      userPrincipalName: upn,
      displayName: `${first} ${last}`,
      givenName: first,
      surname: last,
      department: DEPARTMENTS[index % DEPARTMENTS.length],
      jobTitle: null,
      usageLocation: 'US',
      licenses,
      ...extra,
    };
  };
  const bs = (disabledPlans?: string[]): ScenarioLicense => ({
    sku: 'O365_BUSINESS_PREMIUM',
    ...(disabledPlans ? { disabledPlans } : {}),
  });
  let next = 0;
  const add = (count: number, make: (index: number) => ScenarioUser): ScenarioUser[] => {
    const made: ScenarioUser[] = [];
    for (let n = 0; n < count; n++) made.push(make(next++));
    users.push(...made);
    return made;
  };
  // 22 on Business Standard, some with plans switched off.
  add(22, (i) =>
    person(i, [bs(i % 7 === 3 ? ['YAMMER_ENTERPRISE', 'SWAY'] : i % 7 === 5 ? ['KAIZALA_O365_P2'] : undefined)]),
  );
  // 3 with Business Standard plus Business Basic.
  add(3, (i) => person(i, [bs(), { sku: 'O365_BUSINESS_ESSENTIALS' }]));
  // 3 on Business Standard without a usage location.
  add(3, (i) => person(i, [bs()], { usageLocation: null }));
  // 3 licensed only through the licensing group, 1 through the group and directly.
  const groupOnly = add(3, (i) => person(i, []));
  const groupAndDirect = add(1, (i) => person(i, [bs()]));
  // 2 disabled accounts that still hold Business Standard.
  add(2, (i) => person(i, [bs()], { accountEnabled: false }));
  // A guest from another domain holding Business Standard.
  add(1, () => ({
    id: random.uuid(),
    userPrincipalName: 'kai.partner_fabrikam.com#EXT#@contoso.onmicrosoft.com',
    displayName: 'Kai Partner (Fabrikam)',
    mail: 'kai.partner@fabrikam.com',
    userType: 'Guest',
    usageLocation: 'DE',
    department: null,
    licenses: [bs()],
  }));
  // 5 on Office 365 E5 (downgrade scenario to E3), one with Sway off.
  add(4, (i) => person(i, [{ sku: 'ENTERPRISEPREMIUM' }], { usageLocation: i % 2 === 0 ? 'GB' : 'US' }));
  add(1, (i) => person(i, [{ sku: 'ENTERPRISEPREMIUM', disabledPlans: ['SWAY'] }]));
  // 3 on Office 365 E3, 2 on Office 365 E1, 2 on Business Basic, 2 on Microsoft 365 E3.
  add(3, (i) => person(i, [{ sku: 'ENTERPRISEPACK' }]));
  add(2, (i) => person(i, [{ sku: 'STANDARDPACK' }]));
  add(2, (i) => person(i, [{ sku: 'O365_BUSINESS_ESSENTIALS' }]));
  add(2, (i) => person(i, [{ sku: 'SPE_E3' }]));
  // 3 unlicensed users, one without a usage location.
  add(2, (i) => person(i, []));
  add(1, (i) => person(i, [], { usageLocation: null }));

  const groupMembers = [...groupOnly, ...groupAndDirect].map((u) => u.userPrincipalName);
  const businessStandardHolders = users.filter((u) =>
    u.licenses?.some((l) => l.sku === 'O365_BUSINESS_PREMIUM'),
  ).length;
  return {
    name: 'demo',
    tenantId: DEMO_TENANT_ID,
    organization: { displayName: 'Contoso Ltd', countryLetterCode: 'US', defaultUsageLocation: null },
    domains: [
      { id: 'contoso.com', isDefault: true, isInitial: false, isVerified: true },
      { id: 'contoso.onmicrosoft.com', isDefault: false, isInitial: true, isVerified: true },
    ],
    skus: [
      catalogSku('O365_BUSINESS_ESSENTIALS', 10),
      // Seats for the direct holders and the group-only members, plus four free.
      catalogSku('O365_BUSINESS_PREMIUM', businessStandardHolders + groupOnly.length + 4),
      catalogSku('SPB', 5),
      catalogSku('STANDARDPACK', 5),
      catalogSku('ENTERPRISEPACK', 10),
      catalogSku('ENTERPRISEPREMIUM', 6),
      catalogSku('SPE_E3', 5),
      catalogSku('SPE_E5', { enabled: 0, warning: 5 }, { capabilityStatus: 'Warning' }),
      catalogSku('RMSBASIC', 1),
    ],
    groups: [
      {
        id: DEMO_GROUPS.businessStandard,
        displayName: 'Licensing - Business Standard',
        members: groupMembers,
        licenses: [{ sku: 'O365_BUSINESS_PREMIUM' }],
      },
      {
        id: DEMO_GROUPS.allStaff,
        displayName: 'All Staff',
        members: [DEMO_GROUPS.businessStandard, ...users.slice(0, 10).map((u) => u.userPrincipalName)],
      },
    ],
    users,
  };
}
