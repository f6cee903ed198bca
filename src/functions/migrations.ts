import type { HttpRequest } from '@azure/functions';
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

/** What the migration handlers work with: the app's dependencies and the durable client of the invocation. */
export function migrationHttpDeps(deps: AppDeps): (client: df.DurableClient) => MigrationHttpDeps {
  return (client) => ({
    client,
    store: deps.store,
    clock: deps.clock,
    graph: deps.graph,
    settings: deps.settings,
    ledger: ledgerFor(deps),
  });
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
    handler: guard((request: HttpRequest, client: df.DurableClient) =>
      listMigrationsHandler(withClient(client), request),
    ),
  });
  df.app.client.http('getMigration', {
    route: 'migrations/{id}',
    methods: ['GET'],
    authLevel,
    handler: guard((request: HttpRequest, client: df.DurableClient) =>
      getMigrationHandler(withClient(client), request),
    ),
  });
  df.app.client.http('getMigrationReport', {
    route: 'migrations/{id}/report',
    methods: ['GET'],
    authLevel,
    handler: guard((request: HttpRequest, client: df.DurableClient) => reportHandler(withClient(client), request)),
  });
  for (const action of ['approve', 'reject', 'recheck', 'cancel'] as const) {
    df.app.client.http(`${action}Migration`, {
      route: `migrations/{id}/${action}`,
      methods: ['POST'],
      authLevel,
      handler: guard((request: HttpRequest, client: df.DurableClient) =>
        actionHandler(withClient(client), request, action),
      ),
    });
  }
}
