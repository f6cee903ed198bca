/**
 * Who may call the API. By default the Functions host checks a function key (authLevel "function"). With
 * API_AUTH=appService, App Service authentication signs users in before a request reaches the app, so routes are
 * registered without a key and each handler requires the signed-in user App Service vouches for (its
 * `x-ms-client-principal-*` headers, which App Service removes from what clients send). The app refuses to start in
 * that mode unless App Service authentication is enabled (src/config/settings.ts).
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ApiAuthMode, AppSettings } from '../config/settings';
import { problemResponse } from './problem';

export interface ApiAuth {
  mode: ApiAuthMode;
  authLevel: 'function' | 'anonymous';
  /** The handler, refusing (401) a call without a signed-in user where App Service authentication is in charge. */
  guard: <A extends unknown[]>(
    handler: (request: HttpRequest, ...rest: A) => Promise<HttpResponseInit>,
  ) => (request: HttpRequest, ...rest: A) => Promise<HttpResponseInit>;
}

function notSignedIn(): HttpResponseInit {
  return problemResponse(
    401,
    'Sign-in required',
    'This API takes calls from users signed in through App Service authentication (API_AUTH=appService). Sign in at /.auth/login/aad, or call it with a token App Service accepts.',
  );
}

export function apiAuth(settings: Pick<AppSettings, 'apiAuth'>): ApiAuth {
  const mode = settings.apiAuth ?? 'functionKey';
  if (mode === 'functionKey') return { mode, authLevel: 'function', guard: (handler) => handler };
  return {
    mode,
    authLevel: 'anonymous',
    guard:
      (handler) =>
      (request, ...rest) =>
        request.headers.get('x-ms-client-principal-id') || request.headers.get('x-ms-client-principal')
          ? handler(request, ...rest)
          : Promise.resolve(notSignedIn()),
  };
}
