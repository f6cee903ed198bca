import type { LicenseRules } from './types';

/**
 * Service-plan rules the directory enforces on every user, as data: one row per documented rule, with its source.
 * The realistic profile applies all of `PLAN_RULES`; a test can pass its own list (`planRules`) or change it at run
 * time (`PUT /_simulator/plan-rules`). Plans are [servicePlanId, servicePlanName], GUIDs as in Microsoft's
 * "Product names and service plan identifiers for licensing" table. A rule only ever looks at enabled plans, so a
 * plan switched off with `disabledPlans` never conflicts and never satisfies a dependency.
 */
export interface PlanRule {
  id: string;
  /**
   * mutuallyExclusive: at most one of `plans` may be enabled on one user (every pair conflicts).
   * dependency: `plans[0]` needs at least one of `requires` enabled on the same user.
   */
  kind: 'mutuallyExclusive' | 'dependency';
  plans: readonly (readonly [string, string])[];
  requires?: readonly (readonly [string, string])[];
  /** Public documentation the rule comes from (URLs). */
  sources: readonly string[];
  note?: string;
}

const SERVICE_PLAN_REFERENCE =
  'https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference#service-plans-that-cannot-be-assigned-at-the-same-time';
const RESOLVE_PROBLEMS = 'https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems';

const EXO_P1 = ['9aaf7827-d63c-4b61-89c3-182f06f82e5c', 'EXCHANGE_S_STANDARD'] as const;
const EXO_P2 = ['efb87545-963c-4e0d-99df-69c6916d9eb0', 'EXCHANGE_S_ENTERPRISE'] as const;

