/** The console's own rules, apart from the page: which buttons a run shows, and how a pasted or uploaded list reads. */
import { allowed } from '../../src/dashboard/console/actions';
import { csvCells, parseUsers } from '../../src/dashboard/console/users-input';

describe('the buttons a run shows', () => {
  it('follows the status where the API gives no list of actions, and never offers retry or rollback then', () => {
    const waiting = { status: 'waitingForLicenses' };
    expect(
      ['approve', 'reject', 'recheck', 'cancel', 'retry', 'rollback'].filter((a) => allowed(waiting, a, false)),
    ).toEqual(['recheck', 'cancel']);
    expect(allowed({ status: 'awaitingApproval' }, 'approve', false)).toBe(true);
    expect(allowed({ status: 'completedWithErrors' }, 'cancel', true)).toBe(false);
  });

  it('shows exactly what the API lists where it lists actions (Retry failed and Roll back included)', () => {
    const run = { status: 'completedWithErrors', actions: ['retry', 'rollback'] };
    expect(['approve', 'recheck', 'cancel', 'retry', 'rollback'].filter((a) => allowed(run, a, true))).toEqual([
      'retry',
      'rollback',
    ]);
  });
});

describe('users pasted or uploaded', () => {
  it('reads UPNs one a line or separated by commas, once each, and names what it ignored', () => {
    expect(parseUsers('adele@contoso.com\nAlex@contoso.com, adele@contoso.com;nobody\n')).toEqual({
      selector: { upns: ['adele@contoso.com', 'Alex@contoso.com'] },
      count: 2,
      ignored: ['nobody'],
    });
  });

  it('takes the userPrincipalName column of an exported CSV, quoted cells included', () => {
    const csv =
      'Display name,User principal name,Department\n"Vance, Adele",adele@contoso.com,Sales\nAlex,alex@contoso.com,IT\n';
    expect(parseUsers(csv).selector).toEqual({ upns: ['adele@contoso.com', 'alex@contoso.com'] });
    expect(csvCells('"a ""quoted"" cell",b')).toEqual(['a "quoted" cell', 'b']);
  });

  it('turns a list of object ids into an ids selector', () => {
    expect(parseUsers('6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b').selector).toEqual({
      ids: ['6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b'],
    });
  });
});
