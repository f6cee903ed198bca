import type { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import {
  actionHandler,
  getMigrationHandler,
  listMigrationsHandler,
  reportHandler,
  startMigrationHandler,
  type HttpDeps,
} from '../migrations/http';
import { appStore } from './dependencies';

const deps = (client: df.DurableClient): HttpDeps => ({ client, store: appStore() });
const authLevel = 'function';

df.app.client.http('startMigration', {
  route: 'migrations',
  methods: ['POST'],
  authLevel,
  handler: (request: HttpRequest, client) => startMigrationHandler(deps(client), request),
});
df.app.client.http('listMigrations', {
  route: 'migrations',
  methods: ['GET'],
  authLevel,
  handler: (request: HttpRequest, client) => listMigrationsHandler(deps(client), request),
});
df.app.client.http('getMigration', {
  route: 'migrations/{id}',
  methods: ['GET'],
  authLevel,
  handler: (request: HttpRequest, client) => getMigrationHandler(deps(client), request),
});
df.app.client.http('getMigrationReport', {
  route: 'migrations/{id}/report',
  methods: ['GET'],
  authLevel,
  handler: (request: HttpRequest, client) => reportHandler(deps(client), request),
});
for (const action of ['approve', 'reject', 'recheck', 'cancel'] as const) {
  df.app.client.http(`${action}Migration`, {
    route: `migrations/{id}/${action}`,
    methods: ['POST'],
    authLevel,
    handler: (request: HttpRequest, client) => actionHandler(deps(client), request, action),
  });
}
