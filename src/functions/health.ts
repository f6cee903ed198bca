import { app, type HttpResponseInit } from '@azure/functions';

/** Liveness probe for load balancers and the local runtime's readiness check. */
export function health(): HttpResponseInit {
  return { status: 200, jsonBody: { status: 'ok', service: 'license-shift' } };
}

export function registerHealth(): void {
  app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
}
