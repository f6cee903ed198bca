import * as df from 'durable-functions';
import type { AppDeps } from '../deps';
import { apiAuth } from '../http/auth';
import { retryHandler, rollbackHandler } from '../migrations/linked';
import { migrationHttpDeps, tenantScoped } from './migrations';

/** POST /api/migrations/{id}/rollback and /retry: new runs linked to a finished one (src/migrations/linked.ts). */
export function registerLinkedRunRoutes(deps: AppDeps): void {
  const { authLevel, guard } = apiAuth(deps.settings);
  const withClient = migrationHttpDeps(deps);
  df.app.client.http('rollbackMigration', {
    route: 'migrations/{id}/rollback',
    methods: ['POST'],
    authLevel,
    handler: guard(tenantScoped(withClient, rollbackHandler, true)),
  });
  df.app.client.http('retryMigration', {
    route: 'migrations/{id}/retry',
    methods: ['POST'],
    authLevel,
    handler: guard(tenantScoped(withClient, retryHandler, true)),
  });
}
