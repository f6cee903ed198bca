import type { Scenario, ScenarioGroup, ScenarioUser } from '../types';
import { catalogSku } from './demo';

/**
 * A tenant licensed through groups, for group-based moves (issue #13): licensing groups with hundreds of members, an
 * empty target group per product, users with direct licenses to convert, and the kinds of group whose membership
 * Graph will not write (dynamic, synced from on-premises, role-assignable) or whose licenses reach nobody (only
 * nested groups as members). The organisation has no default usage location, so a member without one gets
 * `ProhibitedInUsageLocationViolation` from group licensing.
 */
export const GROUP_TENANT_ID = '7a2d4e6f-1b3c-4d5e-8f90-a1b2c3d4e5f6';

export const GROUP_SCENARIO_GROUPS = {
  /** Assigns Office 365 E1 (STANDARDPACK) to `e1Members` users. */
  licE1: '10000000-0000-4000-8000-00000000e001',
  /** Assigns Office 365 E3 (ENTERPRISEPACK); no members. */
  licE3: '10000000-0000-4000-8000-00000000e003',
  /** "Lic – Business Standard": assigns O365_BUSINESS_PREMIUM to `standardMembers` users. */
  licStandard: '10000000-0000-4000-8000-0000000000b5',
  /** "Lic – Business Premium": assigns SPB; no members. */
  licPremium: '10000000-0000-4000-8000-0000000000b9',
  /** Dynamic membership (a rule), assigns SPB to two users. */
  dynamicSales: '10000000-0000-4000-8000-00000000d001',
  /** Synced from on-premises AD, assigns O365_BUSINESS_PREMIUM to five users. */
  syncedFinance: '10000000-0000-4000-8000-00000000c001',
  /** Role-assignable, assigns SPB; no members. */
  roleAdmins: '10000000-0000-4000-8000-00000000a001',
  /** Assigns STANDARDPACK, but its only member is the group `nestedTeam`, which passes nothing on. */
  nestedOnly: '10000000-0000-4000-8000-00000000f001',
  /** Three users, nested in `nestedOnly`. */
  nestedTeam: '10000000-0000-4000-8000-00000000f002',
} as const;

export interface GroupScenarioOptions {
  /** Members of "Lic – Office 365 E1" (default 300). */
  e1Members?: number;
  /** Members of "Lic – Business Standard" (default 200). */
  standardMembers?: number;
  /** Whether the last Business Standard member has no usage location (default true). */
  memberWithoutUsageLocation?: boolean;
  /** Users with Office 365 E3 assigned directly (default 500). */
  directE3Users?: number;
  /** Seats of Office 365 E3 (default: the direct E3 users plus the E1 group's members). */
  e3Seats?: number;
  /** Seats of Microsoft 365 Business Premium (default: enough for every Business Standard member). */
  premiumSeats?: number;
}

const DOMAIN = 'fabrikam.com';

function userId(n: number): string {
  return `20000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** The scenario; users are numbered in blocks (E1 members, Business Standard members, direct E3, others). */
export function groupLicensingScenario(options: GroupScenarioOptions = {}): Scenario {
  const e1 = options.e1Members ?? 300;
  const standard = options.standardMembers ?? 200;
  const directE3 = options.directE3Users ?? 500;
  const users: ScenarioUser[] = [];
  let next = 0;
  const block = (count: number, make: (n: number, index: number) => Partial<ScenarioUser>): string[] => {
    const ids: string[] = [];
    for (let index = 0; index < count; index += 1) {
      next += 1;
      const id = userId(next);
      users.push({
        id,
        userPrincipalName: `user${String(next).padStart(4, '0')}@${DOMAIN}`,
        usageLocation: 'US',
        ...make(next, index),
      });
      ids.push(id);
    }
    return ids;
  };
  const e1Ids = block(e1, () => ({ department: 'Operations' }));
  const standardIds = block(standard, (_, index) => ({
    department: 'Sales',
    ...(index === standard - 1 && options.memberWithoutUsageLocation !== false ? { usageLocation: null } : {}),
  }));
  block(directE3, () => ({ department: 'Engineering', licenses: [{ sku: 'ENTERPRISEPACK' }] }));
  const salesIds = block(2, () => ({ department: 'Sales' }));
  const financeIds = block(5, () => ({ department: 'Finance' }));
  const nestedIds = block(3, () => ({ department: 'Support' }));
  const G = GROUP_SCENARIO_GROUPS;
  const groups: ScenarioGroup[] = [
    { id: G.licE1, displayName: 'Lic – Office 365 E1', members: e1Ids, licenses: [{ sku: 'STANDARDPACK' }] },
    { id: G.licE3, displayName: 'Lic – Office 365 E3', members: [], licenses: [{ sku: 'ENTERPRISEPACK' }] },
    {
      id: G.licStandard,
      displayName: 'Lic – Business Standard',
      members: standardIds,
      licenses: [{ sku: 'O365_BUSINESS_PREMIUM' }],
    },
    { id: G.licPremium, displayName: 'Lic – Business Premium', members: [], licenses: [{ sku: 'SPB' }] },
    {
      id: G.dynamicSales,
      displayName: 'Dyn – Sales (Premium)',
      members: salesIds,
      licenses: [{ sku: 'SPB' }],
      groupTypes: ['DynamicMembership'],
      membershipRule: '(user.department -eq "Sales")',
    },
    {
      id: G.syncedFinance,
      displayName: 'Sync – Finance (Business Standard)',
      members: financeIds,
      licenses: [{ sku: 'O365_BUSINESS_PREMIUM' }],
      onPremisesSyncEnabled: true,
    },
    {
      id: G.roleAdmins,
      displayName: 'Admins (role-assignable)',
      members: [],
      licenses: [{ sku: 'SPB' }],
      isAssignableToRole: true,
    },
    { id: G.nestedTeam, displayName: 'Team – Nested', members: nestedIds },
    { id: G.nestedOnly, displayName: 'Lic – Nested E1', members: [G.nestedTeam], licenses: [{ sku: 'STANDARDPACK' }] },
  ];
  return {
    name: 'Fabrikam (group licensing)',
    tenantId: GROUP_TENANT_ID,
    organization: { displayName: 'Fabrikam Inc.', defaultUsageLocation: null },
    domains: [
      { id: DOMAIN, isDefault: true },
      { id: 'fabrikam.onmicrosoft.com', isInitial: true },
    ],
    skus: [
      catalogSku('STANDARDPACK', e1 + 10),
      catalogSku('ENTERPRISEPACK', options.e3Seats ?? directE3 + e1),
      catalogSku('O365_BUSINESS_PREMIUM', standard + 10),
      catalogSku('SPB', options.premiumSeats ?? standard + 10),
    ],
    groups,
    users,
  };
}
