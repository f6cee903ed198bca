import { app, type HttpRequest } from '@azure/functions';
import type { AppDeps } from '../deps';
import { apiAuth } from '../http/auth';
import { openApiHandler } from '../openapi/http';

/** Anonymous: the document describes the API and holds no data. */
export function registerOpenApi(deps: AppDeps): void {
  const { mode } = apiAuth(deps.settings);
  app.http('openApi', {
    route: 'openapi.json',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request: HttpRequest) => Promise.resolve(openApiHandler(request, mode)),
  });
}
