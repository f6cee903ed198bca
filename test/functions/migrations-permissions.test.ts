import { requiredAppRoles } from '../../src/graph/permissions';
import { licenseChangeCount, snapshotUsers } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';

/**
 * A deployment whose identity lacks a Graph permission the run needs: the run stops in planning, names the role to
 * grant, and nobody is touched (the realistic simulator refuses calls without their role, as Graph does).
 */
describe('missing Graph permissions stop a run before anyone is touched', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  async function runExpectingRefusal(roles: string[], body: unknown): Promise<string> {
    stack = await startStack({ simulator: { grantedRoles: roles } });
    stack.sim.setSkuSeats('SPB', 60);
    const before = snapshotUsers(stack.sim);
    const start = await stack.api('POST', '/api/migrations', body);
    expect(start.status).toBe(202);
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('failed');
    expect(done.counts.moved).toBe(0);
    expect(licenseChangeCount(stack.sim)).toBe(0);
    const after = snapshotUsers(stack.sim);
    for (const [id, user] of before) expect(after.get(id)).toEqual(user);
    return done.message ?? '';
  }

  it('usageLocation without User.ReadWrite.All: stops in planning, names the role and the way around it', async () => {
    const message = await runExpectingRefusal(requiredAppRoles(), {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      usageLocation: 'US',
    });
    expect(message).toMatch(/needs the Microsoft Graph application permission User\.ReadWrite\.All/);
    expect(message).toMatch(/Nobody was changed/);
  });

  it('without LicenseAssignment.ReadWrite.All: stops in planning naming it', async () => {
    // Without the usage-location feature too: its User.ReadWrite.All would also allow assigning licenses.
    const roles = requiredAppRoles().filter((role) => role !== 'LicenseAssignment.ReadWrite.All');
    const message = await runExpectingRefusal(roles, {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
    });
    expect(message).toMatch(/LicenseAssignment\.ReadWrite\.All, to assign and remove licenses/);
  });

  it('without User.Read.All: planning says which role its reads need', async () => {
    const roles = requiredAppRoles().filter((role) => role !== 'User.Read.All');
    const message = await runExpectingRefusal(roles, {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
    });
    expect(message).toMatch(/Planning needs the Microsoft Graph application permission User\.Read\.All/);
  });
});
