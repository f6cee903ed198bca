/**
 * Puts a migration request in its tenant: resolves `tenantId` against the registry (400 naming the field when it is
 * not a registered tenant's id), refuses to start anything in a tenant that has not consented (409 with the
 * admin-consent URL), and gives the handlers that tenant's Graph layer.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { LicensingGraph } from '../graph';
import { ledgerFor } from '../ledger';
import { checkConsent } from '../tenants/consent';
import { consentProblem, resolveTenant } from '../tenants/resolve';
import type { MigrationHttpDeps } from './http';

export async function inTenant(
  deps: MigrationHttpDeps,
  raw: string | null | undefined,
  options: { starts: boolean; field?: string },
): Promise<{ ok: true; deps: MigrationHttpDeps; graph?: LicensingGraph } | { ok: false; response: HttpResponseInit }> {
  if (!deps.tenants) return { ok: true, deps };
  const resolved = await resolveTenant(deps.tenants, raw, {
    ...(options.field ? { field: options.field } : {}),
    consequence: options.starts ? 'Nothing was started.' : 'Nothing was done.',
  });
  if (!resolved.ok) return resolved;
  let { record } = resolved;
  const { tenantId } = resolved;
  if (options.starts && !record.home && record.consent.status !== 'granted' && deps.graphFor) {
    // Not known to be granted (never checked, or refused before): ask the tenant now, so a customer who consented
    // since needs no separate consent check, and record what it says.
    const { graphFor } = deps;
    const consent = await checkConsent(() => graphFor(record.tenantId, record.limits), deps.clock);
    record = await deps.tenants.recordConsent(record.tenantId, consent);
  }
  if (options.starts) {
    const refused = consentProblem(record, deps.multiTenantAppId);
    if (refused) return { ok: false, response: refused };
  }
  const scoped: MigrationHttpDeps = { ...deps, homeTenantId: deps.tenants.homeTenantId };
  if (tenantId !== undefined) scoped.tenantId = tenantId;
  else delete scoped.tenantId;
  if (deps.graphFor) {
    const graph = deps.graphFor(tenantId, record.limits);
    scoped.graph = graph;
    // Seats are reserved per tenant, in the ledger of the tenant's Graph.
    if (deps.ledger) scoped.ledger = ledgerFor({ store: deps.store, graph, clock: deps.clock });
    return { ok: true, deps: scoped, graph };
  }
  return { ok: true, deps: scoped };
}
