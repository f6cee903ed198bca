import { randomUUID } from 'node:crypto';
import { GraphError, badRequest, notFound } from './errors';
import { compileFilter, parseSelect, parseTop, project, type Predicate } from './odata';
import type { ChangeContext, SimGroup, SimSku, SimUser, TenantState } from './tenant';
import type { AssignedLicense } from './types';

/** What a handler answers; the server adds the common headers. */
export interface ApiResponse {
  status: number;
  body?: unknown;
  /** Plain-text body (e.g. `/users/$count`). */
  text?: string;
  headers?: Record<string, string>;
}

export type LatencyClass = 'read' | 'list' | 'write';

export interface ApiRequest {
  method: string;
  segments: string[];
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  context: ChangeContext;
}

const METADATA = 'https://graph.microsoft.com/v1.0/$metadata';

export const USER_PROPERTIES: ReadonlySet<string> = new Set([
  'id',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'department',
  'jobTitle',
  'accountEnabled',
  'usageLocation',
  'userType',
  'createdDateTime',
  'assignedLicenses',
  'assignedPlans',
  'licenseAssignmentStates',
  'businessPhones',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'memberOf',
]);
/** [DOC] properties v1.0 returns without `$select`. */
const USER_DEFAULTS = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const;
const FILTERABLE = new Set([
  'id',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'department',
  'jobTitle',
  'accountEnabled',
  'usageLocation',
  'userType',
]);
const SKU_PROPERTIES: ReadonlySet<string> = new Set([
  'accountId',
  'accountName',
  'appliesTo',
  'capabilityStatus',
  'consumedUnits',
  'id',
  'prepaidUnits',
  'servicePlans',
  'skuId',
  'skuPartNumber',
  'subscriptionIds',
]);

type Listed = SimUser | SimGroup;

/**
 * A paging cursor. The scan is live (like Graph's, it is not a snapshot): users deleted or no longer matching
 * are skipped when reached, so the first page costs only what it returns, even at 100,000 users.
 */
interface Cursor {
  source: Iterator<Listed>;
  /** The first match of the next page, found while closing the previous one. */
  pending?: Listed;
  predicate: Predicate | null;
  select: string[] | null;
  top: number;
  path: string;
  context: string;
  typed: boolean;
}

const MAX_CURSORS = 2000;
/** Last path segments that name a collection (a page of results) rather than one object. */
const COLLECTIONS = new Set([
  'users',
  'subscribedSkus',
  'subscriptions',
  'domains',
  'organization',
  'members',
  'transitiveMembers',
  'licenseDetails',
  'groups',
  'membersWithLicenseErrors',
]);

/** [DOC] group properties the simulator keeps; `$select` on a group may name only these. */
const GROUP_PROPERTIES: ReadonlySet<string> = new Set([
  'id',
  'displayName',
  'description',
  'groupTypes',
  'membershipRule',
  'membershipRuleProcessingState',
  'onPremisesSyncEnabled',
  'isAssignableToRole',
  'mailEnabled',
  'securityEnabled',
  'assignedLicenses',
  'licenseProcessingState',
]);

/** What the API needs from the server besides the tenant. */
export interface ApiHooks {
  baseUrl: () => string;
  /** Group license processing is asynchronous: the server applies it after its delay. */
  scheduleGroupProcessing: (group: SimGroup) => void;
  /** Likewise for one member whose membership changed over Graph. */
  scheduleMemberProcessing: (user: SimUser) => void;
  /** [DOC] whether the caller may change the members of a role-assignable group (RoleManagement.ReadWrite.Directory). */
  mayChangeRoleAssignableGroups: (headers: Record<string, string>) => boolean;
  countWithoutConsistencyLevel: () => 'ignore' | 'reject';
}

/** Graph v1.0 resources over a TenantState. Handlers are synchronous; the server adds latency and headers. */
export class GraphApi {
  private readonly cursors = new Map<string, Cursor>();
  private readonly baseUrl: () => string;

