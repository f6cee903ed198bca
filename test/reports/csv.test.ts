import { parse } from 'csv-parse/sync';
import { reportRowFor, type ReportContext } from '../../src/domain/report';
import type { ResolvedMove } from '../../src/domain/types';
import { formatLicenses, reportToCsv } from '../../src/reports/csv';
import { ALL_SKUS, BUSINESS_PREMIUM, STANDARD_TO_PREMIUM, planId, plannedStandardToPremium } from '../domain/fixtures';

const PREMIUM = BUSINESS_PREMIUM.skuId;
const move: ResolvedMove = STANDARD_TO_PREMIUM;
const context: ReportContext = { moves: [move], skus: ALL_SKUS };
const planned = plannedStandardToPremium;

describe('reportToCsv', () => {
  it('writes the documented columns with licenses as part numbers and disabled plan names', () => {
    const sway = planId(BUSINESS_PREMIUM, 'SWAY');
    const row = reportRowFor(
      planned('adele'),
      { kind: 'moved', after: [{ skuId: PREMIUM, disabledPlans: [sway] }] },
      context,
    );
    const csv = reportToCsv([row], ALL_SKUS);
    expect(
      csv.startsWith(
        '\uFEFFuserPrincipalName,userId,move,action,outcome,reason,errorClass,graphErrorCode,requestId,licensesBefore,licensesAfter\n',
      ),
    ).toBe(true);
    const [record] = parse<Record<string, string>>(csv, { columns: true, bom: true });
    expect(record).toEqual({
      userPrincipalName: 'adele@contoso.com',
      userId: 'adele',
      move: '0: Microsoft 365 Business Standard → Microsoft 365 Business Premium',
      action: 'add SPB; remove O365_BUSINESS_PREMIUM',
      outcome: 'moved',
      reason: 'move from Microsoft 365 Business Standard to Microsoft 365 Business Premium',
      errorClass: '',
      graphErrorCode: '',
      requestId: '',
      licensesBefore: 'O365_BUSINESS_PREMIUM',
      licensesAfter: 'SPB-disabled:SWAY',
    });
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    const row = reportRowFor(
      planned('x'),
      {
        kind: 'failed',
        errorClass: 'permanent',
        message: '=HYPERLINK("http://evil")',
        graphErrorCode: '+1',
        requestId: '@x',
      },
      context,
    );
    const [record] = parse<Record<string, string>>(reportToCsv([{ ...row, userPrincipalName: '-2+3@contoso.com' }]), {
      columns: true,
      bom: true,
    });
    expect(record?.reason).toBe('\'=HYPERLINK("http://evil")');
    expect(record?.graphErrorCode).toBe("'+1");
    expect(record?.requestId).toBe("'@x");
    expect(record?.userPrincipalName).toBe("'-2+3@contoso.com");
  });

  it('shows unknown SKUs and plans by id', () => {
    expect(formatLicenses([{ skuId: 'unknown-sku', disabledPlans: ['p1', 'p2'] }], [])).toBe(
      'unknown-sku-disabled:p1|p2',
    );
    expect(formatLicenses([], ALL_SKUS)).toBe('');
  });

  it('keeps the header when there are no rows', () => {
    expect(reportToCsv([])).toBe(
      '\uFEFFuserPrincipalName,userId,move,action,outcome,reason,errorClass,graphErrorCode,requestId,licensesBefore,licensesAfter\n',
    );
  });
});
