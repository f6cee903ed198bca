import { DEMO_GROUPS } from '../../emulators/graph';
import { licenseChangeCount, SKU, snapshotUsers } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';

/** The headers App Service authentication adds for a signed-in Entra user (the platform strips forged ones). */
function signedIn(upn: string, oid: string, groups: string[] = []): Record<string, string> {
  const principal = {
    auth_typ: 'aad',
    claims: [
      { typ: 'preferred_username', val: upn },
      { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: oid },
      ...groups.map((group) => ({ typ: 'groups', val: group })),
    ],
    name_typ: 'preferred_username',
    role_typ: 'roles',
  };
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64'),
    'x-ms-client-principal-name': upn,
    'x-ms-client-principal-id': oid,
    'x-ms-client-principal-idp': 'aad',
  };
}

const ALICE = signedIn('alice@contoso.com', '0b1d6c0e-0000-4000-8000-00000000a11c');
const BOB = signedIn('bob@contoso.com', '0b1d6c0e-0000-4000-8000-000000000b0b');
const APPROVERS_GROUP = '6a7e1f2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const CAROL = signedIn('carol@contoso.com', '0b1d6c0e-0000-4000-8000-0000000ca401', [APPROVERS_GROUP]);

describe('approvals you can trust (local runtime with App Service authentication headers)', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ env: { WEBSITE_AUTH_ENABLED: 'True' } });
    stack.host.clock.setAutoAdvance(false);
  });
  afterEach(async () => {
    await stack?.stop();
  });

  async function awaitingApproval(extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const e1 = [...snapshotUsers(stack.sim).values()].filter((u) => u.skus.includes(SKU.o365E1)).map((u) => u.id);
    const start = await stack.api(
      'POST',
      '/api/migrations',
      { moves: [{ from: 'STANDARDPACK', to: 'ENTERPRISEPACK', users: { ids: e1 } }], requireApproval: true, ...extra },
      headers,
    );
    expect(start.status).toBe(202);
    return stack.waitForMigration(start.json.id, (view) => view.status === 'awaitingApproval');
  }

  it('20 concurrent approve and reject calls on one run: exactly one wins, the others hear who decided and when', async () => {
    const view = await awaitingApproval();
    const calls = Array.from({ length: 20 }, (_, n) =>
      stack.api(
        'POST',
        `/api/migrations/${view.id}/${n % 2 === 0 ? 'approve' : 'reject'}`,
        { reason: `call ${n}` },
        n % 3 === 0 ? ALICE : BOB,
      ),
    );
    const answers = await Promise.all(calls);
    const won = answers.filter((answer) => answer.status >= 200 && answer.status < 300);
    expect(won).toHaveLength(1);
    const lost = answers.filter((answer) => answer.status === 409);
    expect(lost).toHaveLength(19);
    for (const answer of lost)
      expect(answer.json.detail).toMatch(/was already (approved|rejected) by (alice|bob)@contoso\.com at /);
    stack.host.clock.setAutoAdvance(true);
    const done = await stack.waitForFinish(view.id);
    expect(['completed', 'rejected']).toContain(done.status);
    const decided = await stack.api('GET', `/api/migrations/${view.id}`);
    expect(decided.json.approval.decision).toEqual(
      expect.objectContaining({ verified: true, by: expect.stringMatching(/@contoso\.com$/) }),
    );
  });

  it('with approvers, refuses anyone else (403); the signed-in principal wins over a body "by"; the plan summary is in the status', async () => {
    const view = await awaitingApproval({ approvers: ['alice@contoso.com', APPROVERS_GROUP] });
    expect(view.approval).toEqual(
      expect.objectContaining({
        approvers: { deployment: [], run: ['alice@contoso.com', APPROVERS_GROUP] },
        plan: expect.objectContaining({
          toChange: 2,
          moves: [expect.objectContaining({ from: 'STANDARDPACK', to: 'ENTERPRISEPACK' })],
          seats: [expect.objectContaining({ needed: 2 })],
          dataLoss: [],
        }),
      }),
    );
    expect(view.actions).toEqual(['approve', 'reject', 'cancel']);
    const nobody = await stack.api('POST', `/api/migrations/${view.id}/approve`, { by: 'alice@contoso.com' });
    expect(nobody.status).toBe(403);
    expect(nobody.json.detail).toMatch(/signed-in/);
    const bob = await stack.api('POST', `/api/migrations/${view.id}/approve`, { by: 'alice@contoso.com' }, BOB);
    expect(bob.status).toBe(403);
    expect(bob.json.detail).toMatch(/bob@contoso\.com is not one of the approvers/);
    // Carol is in the approvers group (a groups claim in her token).
    const carol = await stack.api(
      'POST',
      `/api/migrations/${view.id}/approve`,
      { by: 'someone else', reason: 'CAB-7' },
      CAROL,
    );
    expect(carol.status).toBe(202);
    stack.host.clock.setAutoAdvance(true);
    const done = await stack.waitForFinish(view.id);
    expect(done.status).toBe('completed');
    expect(licenseChangeCount(stack.sim)).toBe(2);
    const after = await stack.api('GET', `/api/migrations/${view.id}`);
    expect(after.json.approval.decision).toEqual(
      expect.objectContaining({
        approved: true,
        by: 'carol@contoso.com',
        verified: true,
        label: 'someone else',
        reason: 'CAB-7',
      }),
    );
  });

  it('requireDifferentApprover: the requester may reject but not approve their own run; a body "by" alone is recorded as unverified', async () => {
    const view = await awaitingApproval({ requireDifferentApprover: true }, ALICE);
    expect(view.approval?.requestedBy).toEqual(expect.objectContaining({ name: 'alice@contoso.com', verified: true }));
    const own = await stack.api('POST', `/api/migrations/${view.id}/approve`, {}, ALICE);
    expect(own.status).toBe(403);
    expect(own.json.detail).toMatch(/alice@contoso\.com started this run and may not approve it/);
    const bob = await stack.api('POST', `/api/migrations/${view.id}/approve`, {}, BOB);
    expect(bob.status).toBe(202);

    const unrestricted = await awaitingApproval();
    const label = await stack.api('POST', `/api/migrations/${unrestricted.id}/reject`, { by: 'dave', reason: 'later' });
    expect(label.status).toBe(202);
    const rejected = await stack.api('GET', `/api/migrations/${unrestricted.id}`);
    expect(rejected.json.approval.decision).toEqual(expect.objectContaining({ by: 'dave', verified: false }));
  });
});

