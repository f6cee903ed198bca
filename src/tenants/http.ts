/**
 * The tenant registry over HTTP: GET /api/tenants, GET/PUT/DELETE /api/tenants/{tenantId} and
 * POST /api/tenants/{tenantId}/consent-check. The home tenant is always listed and can be renamed, never deleted.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Clock } from '../clock';
import { adminConsentUrl, isGuid, normalizeTenantId, tenantBodySchema, type TenantRecord } from '../domain/tenancy';
import { problemsFromIssue, uniqueProblems } from '../domain/validation';
import type { TenantGraphFactory } from '../graph';
import { readJsonBody } from '../http/body';
import { problemResponse, validationProblemResponse } from '../http/problem';
import { checkConsent } from './consent';
import type { TenantRegistry } from './registry';

export interface TenantHttpDeps {
  registry: TenantRegistry;
  graphFor: TenantGraphFactory;
  clock: Pick<Clock, 'now'>;
  /** GRAPH_MULTITENANT_APP_ID, for the admin-consent URL. */
  multiTenantAppId?: string;
}

const invalid = (title: string) => ({
  type: 'urn:license-shift:problem:invalid-tenant',
  title,
  consequence: 'Nothing was changed.',
});

/** A record as the API shows it: with the admin-consent URL while consent is missing. */
function view(record: TenantRecord, appId: string | undefined): TenantRecord & { consentUrl?: string } {
  if (record.home || record.consent.status === 'granted' || !appId) return record;
  return { ...record, consentUrl: adminConsentUrl(record.tenantId, appId) };
}

function routeTenant(request: HttpRequest): { ok: true; id: string } | { ok: false; response: HttpResponseInit } {
  const raw = request.params.tenantId ?? '';
  if (isGuid(raw)) return { ok: true, id: normalizeTenantId(raw) };
  return {
    ok: false,
    response: validationProblemResponse([{ field: 'tenantId', message: 'must be a tenant id (a GUID)' }], {
      ...invalid('The tenant id is not valid'),
      instance: request.url,
    }),
  };
}

const notFound = (id: string): HttpResponseInit =>
  problemResponse(404, 'Tenant not found', `There is no registered tenant ${id}: add it with PUT /api/tenants/${id}.`);

export async function listTenantsHandler(deps: TenantHttpDeps): Promise<HttpResponseInit> {
  const tenants = await deps.registry.list();
  return {
    status: 200,
    jsonBody: { homeTenantId: deps.registry.homeTenantId, tenants: tenants.map((t) => view(t, deps.multiTenantAppId)) },
  };
}

export async function getTenantHandler(deps: TenantHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const id = routeTenant(request);
  if (!id.ok) return id.response;
  const record = await deps.registry.get(id.id);
  return record ? { status: 200, jsonBody: view(record, deps.multiTenantAppId) } : notFound(id.id);
}

export async function putTenantHandler(deps: TenantHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const id = routeTenant(request);
  if (!id.ok) return id.response;
  const options = { ...invalid('The tenant is not valid'), instance: request.url };
  const body = await readJsonBody(request, {
    maxBytes: 16 * 1024,
    tooLargeAdvice: 'A tenant holds a name, a domain and limits.',
    invalid: options,
  });
  if (!body.ok) return body.response;
  const parsed = tenantBodySchema.safeParse(body.value);
  if (!parsed.success) {
    return validationProblemResponse(uniqueProblems(parsed.error.issues.flatMap(problemsFromIssue)), options);
  }
  if (parsed.data.tenantId !== undefined && normalizeTenantId(parsed.data.tenantId) !== id.id) {
    return validationProblemResponse(
      [{ field: 'tenantId', message: `must match the tenant id in the URL (${id.id}) or be left out` }],
      options,
    );
  }
  const { record, created } = await deps.registry.put(id.id, parsed.data);
  return { status: created ? 201 : 200, jsonBody: view(record, deps.multiTenantAppId) };
}

export async function deleteTenantHandler(deps: TenantHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const id = routeTenant(request);
  if (!id.ok) return id.response;
  if (deps.registry.isHome(id.id)) {
    return problemResponse(409, 'The home tenant stays', "The deployment's own tenant cannot be removed.");
  }
  // Runs and reports stay in storage under the tenant's prefix; they are unreachable until it is added again.
  return (await deps.registry.delete(id.id)) ? { status: 204 } : notFound(id.id);
}

export async function consentCheckHandler(deps: TenantHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const id = routeTenant(request);
  if (!id.ok) return id.response;
  const record = await deps.registry.get(id.id);
  if (!record) return notFound(id.id);
  const consent = await checkConsent(
    () => deps.graphFor(record.home ? undefined : record.tenantId, record.limits),
    deps.clock,
  );
  const updated = await deps.registry.recordConsent(record.tenantId, consent);
  const shown = view(updated, deps.multiTenantAppId);
  // The home tenant's record always says granted; the check's own outcome is reported beside it.
  return { status: 200, jsonBody: { ...shown, check: consent } };
}
