/** Typed reads: SKUs, subscriptions, domains and users with their license state, every page to the end. */
import type { User } from '@microsoft/microsoft-graph-types';
import type {
  AssignedLicense,
  LicenseAssignmentState,
  ServicePlan,
  TenantSku,
  UserLicenseSnapshot,
} from '../domain/types';
import { isGuid, isRecord } from '../domain/values';
import { GraphRequestError, type GraphOperation } from './errors';
import { chunkForFilter, filterParam, inStrings, isEncodable, requireGuid } from './odata';
import { inParallel } from '../util/parallel';
import type { GraphTransport } from './transport';
import type { CompanySubscription } from './types';

/** Only the fields the plan needs: `assignedLicenses` and friends are not returned without `$select`. */
export const USER_SELECT = 'id,userPrincipalName,accountEnabled,usageLocation,assignedLicenses,licenseAssignmentStates';
const SKU_SELECT =
  'skuId,skuPartNumber,appliesTo,capabilityStatus,consumedUnits,prepaidUnits,servicePlans,subscriptionIds';
/** At most 15 values per `in (...)` and a conservative URL budget for the encoded list. */
const FILTER_CHUNK_VALUES = 15;
const FILTER_CHUNK_CHARS = 1_500;
/** Direct user reads in flight per call; the transport's concurrency gate still bounds the tenant's total. */
const DIRECT_READS_IN_FLIGHT = 8;

export class GraphReader {
  constructor(private readonly transport: GraphTransport) {}

  async listSubscribedSkus(): Promise<TenantSku[]> {
    const rows = await this.listAll(`/subscribedSkus?$select=${SKU_SELECT}`, 'readSubscribedSkus', 2);
    return rows.map(toTenantSku);
  }

  async listSubscriptions(): Promise<CompanySubscription[]> {
    const rows = await this.listAll('/directory/subscriptions', 'readSubscriptions', 1);
    return rows.map(toCompanySubscription);
  }

  async listVerifiedDomains(): Promise<string[]> {
    const rows = await this.listAll('/organization?$select=id,verifiedDomains', 'readOrganization', 1);
    const names = new Set<string>();
    for (const org of rows) {
      const domains = Array.isArray(org.verifiedDomains) ? (org.verifiedDomains as unknown[]) : [];
      for (const domain of domains) {
        if (isRecord(domain) && typeof domain.name === 'string') names.add(domain.name.toLowerCase());
      }
    }
    return [...names].sort();
  }

  async listUsersHoldingSku(skuId: string): Promise<UserLicenseSnapshot[]> {
    const sku = this.guidArgument(skuId, 'skuId');
    // [DOC] the GUID is unquoted in this lambda filter; it is validated above, so it cannot carry anything else.
    const filter = filterParam(`assignedLicenses/any(s:s/skuId eq ${sku})`);
    const rows = await this.listAll(`/users?${filter}&$select=${USER_SELECT}&$top=999`, 'readUsers', 1);
    return rows.map(toSnapshot);
  }

  async getUsersByIds(ids: string[]): Promise<{ found: UserLicenseSnapshot[]; missing: string[] }> {
    const wanted = unique(ids.filter(isGuid).map((id) => id.toLowerCase()));
    const rows = await this.fetchInChunks('id', wanted);
    const byId = new Map(rows.map((row) => [row.id.toLowerCase(), row]));
    return splitFoundMissing(ids, (id) => byId.get(id.toLowerCase()));
  }

  async getUsersByUpns(upns: string[]): Promise<{ found: UserLicenseSnapshot[]; missing: string[] }> {
    const wanted = unique(upns.filter((upn) => upn.trim() !== '' && isEncodable(upn)));
    const rows = await this.fetchInChunks('userPrincipalName', wanted);
    const byUpn = new Map(rows.map((row) => [row.userPrincipalName.toLowerCase(), row]));
    return splitFoundMissing(upns, (upn) => byUpn.get(upn.toLowerCase()));
  }

  async listGroupUserMembers(groupId: string): Promise<UserLicenseSnapshot[]> {
    const group = this.guidArgument(groupId, 'groupId');
    // Members may be groups, devices or service principals; every member carries `@odata.type`, keep the users.
    // (The `/microsoft.graph.user` cast segment would do this server-side, but not every Graph stand-in knows it.)
    const rows = await this.listAll(
      `/groups/${group}/transitiveMembers?$select=${USER_SELECT}&$top=999`,
      'readGroupMembers',
      4,
    );
    return rows.filter((row) => row['@odata.type'] === '#microsoft.graph.user').map(toSnapshot);
  }