export const PLAN_RULES: readonly PlanRule[] = [
  {
    id: 'exchange-online-plan1-plan2',
    kind: 'mutuallyExclusive',
    plans: [EXO_P1, EXO_P2],
    sources: [
      SERVICE_PLAN_REFERENCE,
      'https://learn.microsoft.com/entra/identity/users/licensing-groups-change-licenses',
      'https://techcommunity.microsoft.com/t5/exchange-team-blog/introducing-support-for-concurrent-exchange-online-license/ba-p/3721098',
      RESOLVE_PROBLEMS,
    ],
    note:
      'Office 365 E1 (Exchange Online Plan 1) with E3 (Plan 2). Contested: the service-plan reference still says ' +
      'assigning both fails, while the Exchange team (Jan 2023) and the resolve-problems page say the two now stack. ' +
      'Kept as the stricter reading; drop this id to model a tenant where they stack.',
  },
  {
    id: 'intune',
    kind: 'mutuallyExclusive',
    plans: [
      ['c1ec4a95-1f05-45b3-a911-aa3fa01094f5', 'INTUNE_A'],
      ['3e170737-c728-4eae-bbb9-3f3360f7184c', 'INTUNE_A_VL'],
      ['2dc63b8a-df3d-448f-b683-8655877c9360', 'INTUNE_B'],
    ],
    sources: [SERVICE_PLAN_REFERENCE],
  },
  {
    id: 'skype-for-business',
    kind: 'mutuallyExclusive',
    plans: [
      ['afc06cb0-b4f4-4473-8286-d644f70d8faf', 'MCOIMP'],
      ['b2669e95-76ef-4e7e-a367-002f60a39f3e', 'MCOSTANDARD_MIDMARKET'],
      ['0feaeb32-d00e-4d66-bd5a-43b5b83db82c', 'MCOSTANDARD'],
      ['70710b6b-3ab4-4a38-9f6d-9f169461650a', 'MCOLITE'],
    ],
    sources: [SERVICE_PLAN_REFERENCE],
  },
  {
    id: 'calling-plans',
    kind: 'mutuallyExclusive',
    plans: [
      ['4ed3ff63-69d7-4fb7-b984-5aec7f605ca8', 'MCOPSTN1'],
      ['5a10155d-f5c1-411a-a8ec-e99aae125390', 'MCOPSTN2'],
      ['54a152dc-90de-4996-93d2-bc47e670fc06', 'MCOPSTN5'],
    ],
    sources: [SERVICE_PLAN_REFERENCE],
  },
  {
    id: 'yammer',
    kind: 'mutuallyExclusive',
    plans: [
      ['7547a3fe-08ee-4ccb-b430-5077c5041653', 'YAMMER_ENTERPRISE'],
      ['2078e8df-cff6-4290-98cb-5408261a760a', 'YAMMER_EDU'],
      ['41bf139a-4e60-409f-9346-a1361efc6dfb', 'YAMMER_MIDSIZE'],
    ],
    sources: [SERVICE_PLAN_REFERENCE],
  },
  {
    id: 'rights-management',
    kind: 'mutuallyExclusive',
    plans: [
      ['bea4c11e-220a-4e6d-8eb8-8ea15d019f90', 'RMS_S_ENTERPRISE'],
      ['6a76346d-5d6e-4051-9fe3-ed3f312b5597', 'RMS_S_ENTERPRISE_GOV'],
    ],
    sources: [SERVICE_PLAN_REFERENCE],
  },
  {
    id: 'dynamics-crm',
    kind: 'mutuallyExclusive',
    plans: [
      ['119cf168-b6cf-41fb-b82e-7fee7bae5814', 'CRMPLAN1'],
      ['bf36ca64-95c6-4918-9275-eb9f4ce2c04f', 'CRMPLAN2'],
      ['f9646fb2-e3b2-4309-95de-dc4833737456', 'CRMSTANDARD'],
      ['056a5f80-b4e0-4983-a8be-7ad254a113c9', 'DYN365_ENTERPRISE_P1_IW'],
      ['2da8e897-7791-486b-b08f-cc63c8129df7', 'DYN365_ENTERPRISE_SALES'],
      ['6a54b05e-4fab-40e7-9828-428db3b336fa', 'DYN365_ENTERPRISE_TEAM_MEMBERS'],
      ['ba5f0cfa-d54a-4ea0-8cf4-a7e1dc4423d8', 'EMPLOYEE_SELF_SERVICE'],
    ],
    sources: [SERVICE_PLAN_REFERENCE],
  },
  {
    id: 'workplace-analytics-needs-exchange',
    kind: 'dependency',
    plans: [['f477b0f0-3bb1-4890-940c-40fcee6ce05f', 'WORKPLACE_ANALYTICS']],
    requires: [EXO_P1, EXO_P2],
    sources: [`${RESOLVE_PROBLEMS}#manage-licenses-for-products-with-prerequisites`],
    note: 'Microsoft Workplace Analytics is an add-on that needs Exchange Online (Plan 1) or (Plan 2).',
  },
  {
    id: 'audio-conferencing-needs-skype',
    kind: 'dependency',
    plans: [['3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40', 'MCOMEETADV']],
    requires: [['0feaeb32-d00e-4d66-bd5a-43b5b83db82c', 'MCOSTANDARD']],
    sources: [`${RESOLVE_PROBLEMS}#when-a-licensed-group-is-deleted`],
    note: 'Audio Conferencing depends on Skype for Business (Plan 2).',
  },
];

/**
 * Deliberately left out of `PLAN_RULES`: the reference also lists SharePoint Plan 1/Plan 2 and other Exchange
 * plans (Kiosk, Essentials) as exclusive, but it calls SharePoint Plan 1 + Plan 2 only "not recommended", and the
 * Exchange team's 2023 announcement says those Exchange packs and SharePoint now accept concurrent assignment.
 */
export const OMITTED_PLAN_RULES = ['SharePoint Online Plan 1/Plan 2', 'Exchange Online Kiosk/Essentials'] as const;

/** The rules as the tenant checks them: exclusive pairs and dependencies, by service plan id. */
export function toLicenseRules(rules: readonly PlanRule[]): Required<LicenseRules> {
  const mutuallyExclusive: [string, string][] = [];
  const dependencies: { servicePlan: string; requires: string[] }[] = [];
  for (const rule of rules) {
    const ids = rule.plans.map(([id]) => id);
    if (rule.kind === 'mutuallyExclusive') {
      for (let i = 0; i < ids.length; i++) {
        for (let j = i + 1; j < ids.length; j++) mutuallyExclusive.push([ids[i] as string, ids[j] as string]);
      }
    } else if (ids[0] !== undefined) {
      dependencies.push({ servicePlan: ids[0], requires: (rule.requires ?? []).map(([id]) => id) });
    }
  }
  return { mutuallyExclusive, dependencies };
}
