import type { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import type { AppDeps } from '../deps';
import { apiAuth } from '../http/auth';
import { previewMigrationHandler } from '../migrations/preview';
import { migrationHttpDeps } from './migrations';

/** `POST /api/migrations/preview`: the plan of a request, without starting it (or a dry run, for large requests). */
export function registerPreviewRoute(deps: AppDeps): void {
  const { authLevel, guard } = apiAuth(deps.settings);
  const withClient = migrationHttpDeps(deps);
  df.app.client.http('previewMigration', {
    route: 'migrations/preview',
    methods: ['POST'],
    authLevel,
    handler: guard((request: HttpRequest, client: df.DurableClient) =>
      previewMigrationHandler({ ...withClient(client), graph: deps.graph }, request),
    ),
  });
}