  /**
   * Users by id, each read directly (`GET /users/{id}`): a list query may lag several seconds behind a write, a
   * direct read much less, so everything that checks the result of a write reads this way.
   */
  async getUsersDirect(ids: string[]): Promise<{ found: UserLicenseSnapshot[]; missing: string[] }> {
    const wanted = unique(ids.filter(isGuid).map((id) => id.toLowerCase()));
    const read = async (id: string): Promise<UserLicenseSnapshot | undefined> => {
      try {
        const response = await this.transport.request({
          method: 'GET',
          path: this.userPath(id),
          operation: 'readUsers',
          resourceUnits: 1,
          writes: 0,
        });
        return isRecord(response.body) ? toSnapshot(response.body) : undefined;
      } catch (error) {
        if (error instanceof GraphRequestError && error.info.status === 404) return undefined;
        throw error;
      }
    };
    const rows = await inParallel(
      wanted.map((id) => () => read(id)),
      DIRECT_READS_IN_FLIGHT,
    );
    const byId = new Map(
      rows.filter((row): row is UserLicenseSnapshot => row !== undefined).map((row) => [row.id.toLowerCase(), row]),
    );
    return splitFoundMissing(ids, (id) => byId.get(id.toLowerCase()));
  }

  /** One user by id, read directly (not through a list, which may lag behind recent writes). */
  userPath(userId: string): string {
    return `/users/${requireGuid(userId, 'userId')}?$select=${USER_SELECT}`;
  }

  private async fetchInChunks(property: 'id' | 'userPrincipalName', values: string[]): Promise<UserLicenseSnapshot[]> {
    const chunks = chunkForFilter(values, FILTER_CHUNK_VALUES, FILTER_CHUNK_CHARS);
    const pages = await Promise.all(
      chunks.map((chunk) =>
        this.listAll(`/users?${filterParam(inStrings(property, chunk))}&$select=${USER_SELECT}`, 'readUsers', 1),
      ),
    );
    return pages.flat().map(toSnapshot);
  }

  /** Every row of a collection: follows `@odata.nextLink` until Graph stops sending one. */
  async listAll(path: string, operation: GraphOperation, resourceUnits: number): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    let next: string | undefined = path;
    while (next !== undefined) {
      const page = await this.transport.request({ method: 'GET', path: next, operation, resourceUnits, writes: 0 });
      const body = isRecord(page.body) ? page.body : {};
      if (Array.isArray(body.value)) {
        for (const row of body.value as unknown[]) if (isRecord(row)) rows.push(row);
      }
      const link = body['@odata.nextLink'];
      next = typeof link === 'string' ? this.relativeLink(link) : undefined;
    }
    return rows;
  }

  /** A next link must point back at our base URL: a token is never sent anywhere else. */
  private relativeLink(link: string): string {
    if (!link.startsWith(`${this.transport.base}/`)) {
      throw new GraphRequestError({
        errorClass: 'permanent',
        status: 0,
        code: 'UnexpectedNextLink',
        message: `Graph returned a next link outside ${this.transport.base}: ${link}`,
        reason: 'Graph answered with a paging link to another address; the layer refuses to follow it.',
        action: 'Check GRAPH_BASE_URL (host and version) matches the Graph endpoint in use.',
        missingPermission: undefined,
      });
    }
    return link.slice(this.transport.base.length);
  }

  private guidArgument(value: string, name: string): string {
    if (isGuid(value)) return value.toLowerCase();
    throw new GraphRequestError({
      errorClass: 'permanent',
      status: 400,
      code: 'InvalidArgument',
      message: `${name} ${JSON.stringify(value)} is not a GUID.`,
      reason: `${name} must be an object id (a GUID).`,
      action: `Pass the ${name} as a GUID.`,
      missingPermission: undefined,
    });
  }
}

function textOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function unique(values: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const value of values) {
    const key = value.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(value);
    }
  }
  return out;
}

