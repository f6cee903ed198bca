/**
 * The tenant a request acts in: `tenantId` (query or body), or the home tenant when absent. An id that is not a GUID
 * or not registered is a 400 naming the field; a tenant that has not granted consent is a 409 carrying the
 * admin-consent URL to send the customer, and nothing is started.
 */
import type { HttpResponseInit } from '@azure/functions';
import { adminConsentUrl, isGuid, normalizeTenantId, type TenantRecord } from '../domain/tenancy';
import { problemResponse, validationProblemResponse } from '../http/problem';
import type { TenantRegistry } from './registry';

export type TenantResolution =
  { ok: true; tenantId: string | undefined; record: TenantRecord } | { ok: false; response: HttpResponseInit };

const invalidTenant = (field: string, message: string, consequence: string): TenantResolution => ({
  ok: false,
  response: validationProblemResponse([{ field, message }], {
    type: 'urn:license-shift:problem:unknown-tenant',
    title: 'The tenant is not valid',
    consequence,
  }),
});

/** `tenantId` undefined means the home tenant (which is always registered and consented). */
export async function resolveTenant(
  registry: TenantRegistry,
  raw: string | null | undefined,
  options: { field?: string; consequence?: string } = {},
): Promise<TenantResolution> {
  const field = options.field ?? 'tenantId';
  const consequence = options.consequence ?? 'Nothing was done.';
  const text = raw?.trim() ?? '';
  if (text === '') {
    const home = await registry.get(undefined);
    if (!home) throw new Error('The home tenant is always present.');
    return { ok: true, tenantId: undefined, record: home };
  }
  if (!isGuid(text)) return invalidTenant(field, 'must be a tenant id (a GUID)', consequence);
  const record = await registry.get(text);
  if (!record) {
    return invalidTenant(
      field,
      `is not a registered tenant: add it with PUT /api/tenants/${normalizeTenantId(text)} first`,
      consequence,
    );
  }
  return { ok: true, tenantId: registry.isHome(text) ? undefined : record.tenantId, record };
}

/** 409 with the admin-consent URL when the tenant has not granted the app's permissions. */
export function consentProblem(record: TenantRecord, appId: string | undefined): HttpResponseInit | undefined {
  if (record.home || record.consent.status === 'granted') return undefined;
  const consentUrl = appId ? adminConsentUrl(record.tenantId, appId) : undefined;
  return problemResponse(
    409,
    'The tenant has not granted consent',
    consentUrl
      ? `Tenant ${record.tenantId} (${record.displayName}) has not granted this app its permissions. Send this URL to one of its global administrators: ${consentUrl}, then run POST /api/tenants/${record.tenantId}/consent-check. Nothing was started.`
      : `Tenant ${record.tenantId} (${record.displayName}) has not granted consent, and this deployment has no GRAPH_MULTITENANT_APP_ID to build the admin-consent URL from. Nothing was started.`,
    {
      type: 'urn:license-shift:problem:tenant-not-consented',
      tenantId: record.tenantId,
      consent: record.consent,
      ...(consentUrl ? { consentUrl } : {}),
    },
  );
}
