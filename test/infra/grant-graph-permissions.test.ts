import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requiredAppRoles } from '../../src/graph/permissions';

/**
 * Runs infra/scripts/grant-graph-permissions.sh against a fake `az` on PATH that answers from JSON files and
 * records every call, so idempotency can be checked without a tenant.
 */
const script = join(__dirname, '../../infra/scripts/grant-graph-permissions.sh');
const identity = '11111111-1111-1111-1111-111111111111';
const graphSpId = '22222222-2222-2222-2222-222222222222';
// Graph's roles in the fake tenant: the product's, and others it must never ask for.
const roleIds: Record<string, string> = {
  'LicenseAssignment.ReadWrite.All': 'aaaaaaaa-0000-0000-0000-000000000001',
  'User.Read.All': 'aaaaaaaa-0000-0000-0000-000000000002',
  'GroupMember.Read.All': 'aaaaaaaa-0000-0000-0000-000000000003',
  'Organization.Read.All': 'aaaaaaaa-0000-0000-0000-000000000004',
  'User.ReadWrite.All': 'aaaaaaaa-0000-0000-0000-000000000005',
  'GroupMember.ReadWrite.All': 'aaaaaaaa-0000-0000-0000-000000000006',
  'Group.Read.All': 'aaaaaaaa-0000-0000-0000-000000000007',
  'Directory.ReadWrite.All': 'aaaaaaaa-0000-0000-0000-000000000008',
};
const ids = (roles: string[]): string[] => roles.map((role) => roleIds[role]!).sort();

const fakeAz = `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_AZ_DIR/calls.log"
case "$1 $2" in
  'cloud show') echo 'https://graph.microsoft.com/' ;;
  'ad sp') cat "$FAKE_AZ_DIR/graph-sp.json" ;;
  'rest --method') if [[ "$3" == GET ]]; then cat "$FAKE_AZ_DIR/assignments.json"; fi ;;
  'deployment group') ;;
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
  it('grants only the missing roles the code needs by default, never a feature role or an extra one', () => {
    expect(requiredAppRoles()).toContain('User.Read.All');
    tenant({ granted: ['User.Read.All'] });
    const result = run(['--principal-id', identity]);
    expect(result.status).toBe(0);
    expect(result.grants.map((grant) => grant.appRoleId).sort()).toEqual(
      ids(requiredAppRoles().filter((role) => role !== 'User.Read.All')),
    );
    for (const grant of result.grants) expect(grant).toMatchObject({ principalId: identity, resourceId: graphSpId });
    expect(result.stdout).toContain('User.Read.All already granted');
  });

  it('adds User.ReadWrite.All when GRANT_USAGE_LOCATION_PERMISSION is true', () => {
    tenant({ granted: [] });
    const result = run(['--principal-id', identity], { GRANT_USAGE_LOCATION_PERMISSION: 'true' });
    expect(result.status).toBe(0);
    expect(result.grants.map((grant) => grant.appRoleId).sort()).toEqual(ids(requiredAppRoles(['usageLocation'])));
    expect(result.stdout).toContain('User.ReadWrite.All granted');
  });

  it('adds GroupMember.ReadWrite.All for --feature groupMoves (or GRANT_GROUP_MOVES_PERMISSION), once each', () => {
    tenant({ granted: [] });
    const byFlag = run(['--principal-id', identity, '--feature', 'groupMoves', '--feature', 'groupMoves']);
    expect(byFlag.status).toBe(0);
    expect(byFlag.grants.map((grant) => grant.appRoleId).sort()).toEqual(ids(requiredAppRoles(['groupMoves'])));

    writeFileSync(join(fakeDir, 'calls.log'), '');
    const byEnv = run(['--principal-id', identity], {
      GRANT_GROUP_MOVES_PERMISSION: 'true',
      GRANT_USAGE_LOCATION_PERMISSION: 'true',
    });
    expect(byEnv.grants.map((grant) => grant.appRoleId).sort()).toEqual(
      ids(requiredAppRoles(['groupMoves', 'usageLocation'])),
    );
  });

  it('refuses an unknown feature without granting anything', () => {
    tenant({ granted: [] });
    const result = run(['--principal-id', identity, '--feature', 'everything']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('unknown feature everything');
    expect(result.grants).toEqual([]);
  });

  it('passes the enabled features to the Bicep module with --method bicep', () => {
    tenant({ granted: [] });
    const result = run(['--principal-id', identity, '--method', 'bicep'], {
      AZURE_RESOURCE_GROUP: 'rg-test',
      GRANT_USAGE_LOCATION_PERMISSION: 'true',
    });
    expect(result.status).toBe(0);
    const deploy = result.calls.filter((call) => call.startsWith('deployment group create'));
    expect(deploy).toHaveLength(1);
    expect(deploy[0]).toContain(`identityPrincipalId=${identity}`);
    expect(deploy[0]).toContain('enableUsageLocation=true');
    expect(deploy[0]).toContain('enableGroupMoves=false');
    expect(result.grants).toEqual([]);
  });

  it('changes nothing when run again after every role is granted', () => {
    tenant({ granted: requiredAppRoles() });
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
    expect(enabled.grants).toHaveLength(requiredAppRoles().length);
  });

  it('fails without granting anything when Graph lacks one of the roles', () => {
    tenant({
      granted: [],
      graphRoles: Object.keys(roleIds).filter((role) => role !== 'LicenseAssignment.ReadWrite.All'),
    });
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
