/**
 * One HTTP exchange with Graph through `@microsoft/microsoft-graph-client`: the SDK builds URLs and attaches the
 * bearer token; our terminal middleware sends with the injected fetch and a timeout; the pacer gates every request.
 * The SDK's own RetryHandler is left out on purpose: retries here are per item, paced and verified.
 */
import { errorMessage } from '../domain/values';
import type { TokenCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  GraphClientError,
  ResponseType,
  TelemetryHandler,
  type AuthenticationProvider,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import {
  classifyGraphError,
  failureFromBody,
  GraphRequestError,
  headerValue,
  type GraphOperation,
  type HeaderSource,
} from './errors';
import type { Clock } from '../clock';
import type { TenantPacer } from './pacing';
import type { RetryPolicy } from './types';

/** No answer came: the connection failed or timed out. The request may or may not have reached Graph. */
export class TransportFailure extends GraphClientError {
  constructor(
    readonly kind: 'NetworkError' | 'Timeout',
    message: string,
  ) {
    super(message);
    // GraphClientError pins its own prototype; restore ours so instanceof works.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'TransportFailure';
  }
}

/** No token: the credential is misconfigured or its endpoint is unreachable. Nothing was sent. */
export class CredentialFailure extends GraphClientError {
  constructor(message: string) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'CredentialFailure';
  }
}

class CredentialAuthProvider implements AuthenticationProvider {
  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
  ) {}

  async getAccessToken(): Promise<string> {
    let token: Awaited<ReturnType<TokenCredential['getToken']>>;
    try {
      token = await this.credential.getToken(this.scope);
    } catch (error) {
      throw new CredentialFailure(errorMessage(error));
    }
    if (!token) throw new CredentialFailure(`The credential returned no token for ${this.scope}.`);
    return token.token;
  }
}

/** Terminal middleware: the injected fetch, a per-request timeout, and transport errors we can tell apart. */
class FetchHandler implements Middleware {
  constructor(
    private readonly fetchImpl: typeof fetch,
    private readonly timeoutMs: number,
  ) {}

  async execute(context: Context): Promise<void> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const options = (context.options ?? {}) as RequestInit;
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      context.response = await this.fetchImpl(context.request as string, { ...options, signal });
    } catch (error) {
      throw transportFailure(error, timeout);
    }
  }
}

function transportFailure(error: unknown, timeout: AbortSignal): TransportFailure {
  if (timeout.aborted) return new TransportFailure('Timeout', 'Graph did not answer before the timeout.');
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new TransportFailure('NetworkError', `${errorMessage(error)}${cause}`);
}

export interface GraphExchangeRequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Path and query relative to the base URL, already escaped. */
  path: string;
  body?: unknown;
  operation: GraphOperation;
  /** Estimated resource units (Graph throttling limits, identity and access service): corrected from `x-ms-resource-unit` afterwards. */
  resourceUnits: number;
  /** Writes this request spends (a `$batch` of n assignLicense items: n). */
  writes: number;
  /** Whose request this is (a migration id): the gates serve flows in turn. */
  flow?: string;
}

export interface GraphExchange {
  status: number;
  headers: Headers;
  body: unknown;
  /** Clock time the request left; lets the pacer ignore stale signals. */
  startedAt: number;
}

export interface TransportOptions {
  baseUrl: string;
  credential?: TokenCredential;
  scope: string;
  fetch: typeof fetch;
  requestTimeoutMs: number;
  clock: Clock;
  random: () => number;
  pacer: TenantPacer;
  retry: RetryPolicy;
}

export class GraphTransport {
  private readonly client: Client;
  /** Base URL without a trailing slash; `@odata.nextLink` must start with it. */
  readonly base: string;

