import { downgradeWarnings, findLostPlans, holdsData } from '../../src/domain/downgrade';
import type { ResolvedMove, TenantSku } from '../../src/domain/types';
import { ALL_SKUS, BUSINESS_PREMIUM, BUSINESS_STANDARD, O365_E1, O365_E3, O365_E5 } from './fixtures';

const names = (from: TenantSku, to: TenantSku) => findLostPlans(from, to).map((plan) => plan.servicePlanName);

describe('findLostPlans', () => {
  it('finds nothing lost on upgrades: Standard → Premium, E1 → E3', () => {
    expect(names(BUSINESS_STANDARD, BUSINESS_PREMIUM)).toEqual([]);
    expect(names(O365_E1, O365_E3)).toEqual([]);
  });

  it('finds E3 → E5 loses only minor plans Microsoft left out of E5, none holding data', () => {
    const lost = findLostPlans(O365_E3, O365_E5);
    expect(lost.map((plan) => plan.servicePlanName)).toEqual(
      expect.arrayContaining(['Bing_Chat_Enterprise', 'Nucleus']),
    );
    expect(lost.filter((plan) => plan.holdsData)).toEqual([]);
  });

  it('lists the plans E5 → E3 loses, including lower tiers of the same workload, marking data holders', () => {
    const lost = findLostPlans(O365_E5, O365_E3);
    const byName = new Map(lost.map((plan) => [plan.servicePlanName, plan]));
    expect(byName.get('MCOEV')).toMatchObject({
      servicePlanId: '4828c8ec-dc2e-4779-b502-87ac9ce28ab7',
      holdsData: false,
    });
    expect(byName.get('FORMS_PLAN_E5')?.holdsData).toBe(true);
    expect(byName.get('STREAM_O365_E5')?.holdsData).toBe(true);
    expect(byName.has('EXCHANGE_S_ENTERPRISE')).toBe(false);
    expect(byName.has('SHAREPOINTENTERPRISE')).toBe(false);
  });

  it('treats a larger edition with another name as keeping the plan, but not the reverse', () => {
    expect(names(BUSINESS_STANDARD, O365_E3)).not.toContain('EXCHANGE_S_STANDARD');
    expect(names(O365_E3, BUSINESS_STANDARD)).toEqual(
      expect.arrayContaining(['EXCHANGE_S_ENTERPRISE', 'SHAREPOINTENTERPRISE']),
    );
  });

  it('ignores company-level plans', () => {
    const withCompanyPlan: TenantSku = {
      ...O365_E5,
      servicePlans: [
        ...O365_E5.servicePlans,
        {
          servicePlanId: '9aaf7827-0000-4000-8000-000000000000',
          servicePlanName: 'TENANT_FEATURE',
          appliesTo: 'Company',
        },
      ],
    };
    expect(names(withCompanyPlan, O365_E5)).toEqual([]);
  });
});

describe('holdsData', () => {
  it.each([
    'EXCHANGE_S_STANDARD',
    'EXCHANGE_S_ENTERPRISE',
    'EXCHANGE_S_ARCHIVE_ADDON',
    'SHAREPOINTSTANDARD',
    'SHAREPOINTENTERPRISE',
    'ONEDRIVESTANDARD',
    'TEAMS1',
    'STREAM_O365_E5',
    'CLIPCHAMP',
    'FORMS_PLAN_E1',
    'PROJECTWORKMANAGEMENT',
    'SWAY',
    'WHITEBOARD_PLAN1',
    'MICROSOFT_LOOP',
  ])('%s holds data', (name) => {
    expect(holdsData(name)).toBe(true);
  });

  it.each([
    'EXCHANGE_S_FOUNDATION',
    'SHAREPOINTWAC',
    'MCOSTANDARD',
    'MCOEV',
    'MCOMEETADV',
    'BPOS_S_TODO_2',
    'OFFICESUBSCRIPTION',
    'ATP_ENTERPRISE',
    'FLOW_O365_P2',
    'YAMMER_ENTERPRISE',
    'MICROSOFTBOOKINGS',
  ])('%s holds no data', (name) => {
    expect(holdsData(name)).toBe(false);
  });
});

describe('downgradeWarnings', () => {
  it('warns only for moves that lose plans, and skips moves without a source', () => {
    const moves: ResolvedMove[] = [
      {
        move: 0,
        fromSkuId: BUSINESS_STANDARD.skuId,
        fromSkuPartNumber: 'O365_BUSINESS_PREMIUM',
        toSkuId: BUSINESS_PREMIUM.skuId,
        toSkuPartNumber: 'SPB',
        disabledPlanIds: [],
      },
      {
        move: 1,
        fromSkuId: O365_E5.skuId,
        fromSkuPartNumber: 'ENTERPRISEPREMIUM',
        toSkuId: O365_E3.skuId,
        toSkuPartNumber: 'ENTERPRISEPACK',
        disabledPlanIds: [],
      },
      { move: 2, toSkuId: O365_E3.skuId, toSkuPartNumber: 'ENTERPRISEPACK', disabledPlanIds: [] },
    ];
    const warnings = downgradeWarnings(moves, ALL_SKUS);
    expect(warnings.map((warning) => [warning.move, warning.fromSkuPartNumber, warning.toSkuPartNumber])).toEqual([
      [1, 'ENTERPRISEPREMIUM', 'ENTERPRISEPACK'],
    ]);
  });
});
