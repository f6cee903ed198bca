/**
 * The report as CSV, for spreadsheets: formatting at the edge, from the report rows the domain builds.
 */
import { stringify } from 'csv-stringify/sync';
import type { AssignedLicense, ReportRow, TenantSku } from '../domain/types';

/**
 * "SPB-disabled:SWAY|FORMS_PLAN_E1; O365_BUSINESS_PREMIUM": part numbers and plan names where the tenant's SKUs
 * know them, ids otherwise.
 */
export function formatLicenses(licenses: AssignedLicense[], skus: TenantSku[]): string {
  return licenses
    .map((license) => {
      const sku = skus.find((candidate) => candidate.skuId.toLowerCase() === license.skuId.toLowerCase());
      const name = sku?.skuPartNumber ?? license.skuId;
      if (license.disabledPlans.length === 0) return name;
      const plans = license.disabledPlans.map(
        (planId) =>
          sku?.servicePlans.find((plan) => plan.servicePlanId.toLowerCase() === planId.toLowerCase())
            ?.servicePlanName ?? planId,
      );
      return `${name}-disabled:${plans.join('|')}`;
    })
    .join('; ');
}

export const CSV_COLUMNS = [
  'userPrincipalName',
  'userId',
  'move',
  'action',
  'outcome',
  'reason',
  'errorClass',
  'graphErrorCode',
  'requestId',
  'licensesBefore',
  'licensesAfter',
] as const;

/**
 * The report as CSV (header row, comma separated, UTF-8 with a byte-order mark so Excel shows non-ASCII names
 * correctly). Cells starting with = + - @ (or a tab / carriage return) get a leading apostrophe so a spreadsheet
 * never runs them as formulas: UPNs and Graph messages are not ours to trust.
 */
export function reportToCsv(rows: ReportRow[], skus: TenantSku[] = []): string {
  const records = rows.map((row) => ({
    userPrincipalName: row.userPrincipalName,
    userId: row.userId,
    move: `${row.move}: ${row.moveLabel}`,
    action: row.action,
    outcome: row.outcome,
    reason: row.reason,
    errorClass: row.errorClass ?? '',
    graphErrorCode: row.graphErrorCode ?? '',
    requestId: row.requestId ?? '',
    licensesBefore: formatLicenses(row.before, skus),
    licensesAfter: formatLicenses(row.after, skus),
  }));
  return stringify(records, { header: true, columns: [...CSV_COLUMNS], escape_formulas: true, bom: true });
}
