/**
 * Several tenants behind one Graph URL: a front server that routes each request to one tenant's simulator (its own
 * users, SKUs, throttling budgets, faults and event log) and refuses tenants that have not consented.
 *
 * Routing: the bearer token's `tid` claim, else (no token: auth none on loopback) the `x-ms-simulator-tenant`
 * header, else the default tenant. The front also answers Entra's token endpoint, `POST /{tenant}/oauth2/v2.0/token`,
 * so a test can see what a customer tenant without consent answers.
 *
 * Control: `/_simulator/tenants` lists the tenants; `/_simulator/tenants/{tenantId}/…` is that tenant's own control
 * API (`/_simulator/…`, control.ts), and `/_simulator/tenants/{tenantId}/consent` grants or revokes consent, so a
 * simulator in another process (the CLI's `--tenants`) can be driven over HTTP as `tenant(id)` is in process.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type GraphSimulator, type GraphSimulatorOptions, GraphSimulatorServer, DEFAULT_APP_ID } from './server';
import type { Scenario } from './types';
import { resolveScenario } from './scenario';

/** The header a credential-less client names its tenant in (src/graph/tenants.ts sends it). */
export const SIMULATOR_TENANT_HEADER = 'x-ms-simulator-tenant';

export interface SimulatedTenant {
  tenantId: string;
  /** Default true. A tenant without consent refuses every request (see `consentRequired`). */
  consented?: boolean;
  /** This tenant's simulator (scenario, throttling, latency...). Its scenario's tenant id is set to `tenantId`. */
  options?: GraphSimulatorOptions;
}

export interface MultiTenantSimulatorOptions {
  tenants: SimulatedTenant[];
  /** The tenant of requests that name none (default: the first). */
  defaultTenantId?: string;
  port?: number;
  host?: string;
}

export interface MultiTenantGraphSimulator {
  /** http://127.0.0.1:PORT/v1.0 for every tenant. */
  readonly baseUrl: string;
  /** http://127.0.0.1:PORT (the token endpoint lives at /{tenant}/oauth2/v2.0/token). */
  readonly origin: string;
  /** One tenant's own simulator, for in-process reads and changes (users, seats, faults, events). */
  tenant(tenantId: string): GraphSimulator;
  tenantIds(): string[];
  isConsented(tenantId: string): boolean;
  /** The customer's admin granted (or revoked) consent. */
  setConsent(tenantId: string, consented: boolean): void;
  stop(): Promise<void>;
}

interface Hosted {
  sim: GraphSimulatorServer;
  consented: boolean;
}

const norm = (id: string) => id.trim().toLowerCase();

