import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import type { AppDeps } from '../deps';
import { ledgerFor } from '../ledger';
import { apiAuth } from '../http/auth';
import {
  actionHandler,
  getMigrationHandler,
  listMigrationsHandler,
  reportHandler,
  startMigrationHandler,
  type MigrationHttpDeps,
} from '../migrations/http';
import { inTenant } from '../migrations/tenant';

/** What the migration handlers work with: the app's dependencies and the durable client of the invocation. */
export function migrationHttpDeps(deps: AppDeps): (client: df.DurableClient) => MigrationHttpDeps {
  const appId = deps.settings.tenants.multiTenantAppId;
  return (client) => ({
    client,
    store: deps.store,
    clock: deps.clock,
    graph: deps.graph,
    settings: deps.settings,
    ledger: ledgerFor(deps),
    tenants: deps.tenants,
    homeTenantId: deps.tenants.homeTenantId,
    graphFor: deps.graphFor,
    ...(appId ? { multiTenantAppId: appId } : {}),
  });
}

/**
 * Runs a handler in the tenant named by `?tenantId=` (absent: home). `starts` handlers (rollback, retry) also need
 * the tenant's consent.
 */
export function tenantScoped(
  withClient: (client: df.DurableClient) => MigrationHttpDeps,
  handler: (deps: MigrationHttpDeps, request: HttpRequest) => Promise<HttpResponseInit>,
  starts = false,
): (request: HttpRequest, client: df.DurableClient) => Promise<HttpResponseInit> {
  return async (request, client) => {
    const tenant = await inTenant(withClient(client), request.query.get('tenantId'), { starts });
    return tenant.ok ? handler(tenant.deps, request) : tenant.response;
  };
}

export function registerMigrationRoutes(deps: AppDeps): void {
  const { authLevel, guard } = apiAuth(deps.settings);
  const withClient = migrationHttpDeps(deps);
  df.app.client.http('startMigration', {
    route: 'migrations',
    methods: ['POST'],
    authLevel,
    handler: guard((request: HttpRequest, client: df.DurableClient) =>
      startMigrationHandler(withClient(client), request),
    ),
  });
  df.app.client.http('listMigrations', {
    route: 'migrations',
    methods: ['GET'],
    authLevel,
    handler: guard(tenantScoped(withClient, listMigrationsHandler)),
  });
  df.app.client.http('getMigration', {
    route: 'migrations/{id}',
    methods: ['GET'],
    authLevel,
    handler: guard(tenantScoped(withClient, getMigrationHandler)),
  });
  df.app.client.http('getMigrationReport', {
    route: 'migrations/{id}/report',
    methods: ['GET'],
    authLevel,
    handler: guard(tenantScoped(withClient, reportHandler)),
  });
  for (const action of ['approve', 'reject', 'recheck', 'cancel'] as const) {
    df.app.client.http(`${action}Migration`, {
      route: `migrations/{id}/${action}`,
      methods: ['POST'],
      authLevel,
      handler: guard(tenantScoped(withClient, (deps, request) => actionHandler(deps, request, action))),
    });
  }
}