  constructor(
    private readonly tenant: TenantState,
    private readonly hooks: ApiHooks,
  ) {
    this.baseUrl = hooks.baseUrl;
  }

  resetCursors(): void {
    this.cursors.clear();
  }

  /** The latency class of a request, for the latency model. */
  static latencyClass(method: string, segments: readonly string[]): LatencyClass {
    if (method !== 'GET') return 'write';
    return COLLECTIONS.has(segments[segments.length - 1] ?? '') ? 'list' : 'read';
  }

  handle(req: ApiRequest): ApiResponse {
    const [root, ...rest] = req.segments;
    switch (root) {
      case 'subscribedSkus':
        return this.subscribedSkus(req, rest);
      case 'directory':
        if (rest[0] === 'subscriptions' || rest[0]?.startsWith('subscriptions(')) return this.subscriptions(req, rest);
        throw segmentNotFound(rest[0] ?? 'directory');
      case 'organization':
        return this.organization(req, rest);
      case 'domains':
        return this.domains(req, rest);
      case 'users':
        return this.users(req, rest);
      case 'groups':
        return this.groups(req, rest);
      case 'me':
        throw badRequest('/me request is only valid with delegated authentication flow.', 'BadRequest');
      default:
        throw segmentNotFound(root ?? '');
    }
  }

  // ------------------------------------------------------------------------------------------ SKUs

  private skuJson(sku: SimSku): Record<string, unknown> {
    return {
      accountName: this.tenant.organization.displayName,
      accountId: this.tenant.tenantId,
      appliesTo: sku.appliesTo,
      capabilityStatus: sku.capabilityStatus,
      consumedUnits: this.tenant.reportedConsumedUnits(sku),
      id: sku.id,
      prepaidUnits: { ...sku.prepaidUnits },
      servicePlans: sku.servicePlans.map((p) => ({ ...p })),
      skuId: sku.skuId,
      skuPartNumber: sku.skuPartNumber,
      subscriptionIds: [...sku.subscriptionIds],
    };
  }

  private subscribedSkus(req: ApiRequest, rest: string[]): ApiResponse {
    requireMethod(req, 'GET');
    if (rest.length === 0) {
      if (req.query.has('$filter')) {
        // [DOC] "query filter expressions aren't supported" on subscribedSkus.
        throw badRequest('Query filter expressions are not supported on subscribedSkus.', 'Request_UnsupportedQuery');
      }
      const select = parseSelect(req.query.get('$select'), SKU_PROPERTIES, 'microsoft.graph.subscribedSku');
      return ok({
        '@odata.context': `${METADATA}#subscribedSkus${select ? `(${select.join(',')})` : ''}`,
        value: [...this.tenant.skus.values()].map((s) =>
          select ? project(this.skuJson(s), select, []) : this.skuJson(s),
        ),
      });
    }
    if (rest.length > 1) throw segmentNotFound(rest[1] ?? '');
    const key = (rest[0] ?? '').toLowerCase();
    const sku = [...this.tenant.skus.values()].find((s) => s.id.toLowerCase() === key || s.skuId === key);
    if (!sku) throw notFound(rest[0] ?? '');
    return ok({ '@odata.context': `${METADATA}#subscribedSkus/$entity`, ...this.skuJson(sku) });
  }