/** The `tid` claim of a JWT bearer token, when there is one. */
function tokenTenant(authorization: string | undefined): string | undefined {
  const token = /^bearer\s+(\S+)/i.exec(authorization ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof claims.tid === 'string' ? claims.tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Entra ID's answer to a token request for an app the tenant has not consented to: 400 `invalid_grant` with
 * AADSTS65001 and the `consent_required` suberror. Sources: Microsoft Learn, "Troubleshoot consent issues in
 * Microsoft Entra ID" (learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/troubleshoot-consent-issues)
 * for the AADSTS65001 message, and the OAuth 2.0 error response of the Microsoft identity platform
 * (`error`, `error_description`, `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `suberror`).
 */
export function consentRequiredBody(appId: string, nowMs: number): Record<string, unknown> {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date(nowMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    error: 'invalid_grant',
    error_description:
      `AADSTS65001: The user or administrator has not consented to use the application with ID '${appId}'. ` +
      `Send an interactive authorization request for this user and resource. Trace ID: ${traceId} ` +
      `Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [65001],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    suberror: 'consent_required',
  };
}

/**
 * What Graph calls routed to a tenant without consent get: no token can exist there, so the simulator answers as
 * Graph does for a request without a valid token (401 InvalidAuthenticationToken, Graph's error envelope), carrying
 * Entra's AADSTS65001 text so the client can tell the customer to grant consent. [SIM: the shape is Graph's; that a
 * tokenless request reaches Graph at all only happens with auth none on loopback.]
 */
function graphConsentRefusal(appId: string, nowMs: number): Record<string, unknown> {
  const requestId = randomUUID();
  const entra = consentRequiredBody(appId, nowMs);
  return {
    error: {
      code: 'InvalidAuthenticationToken',
      message: String(entra.error_description),
      innerError: {
        date: new Date(nowMs).toISOString().replace(/\.\d+Z$/, ''),
        'request-id': requestId,
        'client-request-id': requestId,
      },
    },
  };
}

function appIdOf(headers: IncomingMessage['headers']): string {
  const header = headers['x-simulator-app-id'];
  return typeof header === 'string' && header ? header : DEFAULT_APP_ID;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A fake unsigned JWT naming the tenant and app, as the simulator reads tokens (it never checks signatures). */
function fakeToken(tenantId: string, appId: string, nowMs: number): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(nowMs / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ tid: tenantId, appid: appId, azp: appId, iat, exp: iat + 3600 })}.`;
}

export async function startMultiTenantGraphSimulator(
  options: MultiTenantSimulatorOptions,
): Promise<MultiTenantGraphSimulator> {
  if (options.tenants.length === 0) throw new Error('at least one tenant is needed');
  const hosted = new Map<string, Hosted>();
  try {
    for (const tenant of options.tenants) {
      const id = norm(tenant.tenantId);
      const base = tenant.options ?? {};
      const scenario: Scenario = { ...resolveScenario(base.scenario ?? 'demo'), tenantId: id };
      const sim = new GraphSimulatorServer({ ...base, scenario });
      await sim.listen(0, '127.0.0.1');
      hosted.set(id, { sim, consented: tenant.consented ?? true });
    }
  } catch (error) {
    await Promise.all([...hosted.values()].map((h) => h.sim.stop()));
    throw error;
  }
  const defaultId = norm(options.defaultTenantId ?? options.tenants[0]!.tenantId);
  const nowOf = (h: Hosted | undefined) => (h ? h.sim.now() : Date.now());
  let origin = '';

  const route = (req: IncomingMessage): string => {
    const fromToken = tokenTenant(req.headers.authorization);
    if (fromToken) return norm(fromToken);
    const header = req.headers[SIMULATOR_TENANT_HEADER];
    if (typeof header === 'string' && header.trim() !== '') return norm(header);
    return defaultId;
  };

  /** Passes the request on to the tenant's own server, at `path` (default: the request's own path and query). */
  const forward = async (
    req: IncomingMessage,
    res: ServerResponse,
    target: Hosted,
    path: string = req.url ?? '/',
  ): Promise<void> => {
    const body = await readAll(req);
    const inner = new URL(target.sim.baseUrl).origin;
    const headers = { ...req.headers, host: new URL(inner).host };
    await new Promise<void>((resolve, reject) => {
      const upstream = httpRequest(`${inner}${path}`, { method: req.method, headers }, (answer) => {
        void readAll(answer).then((payload) => {
          // Absolute links (@odata.nextLink, Location) name the front, not the tenant's own port.
          const text = payload.toString('utf8').split(inner).join(origin);
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(answer.headers)) {
            if (v !== undefined && k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') {
              out[k] = Array.isArray(v) ? v.join(', ') : v.split(inner).join(origin);
            }
          }
          out['content-length'] = String(Buffer.byteLength(text));
          res.writeHead(answer.statusCode ?? 502, out);
          res.end(text);
          resolve();
        }, reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  };

  /** `/_simulator/tenants[/{tenantId}[/…]]`: the front's own control routes (never Graph traffic). */
  const onTenantControl = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    tenantSegment: string | undefined,
    rest: string,
  ): Promise<void> => {
    if (tenantSegment === undefined) {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'GET /_simulator/tenants lists the tenants.' });
      const tenants = [...hosted].map(([tenantId, h]) => ({
        tenantId,
        consented: h.consented,
        default: tenantId === defaultId,
        baseUrl: `${origin}/v1.0`,
        controlUrl: `${origin}/_simulator/tenants/${tenantId}`,
      }));
      return sendJson(res, 200, tenants);
    }
    const tenantId = norm(decodeURIComponent(tenantSegment));
    const target = hosted.get(tenantId);
    if (!target) return sendJson(res, 404, { error: `no simulated tenant ${tenantId}` });
    if (rest === '/consent') {
      if (req.method === 'GET') return sendJson(res, 200, { consented: target.consented });
      if (req.method !== 'PUT' && req.method !== 'POST') {
        return sendJson(res, 405, { error: 'GET or PUT /consent with { "consented": true | false }.' });
      }
      let change: unknown;
      try {
        change = JSON.parse((await readAll(req)).toString('utf8') || 'null');
      } catch {
        change = undefined;
      }
      const consented = (change as { consented?: unknown } | null | undefined)?.consented;
      if (typeof consented !== 'boolean') {
        return sendJson(res, 400, { error: 'Send { "consented": true | false }.' });
      }
      target.consented = consented;
      return sendJson(res, 200, { consented });
    }
    // Everything else is the tenant's own control API, whatever its consent (consent concerns Graph callers).
    await forward(req, res, target, `/_simulator${rest}${url.search}`);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const tenantControl = /^\/_simulator\/tenants(?:\/([^/]+)(\/.*)?)?\/?$/.exec(url.pathname);
    if (tenantControl) return onTenantControl(req, res, url, tenantControl[1], tenantControl[2] ?? '');
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token && req.method === 'POST') {
      const form = new URLSearchParams((await readAll(req)).toString('utf8'));
      const tenantId = norm(decodeURIComponent(token[1] ?? ''));
      const target = hosted.get(tenantId);
      const appId = form.get('client_id') ?? DEFAULT_APP_ID;
      if (!target) {
        // [SIM] an unknown tenant: Entra's AADSTS90002 ("Tenant not found"), same envelope.
        return sendJson(res, 400, {
          error: 'invalid_request',
          error_description: `AADSTS90002: Tenant '${tenantId}' not found.`,
          error_codes: [90002],
        });
      }
      if (!target.consented) return sendJson(res, 400, consentRequiredBody(appId, nowOf(target)));
      return sendJson(res, 200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: fakeToken(tenantId, appId, nowOf(target)),
      });
    }
    const tenantId = route(req);
    const target = hosted.get(tenantId);
    if (!target) {
      return sendJson(res, 401, {
        error: {
          code: 'InvalidAuthenticationToken',
          message: `AADSTS90002: Tenant '${tenantId}' not found.`,
          innerError: { 'request-id': randomUUID() },
        },
      });
    }
    if (!target.consented && url.pathname.startsWith('/v1.0')) {
      return sendJson(res, 401, graphConsentRefusal(appIdOf(req.headers), nowOf(target)));
    }
    await forward(req, res, target);
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 502, { error: { code: 'generalException', message: `Simulator front: ${String(error)}` } });
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  const need = (tenantId: string): Hosted => {
    const found = hosted.get(norm(tenantId));
    if (!found) throw new Error(`no simulated tenant ${tenantId}`);
    return found;
  };
  return {
    baseUrl: `${origin}/v1.0`,
    origin,
    tenant: (tenantId) => need(tenantId).sim,
    tenantIds: () => [...hosted.keys()],
    isConsented: (tenantId) => need(tenantId).consented,
    setConsent: (tenantId, consented) => {
      need(tenantId).consented = consented;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...hosted.values()].map((h) => h.sim.stop()));
    },
  };
}
