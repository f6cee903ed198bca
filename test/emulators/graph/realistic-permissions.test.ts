import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENDPOINT_PERMISSIONS, SKU_CATALOG } from '../../../emulators/graph';
import { assignBody, call, control, startTestSimulator, type GraphItem, type Simulator } from './helpers';

const E3 = SKU_CATALOG.ENTERPRISEPACK.skuId;
const E5 = SKU_CATALOG.ENTERPRISEPREMIUM.skuId;
const infraRoles = (
  JSON.parse(readFileSync(join(__dirname, '../../../infra/graph-permissions.json'), 'utf8')) as { appRoles: string[] }
).appRoles;

/** A JWT-shaped token (the simulator does not check signatures). */
function token(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.sig`;
}

/**
 * Realistic profile, application-role checks: each endpoint's "Permissions" table on Microsoft Learn (e.g.
 * https://learn.microsoft.com/graph/api/user-assignlicense) and Graph's 403 body for a missing role
 * (https://github.com/microsoftgraph/microsoft-graph-docs/issues/4794).
 */
describe('realistic profile: application roles', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startTestSimulator({
      profile: 'realistic',
      noise: false,
      throttling: false,
      planRules: false,
      settings: { readLagMaxMs: 0, listLagMaxMs: 0 },
    });
  });
  afterEach(() => sim.stop());

  const e5Holder = () => [...sim.tenant.findSku(E5)!.holders][0]!;
  const expectDenied = (res: { status: number; headers: Headers; body: GraphItem }) => {
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('Authorization_RequestDenied');
    expect(res.body.error.message).toBe('Insufficient privileges to complete the operation.');
    expect(res.body.error.innerError['request-id']).toBe(res.headers.get('request-id'));
    expect(res.body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  };

  it('grants exactly the appRoles of infra/graph-permissions.json by default', async () => {
    const res = await control(sim, 'GET', '/permissions');
    expect(res.body.enforce).toBe(true);
    expect(res.body.appRoles).toEqual([...infraRoles].sort());
    expect(res.body.endpoints).toHaveLength(ENDPOINT_PERMISSIONS.length);
  });

  it('answers 403 to assignLicense without LicenseAssignment.ReadWrite.All, and accepts a higher role', async () => {
    const user = e5Holder();
    await control(sim, 'PUT', '/permissions', {
      appRoles: infraRoles.filter((r) => r !== 'LicenseAssignment.ReadWrite.All'),
    });
    expectDenied(await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: E3 }], [E5])));
    expect(user.assignedLicenses.map((l) => l.skuId)).toEqual([E5]);
    // Reads the grant still covers keep working.
    expect((await call(sim, 'GET', `/users/${user.id}`)).status).toBe(200);
    // User.ReadWrite.All is a documented higher-privileged alternative.
    await control(sim, 'PUT', '/permissions', { appRoles: ['User.ReadWrite.All'] });
    expect((await call(sim, 'POST', `/users/${user.id}/assignLicense`, assignBody([{ skuId: E3 }], [E5]))).status).toBe(
      200,
    );
  });

  it('refuses PATCH usageLocation with the default grant: it needs User.ReadWrite.All', async () => {
    const user = e5Holder();
    expectDenied(await call(sim, 'PATCH', `/users/${user.id}`, { usageLocation: 'GB' }));
    expect(user.usageLocation).not.toBe('GB');
    await control(sim, 'PUT', '/permissions', { appRoles: [...infraRoles, 'User.ReadWrite.All'] });
    expect((await call(sim, 'PATCH', `/users/${user.id}`, { usageLocation: 'GB' })).status).toBe(204);
  });

  it('answers 403 inside $batch items on their own, next to items that pass', async () => {
    await control(sim, 'PUT', '/permissions', { appRoles: ['User.Read.All'] });
    const user = e5Holder();
    const res = await call(sim, 'POST', '/$batch', {
      requests: [
        { id: 'read', method: 'GET', url: `/users/${user.id}` },
        {
          id: 'assign',
          method: 'POST',
          url: `/users/${user.id}/assignLicense`,
          headers: { 'Content-Type': 'application/json' },
          body: assignBody([{ skuId: E3 }], [E5]),
        },
        { id: 'skus', method: 'GET', url: '/subscribedSkus' },
      ],
    });
    expect(res.status).toBe(200);
    const byId = new Map((res.body.responses as GraphItem[]).map((r) => [r.id as string, r]));
    expect(byId.get('read').status).toBe(200);
    for (const id of ['assign', 'skus']) {
      expect(byId.get(id).status).toBe(403);
      expect(byId.get(id).body.error).toMatchObject({
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      });
    }
    expect(user.assignedLicenses.map((l) => l.skuId)).toEqual([E5]);
  });

  it('takes the roles from the token when it carries a roles claim, as app-only tokens do', async () => {
    const user = e5Holder();
    const bearer = (roles: string[]) => ({ authorization: `Bearer ${token({ appid: 'app', roles })}` });
    expectDenied(await call(sim, 'GET', '/subscribedSkus', undefined, bearer(['User.Read.All'])));
    expect((await call(sim, 'GET', '/subscribedSkus', undefined, bearer(['LicenseAssignment.Read.All']))).status).toBe(
      200,
    );
    expectDenied(await call(sim, 'GET', `/users/${user.id}`, undefined, bearer(['Organization.Read.All'])));
  });

  it('checks group membership writes over Graph (GroupMember.ReadWrite.All) and applies them on processing', async () => {
    const groupId = [...sim.tenant.groups.values()][0]!.id;
    const user = [...sim.tenant.users.values()].find((u) => u.licenseStates.length === 0 && u.usageLocation)!;
    const add = () =>
      call(sim, 'POST', `/groups/${groupId}/members/$ref`, {
        '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${user.id}`,
      });
    expectDenied(await add());
    await control(sim, 'PUT', '/permissions', { appRoles: [...infraRoles, 'GroupMember.ReadWrite.All'] });
    expect((await add()).status).toBe(204);
    const again = await add();
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe(
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
    // Group licenses reach the new member when the group is processed, like any group license change.
    expect(user.assignedLicenses).toEqual([]);
    sim.processPendingGroups();
    expect(user.assignedLicenses.map((l) => l.skuId)).toEqual([SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId]);
    expect((await call(sim, 'DELETE', `/groups/${groupId}/members/${user.id}/$ref`)).status).toBe(204);
    sim.processPendingGroups();
    expect(user.assignedLicenses).toEqual([]);
  });

  it('does not check roles in the deterministic profile or with enforce: false', async () => {
    await control(sim, 'PUT', '/permissions', { appRoles: [], enforce: false });
    expect((await call(sim, 'GET', '/subscribedSkus')).status).toBe(200);
    const det = await startTestSimulator({ profile: 'deterministic', grantedRoles: [] });
    try {
      expect((await call(det, 'GET', '/subscribedSkus')).status).toBe(200);
    } finally {
      await det.stop();
    }
  });
});