function splitFoundMissing(
  inputs: string[],
  lookup: (input: string) => UserLicenseSnapshot | undefined,
): { found: UserLicenseSnapshot[]; missing: string[] } {
  const found: UserLicenseSnapshot[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const user = lookup(input);
    if (!user) {
      missing.push(input);
    } else if (!seen.has(user.id)) {
      seen.add(user.id);
      found.push(user);
    }
  }
  return { found, missing };
}

export function toAssignedLicenses(value: unknown): AssignedLicense[] {
  if (!Array.isArray(value)) return [];
  return (value as unknown[]).filter(isRecord).map((license) => ({
    skuId: String(license.skuId),
    disabledPlans: Array.isArray(license.disabledPlans) ? (license.disabledPlans as unknown[]).map(String) : [],
  }));
}

function toAssignmentStates(value: unknown): LicenseAssignmentState[] {
  if (!Array.isArray(value)) return [];
  return (value as unknown[]).filter(isRecord).map((state) => ({
    skuId: String(state.skuId),
    assignedByGroup: typeof state.assignedByGroup === 'string' ? state.assignedByGroup : null,
    disabledPlans: Array.isArray(state.disabledPlans) ? (state.disabledPlans as unknown[]).map(String) : [],
    state: typeof state.state === 'string' ? state.state : 'Active',
    // Real payloads say "None" on success where the docs say null; both mean no error.
    error: typeof state.error === 'string' && state.error !== 'None' ? state.error : null,
    ...(typeof state.lastUpdatedDateTime === 'string' ? { lastUpdatedDateTime: state.lastUpdatedDateTime } : {}),
  }));
}

export function toSnapshot(row: Record<string, unknown>): UserLicenseSnapshot {
  const user = row as Partial<Record<keyof User, unknown>>;
  return {
    id: String(user.id),
    userPrincipalName: typeof user.userPrincipalName === 'string' ? user.userPrincipalName : '',
    accountEnabled: user.accountEnabled !== false,
    usageLocation: typeof user.usageLocation === 'string' && user.usageLocation !== '' ? user.usageLocation : null,
    assignedLicenses: toAssignedLicenses(user.assignedLicenses),
    licenseAssignmentStates: toAssignmentStates(user.licenseAssignmentStates),
  };
}

function toTenantSku(row: Record<string, unknown>): TenantSku {
  const prepaid = isRecord(row.prepaidUnits) ? row.prepaidUnits : {};
  const units = (name: string): number => (typeof prepaid[name] === 'number' ? prepaid[name] : 0);
  const plans = Array.isArray(row.servicePlans) ? (row.servicePlans as unknown[]).filter(isRecord) : [];
  return {
    skuId: String(row.skuId),
    skuPartNumber: textOr(row.skuPartNumber, ''),
    appliesTo: textOr(row.appliesTo, 'User'),
    capabilityStatus: textOr(row.capabilityStatus, 'Enabled'),
    consumedUnits: typeof row.consumedUnits === 'number' ? row.consumedUnits : 0,
    prepaidUnits: {
      enabled: units('enabled'),
      warning: units('warning'),
      suspended: units('suspended'),
      lockedOut: units('lockedOut'),
    },
    servicePlans: plans.map((plan): ServicePlan => ({
      servicePlanId: String(plan.servicePlanId),
      servicePlanName: textOr(plan.servicePlanName, ''),
      ...(typeof plan.appliesTo === 'string' ? { appliesTo: plan.appliesTo } : {}),
      ...(typeof plan.provisioningStatus === 'string' ? { provisioningStatus: plan.provisioningStatus } : {}),
    })),
    ...(Array.isArray(row.subscriptionIds) ? { subscriptionIds: (row.subscriptionIds as unknown[]).map(String) } : {}),
  };
}

function toCompanySubscription(row: Record<string, unknown>): CompanySubscription {
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    id: String(row.id),
    commerceSubscriptionId: text(row.commerceSubscriptionId),
    skuId: textOr(row.skuId, ''),
    skuPartNumber: textOr(row.skuPartNumber, ''),
    status: textOr(row.status, 'Enabled'),
    totalLicenses: typeof row.totalLicenses === 'number' ? row.totalLicenses : 0,
    isTrial: row.isTrial === true,
    createdDateTime: text(row.createdDateTime),
    nextLifecycleDateTime: text(row.nextLifecycleDateTime),
  };
}