describe('approver groups without group claims are looked up in Microsoft Graph (GroupMember.Read.All)', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  it('lets a transitive member of the APPROVERS group decide, and refuses a non-member', async () => {
    stack = await startStack({ env: { WEBSITE_AUTH_ENABLED: 'True', APPROVERS: DEMO_GROUPS.allStaff } });
    stack.host.clock.setAutoAdvance(false);
    const transitive = new Set<string>();
    const walk = (id: string): void => {
      for (const member of stack.sim.tenant.groups.get(id)?.members ?? []) {
        if ('userPrincipalName' in member) transitive.add(member.id);
        else walk(member.id);
      }
    };
    walk(DEMO_GROUPS.allStaff);
    const users = [...stack.sim.tenant.users.values()];
    const member = users.find((user) => transitive.has(user.id))!;
    const outsider = users.find((user) => !transitive.has(user.id))!;
    const e1 = [...snapshotUsers(stack.sim).values()].filter((u) => u.skus.includes(SKU.o365E1)).map((u) => u.id);
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'STANDARDPACK', to: 'ENTERPRISEPACK', users: { ids: e1 } }],
      requireApproval: true,
    });
    const view = await stack.waitForMigration(start.json.id, (v) => v.status === 'awaitingApproval');
    expect(view.approval?.approvers.deployment).toEqual([DEMO_GROUPS.allStaff]);
    const no = await stack.api(
      'POST',
      `/api/migrations/${view.id}/approve`,
      {},
      signedIn(outsider.userPrincipalName, outsider.id),
    );
    expect(no.status).toBe(403);
    const yes = await stack.api(
      'POST',
      `/api/migrations/${view.id}/approve`,
      {},
      signedIn(member.userPrincipalName, member.id),
    );
    expect(yes.status).toBe(202);
  });
});