  private subscriptions(req: ApiRequest, rest: string[]): ApiResponse {
    requireMethod(req, 'GET');
    const json = (s: (typeof this.tenant.subscriptions)[number]): Record<string, unknown> => {
      const sku = this.tenant.skus.get(s.skuId);
      return {
        id: s.id,
        commerceSubscriptionId: s.commerceSubscriptionId,
        createdDateTime: s.createdDateTime,
        isTrial: s.isTrial,
        nextLifecycleDateTime: s.nextLifecycleDateTime,
        ownerId: s.ownerId,
        ownerTenantId: s.ownerTenantId,
        ownerType: s.ownerType,
        serviceStatus: (sku?.servicePlans ?? []).map((p) => ({ ...p })),
        skuId: s.skuId,
        skuPartNumber: s.skuPartNumber,
        status: s.status,
        totalLicenses: s.totalLicenses,
      };
    };
    const alternate = /^subscriptions\(commerceSubscriptionId='([^']+)'\)$/.exec(rest[0] ?? '');
    if (alternate) {
      const sub = this.tenant.subscriptions.find((s) => s.commerceSubscriptionId === alternate[1]);
      if (!sub) throw notFound(alternate[1] ?? '');
      return ok({ '@odata.context': `${METADATA}#directory/subscriptions/$entity`, ...json(sub) });
    }
    if (rest.length === 1) {
      return ok({
        '@odata.context': `${METADATA}#directory/subscriptions`,
        value: this.tenant.subscriptions.map(json),
      });
    }
    const id = rest[1] ?? '';
    // [UNCONFIRMED] whether {id} also accepts the commerce id: accepted here, as the doc example does.
    const sub = this.tenant.subscriptions.find((s) => s.id === id || s.commerceSubscriptionId === id);
    if (!sub) throw notFound(id);
    return ok({ '@odata.context': `${METADATA}#directory/subscriptions/$entity`, ...json(sub) });
  }

  // ------------------------------------------------------------------------------------------ organization, domains

  private organization(req: ApiRequest, rest: string[]): ApiResponse {
    requireMethod(req, 'GET');
    const org = this.tenant.organization;
    const json = {
      id: org.id,
      displayName: org.displayName,
      countryLetterCode: org.countryLetterCode,
      defaultUsageLocation: org.defaultUsageLocation,
      createdDateTime: org.createdDateTime,
      tenantType: 'AAD',
      assignedPlans: [],
      verifiedDomains: this.tenant.domains
        .filter((d) => d.isVerified)
        .map((d) => ({
          capabilities: d.supportedServices.join(', '),
          isDefault: d.isDefault,
          isInitial: d.isInitial,
          name: d.id,
          type: d.authenticationType,
        })),
    };
    // [DOC] organization supports $select.
    const select = parseSelect(req.query.get('$select'), new Set(Object.keys(json)), 'microsoft.graph.organization');
    const shaped = select ? project(json, select, []) : json;
    const context = `${METADATA}#organization${select ? `(${select.join(',')})` : ''}`;
    if (rest.length === 0) return ok({ '@odata.context': context, value: [shaped] });
    if (rest[0] !== org.id) throw notFound(rest[0] ?? '');
    return ok({ '@odata.context': `${context}/$entity`, ...shaped });
  }

  private domains(req: ApiRequest, rest: string[]): ApiResponse {
    requireMethod(req, 'GET');
    // [DOC] known issue: $top and $filter are ignored on /domains.
    if (rest.length === 0)
      return ok({ '@odata.context': `${METADATA}#domains`, value: this.tenant.domains.map((d) => ({ ...d })) });
    const domain = this.tenant.domains.find((d) => d.id.toLowerCase() === (rest[0] ?? '').toLowerCase());
    if (!domain) throw notFound(rest[0] ?? '');
    return ok({ '@odata.context': `${METADATA}#domains/$entity`, ...domain });
  }

  // ------------------------------------------------------------------------------------------ users

  userProperty(user: SimUser, name: string, licenses: readonly AssignedLicense[]): unknown {
    switch (name) {
      case 'assignedLicenses':
        return licenses.map((l) => ({ disabledPlans: [...l.disabledPlans], skuId: l.skuId }));
      case 'licenseAssignmentStates':
        return user.licenseStates.map((s) => ({
          assignedByGroup: s.assignedByGroup,
          disabledPlans: [...s.disabledPlans],
          error: s.error,
          lastUpdatedDateTime: s.lastUpdatedDateTime,
          skuId: s.skuId,
          state: s.state,
        }));
      case 'assignedPlans':
        return this.assignedPlans(user);
      case 'businessPhones':
        return [];
      case 'mobilePhone':
      case 'officeLocation':
      case 'preferredLanguage':
        return null;
      case 'memberOf':
        return undefined;
      default:
        return (user as unknown as Record<string, unknown>)[name] ?? null;
    }
  }

  private assignedPlans(user: SimUser): unknown[] {
    const plans: unknown[] = [];
    const enabled = new Set<string>();
    for (const l of user.assignedLicenses) {
      const sku = this.tenant.skus.get(l.skuId);
      if (!sku) continue;
      const since = user.licenseStates.find((s) => s.skuId === l.skuId)?.lastUpdatedDateTime ?? user.createdDateTime;
      const off = new Set(l.disabledPlans);
      for (const p of sku.servicePlans) {
        if (off.has(p.servicePlanId) || enabled.has(p.servicePlanId)) continue;
        enabled.add(p.servicePlanId);
        plans.push({
          assignedDateTime: since,
          capabilityStatus:
            sku.capabilityStatus === 'Warning'
              ? 'Warning'
              : sku.capabilityStatus === 'Enabled'
                ? 'Enabled'
                : 'Suspended',
          service: serviceOf(p.servicePlanName),
          servicePlanId: p.servicePlanId,
        });
      }
    }
    // Plans of licenses the user no longer has are reported as Deleted, as Graph does.
    for (const [skuId, since] of user.removedSkus ?? []) {
      for (const p of this.tenant.skus.get(skuId)?.servicePlans ?? []) {
        if (enabled.has(p.servicePlanId)) continue;
        enabled.add(p.servicePlanId);
        plans.push({
          assignedDateTime: since,
          capabilityStatus: 'Deleted',
          service: serviceOf(p.servicePlanName),
          servicePlanId: p.servicePlanId,
        });
      }
    }
    return plans;
  }

  userJson(
    user: SimUser,
    select: readonly string[] | null,
    licenses: readonly AssignedLicense[] = user.assignedLicenses,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of select ?? USER_DEFAULTS) {
      const value = this.userProperty(user, name, licenses);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  private users(req: ApiRequest, rest: string[]): ApiResponse {
    if (rest.length === 0) {
      requireMethod(req, 'GET');
      return this.listUsers(req);
    }
    if (rest[0] === '$count') {
      requireMethod(req, 'GET');
      if (!isEventual(req)) throw countNeedsEventual();
      const filter = req.query.get('$filter');
      const compiled = filter ? compileFilter(filter, FILTERABLE) : null;
      let count = 0;
      for (const u of this.tenant.users.values()) {
        const seen = this.tenant.view(u, 'list');
        if (!compiled || compiled.predicate(subject(seen), seen.assignedLicenses)) count++;
      }
      return { status: 200, text: String(count) };
    }
    const key = rest[0] ?? '';
    const user = this.tenant.findUser(key);
    const sub = rest[1];
    if (rest.length === 1) {
      if (req.method === 'GET') {
        if (!user) throw notFound(key);
        const select = parseSelect(req.query.get('$select'), USER_PROPERTIES, 'microsoft.graph.user');
        return ok({
          '@odata.context': `${METADATA}#users${select ? `(${select.join(',')})` : ''}/$entity`,
          ...this.userJson(this.tenant.view(user, 'read'), select),
        });
      }
      if (req.method === 'PATCH') {
        if (!user) throw notFound(key);
        this.patchUser(user, req.body);
        return { status: 204 };
      }
      throw methodNotAllowed();
    }
    if (rest.length > 2) throw segmentNotFound(rest[2] ?? '');
    switch (sub) {
      case 'assignLicense': {
        requireMethod(req, 'POST');
        const updated = this.tenant.assignLicense(key, req.body, req.context);
        return ok({
          '@odata.context': `${METADATA}#users/$entity`,
          ...this.userJson(updated, [...USER_DEFAULTS, 'assignedLicenses', 'assignedPlans']),
        });
      }
      case 'reprocessLicenseAssignment': {
        requireMethod(req, 'POST');
        const updated = this.tenant.reprocess(key, { ...req.context, cause: 'reprocess' });
        return ok({
          '@odata.context': `${METADATA}#users/$entity`,
          ...this.userJson(updated, [...USER_DEFAULTS, 'assignedLicenses', 'licenseAssignmentStates']),
        });
      }
      case 'licenseDetails': {
        requireMethod(req, 'GET');
        if (!user) throw notFound(key);
        const seen = this.tenant.view(user, 'read');
        return ok({
          '@odata.context': `${METADATA}#users('${user.id}')/licenseDetails`,
          value: seen.assignedLicenses.map((l) => {
            const sku = this.tenant.skus.get(l.skuId);
            const off = new Set(l.disabledPlans);
            return {
              id: Buffer.from(`${user.id}:${l.skuId}`).toString('base64url'),
              skuId: l.skuId,
              skuPartNumber: sku?.skuPartNumber ?? null,
              servicePlans: (sku?.servicePlans ?? []).map((p) => ({
                ...p,
                provisioningStatus: off.has(p.servicePlanId) ? 'Disabled' : p.provisioningStatus,
              })),
            };
          }),
        });
      }
      default:
        throw segmentNotFound(sub ?? '');
    }
  }

  private patchUser(user: SimUser, body: unknown): void {
    if (typeof body !== 'object' || body === null)
      throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    const changes = body as Record<string, unknown>;
    const writable = new Set(['usageLocation', 'accountEnabled', 'department', 'displayName', 'jobTitle']);
    for (const [name, value] of Object.entries(changes)) {
      if (!USER_PROPERTIES.has(name)) {
        throw badRequest(`Invalid property '${name}'.`);
      }
      if (!writable.has(name)) throw badRequest(`Property '${name}' is read-only and cannot be set.`);
      if (name === 'usageLocation' && value !== null && (typeof value !== 'string' || !/^[A-Za-z]{2}$/.test(value))) {
        throw badRequest(`Invalid value specified for property 'usageLocation' of resource 'User'.`);
      }
      if (name === 'accountEnabled' && typeof value !== 'boolean') {
        throw badRequest(`Invalid value specified for property 'accountEnabled' of resource 'User'.`);
      }
    }
    this.tenant.updateUser(
      user,
      Object.fromEntries(
        Object.entries(changes).map(([name, value]) => [
          name,
          name === 'usageLocation' && typeof value === 'string' ? value.toUpperCase() : value,
        ]),
      ),
    );
  }

  private listUsers(req: ApiRequest): ApiResponse {
    const skipToken = req.query.get('$skiptoken');
    if (skipToken !== null) return this.continuePage(skipToken);
    const top = parseTop(req.query.get('$top'));
    const select = parseSelect(req.query.get('$select'), USER_PROPERTIES, 'microsoft.graph.user');
    let wantCount = req.query.get('$count') === 'true';
    if (wantCount && !isEventual(req)) {
      // [DOC] without the header Graph silently ignores `?$count=true`: no @odata.count
      // (https://learn.microsoft.com/graph/aad-advanced-queries#error-handling-for-advanced-queries-on-directory-objects).
      if (this.hooks.countWithoutConsistencyLevel() === 'reject') throw countNeedsEventual();
      wantCount = false;
    }
    const filterText = req.query.get('$filter');
    const filter = filterText ? compileFilter(filterText, FILTERABLE) : null;
    if (filter?.advanced && !(isEventual(req) && wantCount)) {
      // [DOC] ne/not/$count filters are advanced queries: ConsistencyLevel: eventual and $count=true are required.
      throw badRequest(
        'Unsupported or invalid query filter clause specified for property of resource User.',
        'Request_UnsupportedQuery',
      );
    }
    const tenant = this.tenant;
    const source = (): Iterable<SimUser> => {
      if (filter?.keyValues) {
        const seen = new Set<SimUser>();
        for (const v of filter.keyValues) {
          const u = filter.keyProperty === 'id' ? tenant.users.get(v) : tenant.usersByUpn.get(v.toLowerCase());
          if (u) seen.add(u);
        }
        return [...seen].sort((a, b) => a.ordinal - b.ordinal);
      }
      if (filter?.requiredSkuId) {
        const sku = tenant.skus.get(filter.requiredSkuId);
        // With replication lag, users who just lost the SKU still show up until the lag has passed.
        const recent = tenant.recentlyChangedUsers().filter((u) => !sku?.holders.has(u));
        return recent.length === 0 ? (sku?.holders ?? []) : chain(sku?.holders ?? [], recent);
      }
      return tenant.users.values();
    };
    const cursor: Cursor = {
      source: source()[Symbol.iterator](),
      predicate: filter?.predicate ?? null,
      select,
      top,
      path: 'users',
      context: `${METADATA}#users${select ? `(${select.join(',')})` : ''}`,
      typed: false,
    };
    let count: number | undefined;
    if (wantCount) {
      count = 0;
      for (const u of source()) if (this.matches(cursor, u)) count++;
    }
    return this.page(cursor, count);
  }

  private matches(cursor: Cursor, item: Listed): boolean {
    if (!cursor.predicate) return true;
    if (!('userPrincipalName' in item)) return false;
    const seen = this.tenant.view(item, 'list');
    return cursor.predicate(subject(seen), seen.assignedLicenses);
  }

  private exists(item: Listed): boolean {
    return 'userPrincipalName' in item
      ? this.tenant.users.get(item.id) === item
      : this.tenant.groups.get(item.id) === item;
  }

  private nextMatch(cursor: Cursor): Listed | undefined {
    for (;;) {
      const step = cursor.source.next();
      if (step.done) return undefined;
      if (this.exists(step.value) && this.matches(cursor, step.value)) return step.value;
    }
  }

  /** Serves the next page of a cursor; the rest of the scan is kept under an opaque skip token. */
  private page(cursor: Cursor, count?: number): ApiResponse {
    const value: unknown[] = [];
    const pending = cursor.pending;
    let item = pending && this.exists(pending) && this.matches(cursor, pending) ? pending : this.nextMatch(cursor);
    while (item !== undefined && value.length < cursor.top) {
      value.push(this.serialize(item, cursor));
      item = this.nextMatch(cursor);
    }
    const body: Record<string, unknown> = { '@odata.context': cursor.context };
    if (count !== undefined) body['@odata.count'] = count;
    if (item !== undefined) {
      const token = randomUUID().replace(/-/g, '');
      if (this.cursors.size >= MAX_CURSORS) {
        const oldest = this.cursors.keys().next().value;
        if (oldest !== undefined) this.cursors.delete(oldest);
      }
      this.cursors.set(token, { ...cursor, pending: item });
      // Graph writes `$` and `,` unencoded in next links; its skip tokens are long opaque strings, this one only
      // names a server-side cursor.
      const params = [`$top=${cursor.top}`];
      if (cursor.select) params.push(`$select=${cursor.select.map(encodeURIComponent).join(',')}`);
      params.push(`$skiptoken=RFNwdAIAAQAAA${token}`);
      body['@odata.nextLink'] = `${this.baseUrl()}/${cursor.path}?${params.join('&')}`;
    }
    body.value = value;
    return ok(body);
  }

  private continuePage(skipToken: string): ApiResponse {
    const cursor = this.cursors.get(skipToken.replace(/^RFNwdAIAAQAAA/, ''));
    if (!cursor) throw badRequest(`Invalid or expired skip token.`, 'Request_BadRequest');
    this.cursors.delete(skipToken.replace(/^RFNwdAIAAQAAA/, ''));
    return this.page(cursor);
  }

  private serialize(item: Listed, cursor: Cursor): Record<string, unknown> {
    if ('userPrincipalName' in item) {
      const json = this.userJson(this.tenant.view(item, 'list'), cursor.select);
      return cursor.typed ? { '@odata.type': '#microsoft.graph.user', ...json } : json;
    }
    return { '@odata.type': '#microsoft.graph.group', ...this.groupJson(item) };
  }

  // ------------------------------------------------------------------------------------------ groups

  groupJson(group: SimGroup): Record<string, unknown> {
    const dynamic = group.membershipRule !== null;
    return {
      id: group.id,
      displayName: group.displayName,
      description: group.description,
      groupTypes: [...group.groupTypes],
      membershipRule: group.membershipRule,
      membershipRuleProcessingState: dynamic ? 'On' : null,
      onPremisesSyncEnabled: group.onPremisesSyncEnabled,
      isAssignableToRole: group.isAssignableToRole,
      mailEnabled: group.groupTypes.includes('Unified'),
      securityEnabled: true,
      assignedLicenses: group.assignedLicenses.map((l) => ({ disabledPlans: [...l.disabledPlans], skuId: l.skuId })),
      licenseProcessingState: { state: group.licenseProcessingState },
    };
  }

  private groups(req: ApiRequest, rest: string[]): ApiResponse {
    if (rest.length === 0) {
      requireMethod(req, 'GET');
      const filterText = req.query.get('$filter');
      const sku = filterText
        ? /assignedLicenses\/any\(\w+:\w+\/skuId eq '?([0-9a-fA-F-]{36})'?\)/.exec(filterText)?.[1]
        : undefined;
      if (filterText && !sku) throw badRequest(`Invalid filter clause: ${filterText}`, 'BadRequest');
      const groups = [...this.tenant.groups.values()].filter(
        (g) => !sku || g.assignedLicenses.some((l) => l.skuId === sku.toLowerCase()),
      );
      return ok({ '@odata.context': `${METADATA}#groups`, value: groups.map((g) => this.groupJson(g)) });
    }
    const id = rest[0] ?? '';
    const group = this.tenant.groups.get(id);
    if (rest.length === 1) {
      requireMethod(req, 'GET');
      if (!group) throw notFound(id);
      const select = parseSelect(req.query.get('$select'), GROUP_PROPERTIES, 'microsoft.graph.group');
      const json = this.groupJson(group);
      return ok({ '@odata.context': `${METADATA}#groups/$entity`, ...(select ? project(json, select, []) : json) });
    }
    if (rest[1] === 'members' && (rest[2] === '$ref' || rest[3] === '$ref')) return this.memberRef(req, id, rest);
    if (rest.length > 2) throw segmentNotFound(rest[2] ?? '');
    switch (rest[1]) {
      case 'members':
      case 'transitiveMembers':
      case 'membersWithLicenseErrors': {
        requireMethod(req, 'GET');
        if (!group) throw notFound(id);
        if (req.query.get('$skiptoken') !== null) return this.continuePage(req.query.get('$skiptoken') ?? '');
        const members =
          rest[1] === 'members'
            ? group.members
            : rest[1] === 'membersWithLicenseErrors'
              ? this.tenant.membersWithLicenseErrors(group)
              : transitiveMembers(group);
        const select = parseSelect(req.query.get('$select'), USER_PROPERTIES, 'microsoft.graph.directoryObject');
        return this.page({
          source: members[Symbol.iterator](),
          predicate: null,
          select,
          top: parseTop(req.query.get('$top')),
          path: `groups/${group.id}/${rest[1]}`,
          context: `${METADATA}#directoryObjects`,
          typed: true,
        });
      }
      case 'assignLicense': {
        requireMethod(req, 'POST');
        const updated = this.tenant.assignGroupLicense(id, req.body, req.context.requestId);
        this.hooks.scheduleGroupProcessing(updated);
        return {
          status: 202,
          headers: { location: `${this.baseUrl()}/groups/${updated.id}` },
          body: { '@odata.context': `${METADATA}#groups/$entity`, ...this.groupJson(updated) },
        };
      }
      default:
        throw segmentNotFound(rest[1] ?? '');
    }
  }

  /**
   * [DOC] `POST /groups/{id}/members/$ref` with `{"@odata.id": ".../directoryObjects/{id}"}` and
   * `DELETE /groups/{id}/members/{id}/$ref`, both 204. Users only. The member's group licenses follow when the
   * group is processed, like any group license change. Dynamic, synced and (without the role) role-assignable groups
   * refuse (see TenantState.changeMembership).
   */
  private memberRef(req: ApiRequest, groupId: string, rest: string[]): ApiResponse {
    const adding = rest.length === 3;
    if (!(adding ? rest.length === 3 : rest.length === 4)) throw segmentNotFound(rest[rest.length - 1] ?? '');
    requireMethod(req, adding ? 'POST' : 'DELETE');
    const group = this.tenant.groups.get(groupId);
    if (!group) throw notFound(groupId);
    let memberId = rest[2] ?? '';
    if (adding) {
      const reference = (req.body as Record<string, unknown> | undefined)?.['@odata.id'];
      if (typeof reference !== 'string' || reference === '') {
        // [UNCONFIRMED] wording.
        throw badRequest("The request body must contain an '@odata.id' reference.", 'BadRequest');
      }
      memberId = reference.replace(/\/+$/, '').split('/').pop() ?? '';
    }
    const user = this.tenant.users.get(memberId);
    if (!user) throw notFound(memberId);
    const context = { cause: 'graph' as const, ...(req.context.requestId ? { requestId: req.context.requestId } : {}) };
    this.tenant.changeMembership(group, user, adding, context, this.hooks.mayChangeRoleAssignableGroups(req.headers));
    this.hooks.scheduleMemberProcessing(user);
    return { status: 204 };
  }
}

