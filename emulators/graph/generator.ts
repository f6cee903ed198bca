import { SeededRandom } from './random';
import { catalogSku } from './scenarios/demo';
import { SKU_CATALOG, type CatalogPartNumber } from './scenarios/catalog';
import type { Scenario, ScenarioUser } from './types';

export interface GeneratorMix {
  /** Share of users per SKU part number (normalised); users left over stay unlicensed. Default: 80 % Business Standard, 10 % O365 E3, 5 % O365 E5, 5 % none. */
  skus?: Partial<Record<CatalogPartNumber, number>>;
  /** Share of licensed users without a usage location (default 0.01). */
  noUsageLocation?: number;
  /** Share of disabled accounts (default 0.02). */
  disabledAccounts?: number;
  /** Share of licensed users who get their license from a group instead of directly (default 0.02). */
  groupLicensed?: number;
  /** Share of licensed users with some plans switched off (default 0.1). */
  disabledPlans?: number;
  /** Free seats per SKU as a share of its holders (default 0.05; the migration target gets what `targetSeats` says). */
  headroom?: number;
  /** Seats of a target SKU that starts unused (default: SPB with as many seats as users). */
  target?: { sku: CatalogPartNumber; seats: number };
}

const DEFAULT_SKUS: Partial<Record<CatalogPartNumber, number>> = {
  O365_BUSINESS_PREMIUM: 0.8,
  ENTERPRISEPACK: 0.1,
  ENTERPRISEPREMIUM: 0.05,
};

/** A deterministic tenant with `users` users (up to 100,000 and beyond), for tests and benchmarks. */
export function generateScenario(opts: { users: number; seed?: number; mix?: GeneratorMix }): Scenario {
  const random = new SeededRandom(opts.seed ?? 1);
  const mix = opts.mix ?? {};
  const shares = Object.entries(mix.skus ?? DEFAULT_SKUS) as [CatalogPartNumber, number][];
  const totalShare = Math.max(
    1,
    shares.reduce((n, [, s]) => n + s, 0),
  );
  const holders = new Map<CatalogPartNumber, number>(shares.map(([p]) => [p, 0]));
  const groupId = random.uuid();
  const groupMembers: string[] = [];
  const groupSku = shares[0]?.[0] ?? 'O365_BUSINESS_PREMIUM';
  const users: ScenarioUser[] = [];
  for (let n = 0; n < opts.users; n++) {
    const roll = random.next() * totalShare;
    let acc = 0;
    let sku: CatalogPartNumber | undefined;
    for (const [part, share] of shares) {
      acc += share;
      if (roll < acc) {
        sku = part;
        break;
      }
    }
    const upn = `user${String(n).padStart(6, '0')}@contoso.com`;
    const user: ScenarioUser = {
      id: random.uuid(),
      userPrincipalName: upn,
      displayName: `User ${n}`,
      department: `Dept ${n % 40}`,
      accountEnabled: random.next() >= (mix.disabledAccounts ?? 0.02),
      usageLocation: 'US',
      licenses: [],
    };
    if (sku) {
      holders.set(sku, (holders.get(sku) ?? 0) + 1);
      if (random.next() < (mix.noUsageLocation ?? 0.01)) user.usageLocation = null;
      if (sku === groupSku && random.next() < (mix.groupLicensed ?? 0.02)) {
        groupMembers.push(upn);
      } else {
        const hasSway = SKU_CATALOG[sku].plans.some(([, name]) => name === 'SWAY');
        const disabled = hasSway && random.next() < (mix.disabledPlans ?? 0.1) ? ['SWAY'] : [];
        user.licenses = [{ sku, disabledPlans: disabled }];
      }
    }
    users.push(user);
  }
  const headroom = mix.headroom ?? 0.05;
  const target = mix.target ?? { sku: 'SPB' as const, seats: opts.users };
  const skus = [...holders.entries()]
    .filter(([part]) => part !== target.sku)
    .map(([part, count]) => catalogSku(part, count + Math.ceil(count * headroom) + 1));
  skus.push(catalogSku(target.sku, target.seats + (holders.get(target.sku) ?? 0)));
  return {
    name: `generated-${opts.users}`,
    tenantId: random.uuid(),
    organization: { displayName: 'Contoso (generated)', defaultUsageLocation: 'US' },
    domains: [
      { id: 'contoso.com', isDefault: true },
      { id: 'contoso.onmicrosoft.com', isInitial: true },
    ],
    skus,
    groups: [
      { id: groupId, displayName: `Licensing - ${groupSku}`, members: groupMembers, licenses: [{ sku: groupSku }] },
    ],
    users,
  };
}
