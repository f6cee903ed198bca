import { app, type HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import type { AppDeps } from '../deps';
import { ledgerFor } from '../ledger';
import { overviewCache, tenantOverviewHandler } from '../tenants/overview';
import { apiAuth } from '../http/auth';
import {
  consentCheckHandler,
  deleteTenantHandler,
  getTenantHandler,
  listTenantsHandler,
  putTenantHandler,
  type TenantHttpDeps,
} from '../tenants/http';

export function tenantHttpDeps(deps: AppDeps): TenantHttpDeps {
  const appId = deps.settings.tenants.multiTenantAppId;
  return {
    registry: deps.tenants,
    graphFor: deps.graphFor,
    clock: deps.clock,
    ...(appId ? { multiTenantAppId: appId } : {}),
  };
}

/**
 * GET /api/tenants, GET /api/tenants/overview, GET/PUT/DELETE /api/tenants/{tenantId},
 * POST /api/tenants/{tenantId}/consent-check. The overview's literal segment wins over {tenantId} in the host's routing.
 */
export function registerTenantRoutes(deps: AppDeps): void {
  const { authLevel, guard } = apiAuth(deps.settings);
  const tenantDeps = tenantHttpDeps(deps);
  const skuCache = overviewCache(deps.clock);
  df.app.client.http('tenantOverview', {
    route: 'tenants/overview',
    methods: ['GET'],
    authLevel,
    handler: guard((_request: HttpRequest, client: df.DurableClient) =>
      tenantOverviewHandler({
        registry: deps.tenants,
        graphFor: deps.graphFor,
        client,
        store: deps.store,
        clock: deps.clock,
        skuCache,
        reservedSeats: (graph) => ledgerFor({ store: deps.store, graph, clock: deps.clock }).seatsReservedPerSku(),
      }),
    ),
  });
  app.http('listTenants', {
    route: 'tenants',
    methods: ['GET'],
    authLevel,
    handler: guard(() => listTenantsHandler(tenantDeps)),
  });
  app.http('getTenant', {
    route: 'tenants/{tenantId}',
    methods: ['GET'],
    authLevel,
    handler: guard((request: HttpRequest) => getTenantHandler(tenantDeps, request)),
  });
  app.http('putTenant', {
    route: 'tenants/{tenantId}',
    methods: ['PUT'],
    authLevel,
    handler: guard((request: HttpRequest) => putTenantHandler(tenantDeps, request)),
  });
  app.http('deleteTenant', {
    route: 'tenants/{tenantId}',
    methods: ['DELETE'],
    authLevel,
    handler: guard((request: HttpRequest) => deleteTenantHandler(tenantDeps, request)),
  });
  app.http('checkTenantConsent', {
    route: 'tenants/{tenantId}/consent-check',
    methods: ['POST'],
    authLevel,
    handler: guard((request: HttpRequest) => consentCheckHandler(tenantDeps, request)),
  });
}
