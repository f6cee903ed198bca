import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs infra/scripts/grant-graph-permissions.sh against a fake `az` on PATH that answers from JSON files and
 * records every call, so idempotency can be checked without a tenant.
 */
const script = join(__dirname, '../../infra/scripts/grant-graph-permissions.sh');
const identity = '11111111-1111-1111-1111-111111111111';
const graphSpId = '22222222-2222-2222-2222-222222222222';
const roleIds: Record<string, string> = {
  'LicenseAssignment.ReadWrite.All': 'aaaaaaaa-0000-0000-0000-000000000001',
  'User.Read.All': 'aaaaaaaa-0000-0000-0000-000000000002',
  'Group.Read.All': 'aaaaaaaa-0000-0000-0000-000000000003',
  'Organization.Read.All': 'aaaaaaaa-0000-0000-0000-000000000004',
  'Domain.Read.All': 'aaaaaaaa-0000-0000-0000-000000000005',
};

const fakeAz = `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_AZ_DIR/calls.log"
case "$1 $2" in
  'cloud show') echo 'https://graph.microsoft.com/' ;;
  'ad sp') cat "$FAKE_AZ_DIR/graph-sp.json" ;;
  'rest --method') if [[ "$3" == GET ]]; then cat "$FAKE_AZ_DIR/assignments.json"; fi ;;
  *) echo "fake az: unexpected call $*" >&2; exit 1 ;;
esac
`;

let fakeDir: string;

beforeEach(() => {
  fakeDir = mkdtempSync(join(tmpdir(), 'fake-az-'));
  writeFileSync(join(fakeDir, 'az'), fakeAz);
  chmodSync(join(fakeDir, 'az'), 0o755);
  writeFileSync(join(fakeDir, 'calls.log'), '');
});
afterEach(() => rmSync(fakeDir, { recursive: true, force: true }));

function tenant(options: { granted: string[]; graphRoles?: string[] }): void {
  const graphRoles = options.graphRoles ?? Object.keys(roleIds);
  const appRoles = graphRoles.map((value) => ({ value, id: roleIds[value], allowedMemberTypes: ['Application'] }));
  writeFileSync(join(fakeDir, 'graph-sp.json'), JSON.stringify({ id: graphSpId, appRoles }));
  const value = options.granted.map((role) => ({ resourceId: graphSpId, appRoleId: roleIds[role] }));
  writeFileSync(join(fakeDir, 'assignments.json'), JSON.stringify({ value }));
}

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync('bash', [script, ...args], {
    encoding: 'utf8',
    env: { PATH: `${fakeDir}:${process.env.PATH ?? ''}`, FAKE_AZ_DIR: fakeDir, HOME: fakeDir, ...env },
  });
  const calls = readFileSync(join(fakeDir, 'calls.log'), 'utf8').split('\n').filter(Boolean);
  const grantedRoleIds = calls
    .filter((call) => call.startsWith('rest --method POST'))
    .map(
      (call) =>
        JSON.parse(/--body (\{.*\})/.exec(call)![1]!) as { principalId: string; resourceId: string; appRoleId: string },
    );
  return { ...result, calls, grants: grantedRoleIds };
}

describe('grant-graph-permissions.sh', () => {
  it('grants only the missing least-privilege roles to the identity, never extra ones', () => {
    tenant({ granted: ['User.Read.All'] });
    const result = run(['--principal-id', identity]);
    expect(result.status).toBe(0);
    expect(result.grants.map((grant) => grant.appRoleId).sort()).toEqual(
      [roleIds['LicenseAssignment.ReadWrite.All'], roleIds['Group.Read.All'], roleIds['Organization.Read.All']].sort(),
    );
    for (const grant of result.grants) expect(grant).toMatchObject({ principalId: identity, resourceId: graphSpId });
    expect(result.stdout).toContain('User.Read.All already granted');
  });

  it('changes nothing when run again after every role is granted', () => {
    tenant({
      granted: ['LicenseAssignment.ReadWrite.All', 'User.Read.All', 'Group.Read.All', 'Organization.Read.All'],
    });
    const result = run([], { AZURE_IDENTITY_PRINCIPAL_ID: identity });
    expect(result.status).toBe(0);
    expect(result.grants).toEqual([]);
    expect(result.calls.some((call) => call.includes(`servicePrincipals/${identity}/appRoleAssignments`))).toBe(true);
  });

  it('as the azd hook, does nothing unless GRANT_GRAPH_PERMISSIONS is true', () => {
    tenant({ granted: [] });
    const skipped = run(['--if-enabled'], { AZURE_IDENTITY_PRINCIPAL_ID: identity });
    expect(skipped.status).toBe(0);
    expect(skipped.calls).toEqual([]);
    expect(skipped.stdout).toContain('skipped');

    const enabled = run(['--if-enabled'], { AZURE_IDENTITY_PRINCIPAL_ID: identity, GRANT_GRAPH_PERMISSIONS: 'true' });
    expect(enabled.status).toBe(0);
    expect(enabled.grants).toHaveLength(4);
  });

  it('fails without granting anything when Graph lacks one of the roles', () => {
    tenant({ granted: [], graphRoles: ['User.Read.All', 'Group.Read.All', 'Organization.Read.All'] });
    const result = run(['--principal-id', identity]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('LicenseAssignment.ReadWrite.All');
    expect(result.grants).toEqual([]);
  });

  it('refuses to run without knowing which identity to grant', () => {
    tenant({ granted: [] });
    const result = run([]);
    expect(result.status).toBe(2);
    expect(result.calls).toEqual([]);
  });
});
