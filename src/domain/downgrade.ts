/**
 * Downgrade detection: which service plans of the source a user would no longer have on the target, and whether
 * losing them can lose the user's data (Microsoft's plan-change guide: "back up data if it is a downgrade").
 */
import type { DowngradeWarning, ResolvedMove, ServicePlan, TenantSku } from './types';

export type LostPlan = DowngradeWarning['lostPlans'][number];

/**
 * Tier at the end of a plan name: STREAM_O365_E5 → family STREAM_O365, tier 5; PROJECT_O365_P2 → 2;
 * WHITEBOARD_PLAN1 → 1; BPOS_S_TODO_3 → 3; the small-business edition (STREAM_O365_SMB) ranks as tier 1.
 */
const TIER_SUFFIX = /^(?<family>.+?)_(?:(?:P|E|PLAN)?(?<tier>\d)|(?<smb>SMB))$/i;

function tierOf(name: string): { family: string; tier: number } | undefined {
  const match = TIER_SUFFIX.exec(name);
  if (!match?.groups) return undefined;
  const family = (match.groups.family ?? '').toUpperCase();
  const tier = match.groups.smb ? 1 : Number(match.groups.tier);
  return { family, tier };
}

/**
 * Plans whose names differ but whose larger edition includes everything of the smaller one (Microsoft's
 * service descriptions): a kiosk/standard mailbox or site is kept by the enterprise edition, basic rights
 * management by Azure Information Protection, Apps for business by Apps for enterprise, and the mobile-only
 * Office apps by either of them.
 */
const BETTER_EDITIONS: Readonly<Record<string, string[]>> = {
  EXCHANGE_S_DESKLESS: ['EXCHANGE_S_STANDARD', 'EXCHANGE_S_ENTERPRISE'],
  EXCHANGE_S_STANDARD: ['EXCHANGE_S_ENTERPRISE'],
  SHAREPOINTDESKLESS: ['SHAREPOINTSTANDARD', 'SHAREPOINTENTERPRISE'],
  SHAREPOINTSTANDARD: ['SHAREPOINTENTERPRISE'],
  RMS_S_BASIC: ['RMS_S_ENTERPRISE'],
  OFFICE_BUSINESS: ['OFFICESUBSCRIPTION'],
  OFFICEMOBILE_SUBSCRIPTION: ['OFFICESUBSCRIPTION', 'OFFICE_BUSINESS'],
};

/**
 * Whether the target plans cover `plan`: same id, else same name, else a known better edition, else the same
 * family at an equal or higher tier. The family rule stops upgrades such as Business Standard → Business Premium (STREAM_O365_SMB →
 * STREAM_O365_E1, PROJECT_O365_P2 → PROJECT_O365_P3) from being reported as losses, while a lower tier
 * (FORMS_PLAN_E5 → FORMS_PLAN_E3) still counts as lost.
 */
function isCovered(plan: ServicePlan, targetPlans: ServicePlan[]): boolean {
  const id = plan.servicePlanId.toLowerCase();
  const name = plan.servicePlanName.toUpperCase();
  if (targetPlans.some((target) => target.servicePlanId.toLowerCase() === id)) return true;
  if (targetPlans.some((target) => target.servicePlanName.toUpperCase() === name)) return true;
  const betterEditions = BETTER_EDITIONS[name] ?? [];
  if (targetPlans.some((target) => betterEditions.includes(target.servicePlanName.toUpperCase()))) return true;
  const source = tierOf(plan.servicePlanName);
  if (!source) return false;
  return targetPlans.some((target) => {
    const candidate = tierOf(target.servicePlanName);
    return candidate !== undefined && candidate.family === source.family && candidate.tier >= source.tier;
  });
}