function transitiveMembers(group: SimGroup): (SimUser | SimGroup)[] {
  const out: (SimUser | SimGroup)[] = [];
  const seen = new Set<SimUser | SimGroup>([group]);
  const visit = (g: SimGroup): void => {
    for (const m of g.members) {
      if (seen.has(m)) continue;
      seen.add(m);
      out.push(m);
      if (!('userPrincipalName' in m)) visit(m);
    }
  };
  visit(group);
  return out;
}

function* chain<T>(...parts: Iterable<T>[]): Generator<T> {
  for (const part of parts) yield* part;
}

function subject(user: SimUser): Record<string, unknown> {
  return user as unknown as Record<string, unknown>;
}

function ok(body: unknown): ApiResponse {
  return { status: 200, body };
}

function isEventual(req: ApiRequest): boolean {
  return (req.headers.consistencylevel ?? '').toLowerCase() === 'eventual';
}

/** [OBS] Graph's answer to `$count` without `ConsistencyLevel: eventual`. */
function countNeedsEventual(): GraphError {
  return badRequest('$count is not currently supported.', 'Request_BadRequest');
}

export function segmentNotFound(segment: string): GraphError {
  return badRequest(`Resource not found for the segment '${segment}'.`, 'BadRequest');
}

function methodNotAllowed(): GraphError {
  return new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request uri.');
}

function requireMethod(req: ApiRequest, method: string): void {
  if (req.method !== method) throw methodNotAllowed();
}

/** The `service` of an assignedPlan, from the plan name's family. */
function serviceOf(planName: string): string {
  if (planName.startsWith('EXCHANGE')) return 'exchange';
  if (planName.startsWith('SHAREPOINT')) return 'SharePoint';
  if (planName.startsWith('MCO') || planName.startsWith('TEAMS')) return 'MicrosoftCommunicationsOnline';
  if (planName.startsWith('OFFICE')) return 'MicrosoftOffice';
  if (planName.startsWith('YAMMER')) return 'YammerEnterprise';
  if (planName.startsWith('INTUNE')) return 'SCO';
  if (planName.startsWith('AAD') || planName.startsWith('RMS')) return 'AADPremiumService';
  return planName;
}
