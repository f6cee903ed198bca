import {
  startGraphSimulator,
  type GraphSimulator,
  type GraphSimulatorOptions,
  type GraphSimulatorServer,
} from '../../../emulators/graph';

export type Simulator = GraphSimulator & GraphSimulatorServer;

/**
 * A simulator for tests: demo tenant, no latency, and the deterministic profile unless a test asks for another, so
 * the existing conformance tests see exact, noise-free answers. Realistic-profile tests pass `profile: 'realistic'`.
 */
export function startTestSimulator(options: GraphSimulatorOptions = {}): Promise<Simulator> {
  return startGraphSimulator({ latency: 'none', profile: 'deterministic', ...options });
}

/** Graph JSON as conformance tests read it: untyped on purpose, the tests assert its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GraphItem = any;

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: GraphItem;
}

export async function call(
  sim: { baseUrl: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const response = await fetch(`${sim.baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

export async function control(
  sim: { controlUrl: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonResponse> {
  const response = await fetch(`${sim.controlUrl}${path}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export const assignBody = (add: { skuId: string; disabledPlans?: string[] }[], remove: string[] = []) => ({
  addLicenses: add.map((a) => ({ skuId: a.skuId, disabledPlans: a.disabledPlans ?? [] })),
  removeLicenses: remove,
});
