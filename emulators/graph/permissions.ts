import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphError } from './errors';

/**
 * Application roles (app-only permissions) per endpoint, from each endpoint's "Permissions" table on Microsoft
 * Learn: the least privileged role first, then the higher ones that also satisfy it. Data, not code branches: a new
 * endpoint is one more row.
 */
export interface EndpointPermission {
  /** `METHOD path` with `{id}` for a key, as the README lists endpoints. */
  endpoint: string;
  leastPrivileged: readonly string[];
  higherPrivileged: readonly string[];
  source: string;
  note?: string;
}

const LEARN = 'https://learn.microsoft.com/graph/api';
const USER_READ = {
  leastPrivileged: ['User.Read.All'],
  higherPrivileged: ['User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
} as const;
const GROUP_READ = {
  leastPrivileged: ['GroupMember.Read.All'],
  higherPrivileged: [
    'Group.Read.All',
    'Group.ReadWrite.All',
    'GroupMember.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
} as const;
const MEMBER_WRITE = {
  leastPrivileged: ['GroupMember.ReadWrite.All'],
  higherPrivileged: ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
} as const;

export const ENDPOINT_PERMISSIONS: readonly EndpointPermission[] = [
  { endpoint: 'GET /users', ...USER_READ, source: `${LEARN}/user-list` },
  { endpoint: 'GET /users/{id}', ...USER_READ, source: `${LEARN}/user-get` },
  {
    endpoint: 'GET /users/{id}/licenseDetails',
    leastPrivileged: ['LicenseAssignment.Read.All'],
    higherPrivileged: [
      'LicenseAssignment.ReadWrite.All',
      'User.Read.All',
      'User.ReadWrite.All',
      'Directory.Read.All',
      'Directory.ReadWrite.All',
    ],
    source: `${LEARN}/user-list-licensedetails`,
    note: 'The page lists no application permission; the simulator accepts the delegated set (unconfirmed).',
  },
  {
    endpoint: 'PATCH /users/{id}',
    leastPrivileged: ['User.ReadWrite.All'],
    higherPrivileged: ['Directory.ReadWrite.All'],
    source: `${LEARN}/user-update`,
  },
  {
    endpoint: 'POST /users/{id}/assignLicense',
    leastPrivileged: ['LicenseAssignment.ReadWrite.All'],
    higherPrivileged: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
    source: `${LEARN}/user-assignlicense`,
  },
  {
    endpoint: 'POST /users/{id}/reprocessLicenseAssignment',
    leastPrivileged: ['User.ReadWrite.All'],
    higherPrivileged: ['Directory.ReadWrite.All'],
    source: `${LEARN}/user-reprocesslicenseassignment`,
  },
  {
    endpoint: 'GET /subscribedSkus',
    leastPrivileged: ['LicenseAssignment.Read.All'],
    higherPrivileged: [
      'LicenseAssignment.ReadWrite.All',
      'Organization.Read.All',
      'Organization.ReadWrite.All',
      'Directory.Read.All',
      'Directory.ReadWrite.All',
    ],
    source: `${LEARN}/subscribedsku-list`,
    note: 'LicenseAssignment.ReadWrite.All is not on the page; a ReadWrite role is taken to include its Read role.',
  },
  {
    endpoint: 'GET /directory/subscriptions',
    leastPrivileged: ['Organization.Read.All'],
    higherPrivileged: ['Organization.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    source: `${LEARN}/directory-list-subscriptions`,
  },
  {
    endpoint: 'GET /organization',
    leastPrivileged: ['Organization.Read.All'],
    higherPrivileged: ['Organization.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    source: `${LEARN}/organization-list`,
  },
  {
    endpoint: 'GET /domains',
    leastPrivileged: ['Domain.Read.All'],
    higherPrivileged: ['Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    source: `${LEARN}/domain-list`,
  },
  { endpoint: 'GET /groups', ...GROUP_READ, source: `${LEARN}/group-list` },
  { endpoint: 'GET /groups/{id}/members', ...GROUP_READ, source: `${LEARN}/group-list-members` },
  { endpoint: 'GET /groups/{id}/transitiveMembers', ...GROUP_READ, source: `${LEARN}/group-list-transitivemembers` },
  {
    endpoint: 'GET /groups/{id}/membersWithLicenseErrors',
    ...GROUP_READ,
    source: `${LEARN}/group-list-memberswithlicenseerrors`,
    note: 'No separate permissions are published for this relationship; the simulator asks for the group-read roles (unconfirmed).',
  },
  { endpoint: 'POST /groups/{id}/members/$ref', ...MEMBER_WRITE, source: `${LEARN}/group-post-members` },
  { endpoint: 'DELETE /groups/{id}/members/{id}/$ref', ...MEMBER_WRITE, source: `${LEARN}/group-delete-members` },
  {
    endpoint: 'POST /groups/{id}/assignLicense',
    leastPrivileged: ['LicenseAssignment.ReadWrite.All'],
    higherPrivileged: ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
    source: `${LEARN}/group-assignlicense`,
  },
];

const BY_ENDPOINT = new Map(ENDPOINT_PERMISSIONS.map((p) => [p.endpoint, p]));

/** The table row a request falls under, or undefined for paths the simulator answers with 400/404 anyway. */
export function endpointPermission(method: string, segments: readonly string[]): EndpointPermission | undefined {
  const [root, id, sub, subId, ref] = segments;
  let shape: string;
  switch (root) {
    case 'users':
      if (id === undefined || id === '$count') shape = '/users';
      else if (sub === undefined) shape = '/users/{id}';
      else shape = `/users/{id}/${sub}`;
      break;
    case 'groups':
      if (id === undefined || sub === undefined) shape = '/groups';
      else if (sub === 'members' && subId === '$ref') shape = '/groups/{id}/members/$ref';
      else if (sub === 'members' && ref === '$ref') shape = '/groups/{id}/members/{id}/$ref';
      else shape = `/groups/{id}/${sub}`;
      break;
    case 'directory':
      shape = `/directory/subscriptions`;
      break;
    case 'subscribedSkus':
    case 'organization':
    case 'domains':
      shape = `/${root}`;
      break;
    default:
      return undefined;
  }
  return BY_ENDPOINT.get(`${method} ${shape}`);
}

export function isGranted(permission: EndpointPermission, roles: ReadonlySet<string>): boolean {
  return permission.leastPrivileged.some((r) => roles.has(r)) || permission.higherPrivileged.some((r) => roles.has(r));
}

/** [OBS] Graph's answer when the app lacks the role (e.g. microsoftgraph/microsoft-graph-docs#4794). */
export const insufficientPrivileges = (): GraphError =>
  new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

/**
 * The roles the product's managed identity is granted: `appRoles` of the repository's infra/graph-permissions.json
 * (other fields are ignored). Looked up from this file's folder upwards, so it works from the sources and from dist.
 */
export function defaultGrantedRoles(): string[] {
  for (const up of ['../..', '../../..']) {
    const file = join(__dirname, up, 'infra', 'graph-permissions.json');
    if (!existsSync(file)) continue;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { appRoles?: unknown };
    if (!Array.isArray(parsed.appRoles) || parsed.appRoles.some((r) => typeof r !== 'string')) {
      throw new Error(`${file}: appRoles must be an array of role names`);
    }
    return parsed.appRoles as string[];
  }
  throw new Error('infra/graph-permissions.json not found: pass grantedRoles to the simulator');
}
