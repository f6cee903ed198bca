import { app, type HttpRequest } from '@azure/functions';
import type { AppDeps } from '../deps';
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

/** GET /api/tenants, GET/PUT/DELETE /api/tenants/{tenantId}, POST /api/tenants/{tenantId}/consent-check. */
export function registerTenantRoutes(deps: AppDeps): void {
  const { authLevel, guard } = apiAuth(deps.settings);
  const tenantDeps = tenantHttpDeps(deps);
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