/** User-level plans of `fromSku` that `toSku` does not cover (company-level plans are not per user and ignored). */
export function findLostPlans(fromSku: TenantSku, toSku: TenantSku): LostPlan[] {
  const targetPlans = toSku.servicePlans.filter((plan) => plan.appliesTo !== 'Company');
  return fromSku.servicePlans
    .filter((plan) => plan.appliesTo !== 'Company' && !isCovered(plan, targetPlans))
    .map((plan) => ({
      servicePlanId: plan.servicePlanId,
      servicePlanName: plan.servicePlanName,
      holdsData: holdsData(plan.servicePlanName),
    }));
}

/**
 * Whether a service plan keeps user content that becomes inaccessible, and is later deleted, when the plan is
 * removed. Deliberately on the cautious side: a false alarm costs one `acknowledgeDataLoss`, a miss costs data.
 *
 * Holds data:
 * - EXCHANGE_S_* (mailboxes, archives; not EXCHANGE_S_FOUNDATION, which only enables other services, and not
 *   EXCHANGE_ANALYTICS/EXCHANGE_S_FOUNDATION_GOV which carry no mailbox);
 * - SHAREPOINT* sites and ONEDRIVE* files (not SHAREPOINTWAC: Office for the web edits files stored elsewhere);
 * - TEAMS*: chats and channel messages stay in Exchange, but the user loses access to them and to meeting
 *   recordings, so we treat it as data the user would lose;
 * - STREAM_* videos and CLIPCHAMP projects; FORMS_PLAN_* forms and responses; PROJECTWORKMANAGEMENT (Planner)
 *   plans and tasks; SWAY documents; WHITEBOARD_PLAN* whiteboards; MICROSOFT_LOOP workspaces.
 *
 * Holds none: calling and meetings (MCOSTANDARD, MCOEV, MCOMEETADV: voicemail lives in the mailbox), To Do
 * (BPOS_S_TODO_*: tasks live in the mailbox), Office apps, security and compliance plans, Power Platform
 * (apps and flows belong to environments, not to the license), Viva Engage/Yammer (content belongs to the network),
 * Bookings (booking calendars are their own mailboxes).
 */
export function holdsData(servicePlanName: string): boolean {
  const name = servicePlanName.toUpperCase();
  if (name === 'EXCHANGE_S_FOUNDATION' || name.startsWith('EXCHANGE_S_FOUNDATION_')) return false;
  if (name === 'SHAREPOINTWAC' || name.startsWith('SHAREPOINTWAC_')) return false;
  return DATA_HOLDING_PREFIXES.some((prefix) => name.startsWith(prefix));
}

const DATA_HOLDING_PREFIXES = [
  'EXCHANGE_S_',
  'EXCHANGE_L_',
  'SHAREPOINT',
  'ONEDRIVE',
  'TEAMS',
  'STREAM_',
  'CLIPCHAMP',
  'FORMS_PLAN_',
  'PROJECTWORKMANAGEMENT',
  'SWAY',
  'WHITEBOARD_',
  'MICROSOFT_LOOP',
];

/** One warning per move with a known source whose target loses plans; moves losing nothing are left out. */
export function downgradeWarnings(moves: ResolvedMove[], skus: TenantSku[]): DowngradeWarning[] {
  const warnings: DowngradeWarning[] = [];
  for (const move of moves) {
    if (!move.fromSkuId) continue;
    const warning = warningFor(move.move, move.fromSkuId, move.toSkuId, skus);
    if (warning) warnings.push(warning);
  }
  return warnings;
}

/** The warning for moving from one SKU to another, or undefined when nothing is lost or a SKU is unknown. */
export function warningFor(
  move: number,
  fromSkuId: string,
  toSkuId: string,
  skus: TenantSku[],
): DowngradeWarning | undefined {
  const from = skus.find((sku) => sku.skuId.toLowerCase() === fromSkuId.toLowerCase());
  const to = skus.find((sku) => sku.skuId.toLowerCase() === toSkuId.toLowerCase());
  if (!from || !to) return undefined;
  const lostPlans = findLostPlans(from, to);
  if (lostPlans.length === 0) return undefined;
  return { move, fromSkuPartNumber: from.skuPartNumber, toSkuPartNumber: to.skuPartNumber, lostPlans };
}