  constructor(private readonly options: TransportOptions) {
    const url = new URL(options.baseUrl);
    this.base = options.baseUrl.replace(/\/+$/, '');
    const middleware: Middleware[] = [];
    if (options.credential) {
      middleware.push(new AuthenticationHandler(new CredentialAuthProvider(options.credential, options.scope)));
    }
    middleware.push(new TelemetryHandler(), new FetchHandler(options.fetch, options.requestTimeoutMs));
    const version = url.pathname.replace(/\/+$/, '');
    this.client = Client.initWithMiddleware({
      middleware,
      baseUrl: url.origin,
      defaultVersion: version.replace(/^\/+/, ''),
      // The SDK only attaches tokens to hosts it knows; the configured host is ours to trust.
      customHosts: new Set([url.host]),
    });
  }

  get pacer(): TenantPacer {
    return this.options.pacer;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  /** Waits for the write and resource-unit budget of a request. False when the signal aborted first. */
  async pace(
    request: Pick<GraphExchangeRequest, 'writes' | 'resourceUnits' | 'flow'>,
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (request.writes > 0 && !(await this.pacer.takeWrites(request.writes, signal, request.flow))) return false;
    return this.pacer.takeResourceUnits(request.resourceUnits, signal, request.flow);
  }

  /**
   * One already-paced exchange inside a concurrency slot the caller holds. Any HTTP status comes back as an
   * exchange; only transport and credential failures throw.
   */
  async exchange(request: GraphExchangeRequest): Promise<GraphExchange> {
    const startedAt = this.clock.now();
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    let response: Response;
    let text: string;
    try {
      const call = this.client.api(request.path).responseType(ResponseType.RAW);
      response = (await (request.method === 'GET'
        ? call.get()
        : request.method === 'POST'
          ? call.post(request.body)
          : call.patch(request.body))) as Response;
      text = await readBody(response, timeout);
    } catch (error) {
      if (error instanceof TransportFailure || error instanceof CredentialFailure) throw error;
      if (timeout.aborted) throw new TransportFailure('Timeout', 'Graph did not finish answering before the timeout.');
      if (error instanceof GraphClientError) throw error;
      throw new TransportFailure('NetworkError', errorMessage(error));
    }
    const body = parseBody(text);
    this.observe(request, response.headers, startedAt);
    return { status: response.status, headers: response.headers, body, startedAt };
  }

  /** Feeds the pacer what a response says about the budget. */
  observe(request: Pick<GraphExchangeRequest, 'resourceUnits'>, headers: Headers, startedAt: number): void {
    const percentage = Number.parseFloat(headers.get('x-ms-throttle-limit-percentage') ?? '');
    this.pacer.onResponse(startedAt, Number.isFinite(percentage) ? percentage : undefined);
    const charged = Number.parseInt(headers.get('x-ms-resource-unit') ?? '', 10);
    if (Number.isFinite(charged)) this.pacer.correctResourceUnits(charged - request.resourceUnits);
  }

  /**
   * The application roles in the token Graph would receive (its `roles` claim), or undefined when requests carry no
   * token (a loopback Graph with GRAPH_AUTH=none) or the token names none. The token is the app's own, so reading
   * its payload without checking the signature is enough to know what it claims.
   */
  async tokenRoles(): Promise<Set<string> | undefined> {
    const { credential, scope } = this.options;
    if (!credential) return undefined;
    let token: string | undefined;
    try {
      token = (await credential.getToken(scope))?.token;
    } catch (error) {
      throw credentialError(new CredentialFailure(errorMessage(error)), 'readUsers');
    }
    const payload = token?.split('.')[1];
    if (!payload) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
      return Array.isArray(claims.roles)
        ? new Set(claims.roles.filter((r): r is string => typeof r === 'string'))
        : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A paced request with retries for reads and idempotent writes: 429 after Retry-After, 5xx / resets / timeouts
   * with jittered exponential backoff; anything else that is not 2xx throws a classified GraphRequestError.
   */
  async request(request: GraphExchangeRequest): Promise<GraphExchange> {
    // A run's reads wait in its own short queue, so thousands of them never stand in front of another run's.
    const releaseSlot = request.writes === 0 ? await this.pacer.flowReadSlot(request.flow ?? '') : undefined;
    try {
      return await this.requestWithRetries(request);
    } finally {
      releaseSlot?.();
    }
  }

  private async requestWithRetries(request: GraphExchangeRequest): Promise<GraphExchange> {
    let transient = 0;
    let throttled = 0;
    for (;;) {
      await this.pace(request);
      const release = await this.pacer.concurrency.acquire(request.flow);
      let outcome: GraphExchange | TransportFailure;
      try {
        outcome = await this.exchange(request);
      } catch (error) {
        if (error instanceof TransportFailure) outcome = error;
        else if (error instanceof CredentialFailure) throw credentialError(error, request.operation);
        else throw error;
      } finally {
        release();
      }
      if (outcome instanceof TransportFailure) {
        transient += 1;
        if (transient > this.options.retry.maxTransientFailures) {
          throw new GraphRequestError(
            classifyGraphError({ status: 0, code: outcome.kind, message: outcome.message }, request.operation),
          );
        }
        await this.clock.sleep(this.backoff(transient));
        continue;
      }
      const { status } = outcome;
      const kind = request.writes > 0 ? 'write' : 'read';
      if (status >= 200 && status < 300) {
        this.pacer.onAnswered(kind);
        return outcome;
      }
      if (status === 429) {
        throttled += 1;
        const wait = retryAfterMs(outcome.headers, this.options.retry.defaultRetryAfterMs, this.clock.now());
        const scope = outcome.headers.get('x-ms-throttle-scope') ?? undefined;
        this.pacer.onThrottled({
          kind,
          retryAfterMs: wait,
          startedAt: outcome.startedAt,
          scope,
          writes: request.writes,
        });
        if (throttled > this.options.retry.maxThrottled) throw this.failure(outcome, request.operation);
        await this.clock.sleep(wait);
        continue;
      }
      if (status >= 500 || status === 408) {
        transient += 1;
        if (transient > this.options.retry.maxTransientFailures) throw this.failure(outcome, request.operation);
        const hinted = outcome.headers.has('retry-after') ? retryAfterMs(outcome.headers, 0, this.clock.now()) : 0;
        await this.clock.sleep(Math.max(hinted, this.backoff(transient)));
        continue;
      }
      throw this.failure(outcome, request.operation);
    }
  }

  /** Exponential backoff with jitter: half fixed, half random, capped. */
  backoff(failures: number): number {
    const { baseDelayMs, maxDelayMs } = this.options.retry;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, failures - 1));
    return ceiling / 2 + (ceiling / 2) * this.options.random();
  }

  private failure(exchange: GraphExchange, operation: GraphOperation): GraphRequestError {
    return new GraphRequestError(
      classifyGraphError(failureFromBody(exchange.status, exchange.body, exchange.headers), operation),
    );
  }
}

export function credentialError(error: CredentialFailure, operation: GraphOperation): GraphRequestError {
  return new GraphRequestError({
    ...classifyGraphError({ status: 401, code: 'CredentialUnavailable', message: error.message }, operation),
    status: 0,
    reason: `Could not get a token for Graph: ${error.message}`,
  });
}

/** Retry-After in seconds (fractional allowed, as the simulator sends on a scaled clock) or as an HTTP date. */
export function retryAfterMs(headers: HeaderSource | undefined, fallbackMs: number, nowMs: number): number {
  const raw = headerValue(headers, 'retry-after');
  if (raw === undefined || raw.trim() === '') return fallbackMs;
  const seconds = Number(raw.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : fallbackMs;
}

async function readBody(response: Response, timeout: AbortSignal): Promise<string> {
  if (response.status === 204) return '';
  const timedOut = (): TransportFailure =>
    new TransportFailure('Timeout', 'Graph did not finish answering before the timeout.');
  if (timeout.aborted) throw timedOut();
  // fetch's own signal covers the body too; this guards fetch implementations that ignore it. The listener goes as
  // soon as the body is in: left on the timeout's signal it would keep every answer alive for the whole timeout.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(timedOut());
    timeout.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([response.text(), aborted]);
  } finally {
    if (onAbort) timeout.removeEventListener('abort', onAbort);
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
