/**
 * GETs of single objects (`GET /users/{id}`), twenty to a `$batch` (Microsoft Graph JSON batching: up to 20
 * requests per batch, each evaluated against the throttling limits on its own). One HTTP round trip instead of twenty
 * costs Graph the same resource units but costs both ends far less, and a throttled item waits for its own
 * Retry-After without holding back the other nineteen.
 */
import { errorMessage, isRecord } from '../domain/values';
import {
  classifyGraphError,
  failureFromBody,
  GraphRequestError,
  type GraphErrorInfo,
  type GraphOperation,
} from './errors';
import { inParallel } from '../util/parallel';
import {
  CredentialFailure,
  credentialError,
  retryAfterMs,
  TransportFailure,
  type GraphExchange,
  type GraphTransport,
} from './transport';
import type { RetryPolicy } from './types';

/** Graph's limit on requests per `$batch`. */
const BATCH_LIMIT = 20;
/** `$batch` requests in flight per call; the flow's read slots and the tenant's concurrency gate still apply. */
const BATCHES_IN_FLIGHT = 4;

export interface SingleGet {
  /** Relative URL of the object, already escaped. */
  path: string;
}

/** The answer for one GET: 2xx, 404, or 429 when the caller asked to defer throttled reads (others throw). */
export interface SingleGetAnswer {
  status: number;
  body: unknown;
}

interface Pending {
  index: number;
  path: string;
  throttled: number;
  transient: number;
  notBefore: number;
  answer?: SingleGetAnswer;
}

type ItemResponse = { status: number; headers: Record<string, string>; body: unknown };

/** What one `get` call asked for. */
interface Call {
  operation: GraphOperation;
  deferThrottled: boolean;
}

export class BatchedReads {
  constructor(
    private readonly transport: GraphTransport,
    private readonly retry: RetryPolicy,
    private readonly flow: string,
  ) {}

  /**
   * One answer per path, in order. Throws GraphRequestError for an answer that is neither 2xx, 404 nor retryable.
   * With `deferThrottled` a throttled read is not waited out: its answer is the 429.
   */
  async get(paths: string[], operation: GraphOperation, deferThrottled = false): Promise<SingleGetAnswer[]> {
    const all: Pending[] = paths.map((path, index) => ({
      index,
      path,
      throttled: 0,
      transient: 0,
      notBefore: Number.NEGATIVE_INFINITY,
    }));
    const chunks: Pending[][] = [];
    for (let i = 0; i < all.length; i += BATCH_LIMIT) chunks.push(all.slice(i, i + BATCH_LIMIT));
    await inParallel(
      chunks.map((chunk) => () => this.settle(chunk, { operation, deferThrottled })),
      BATCHES_IN_FLIGHT,
    );
    return all.map((p) => p.answer ?? { status: 404, body: undefined });
  }

  /** Sends the chunk's open items until each has an answer; throttled and failed items wait their turn alone. */
  private async settle(chunk: Pending[], call: Call): Promise<void> {
    const { clock } = this.transport;
    for (;;) {
      const open = chunk.filter((p) => !p.answer);
      if (open.length === 0) return;
      const now = clock.now();
      const ready = open.filter((p) => p.notBefore <= now);
      if (ready.length === 0) {
        await clock.sleep(Math.min(...open.map((p) => p.notBefore)) - now);
        continue;
      }
      const exchange = await this.send(ready, call.operation);
      if (exchange) this.apply(ready, exchange, call);
    }
  }

  /** One paced `$batch`; a failure without an answer marks every item for a retry after a backoff. */
  private async send(items: Pending[], operation: GraphOperation): Promise<GraphExchange | undefined> {
    const releaseSlot = await this.transport.pacer.flowReadSlot(this.flow);
    try {
      await this.transport.pace({ writes: 0, resourceUnits: items.length, flow: this.flow });
      const release = await this.transport.pacer.concurrency.acquire(this.flow);
      try {
        const requests = items.map((p) => ({ id: String(p.index), method: 'GET', url: p.path }));
        return await this.transport.exchange({
          method: 'POST',
          path: '/$batch',
          body: { requests },
          operation,
          resourceUnits: items.length,
          writes: 0,
          flow: this.flow,
        });
      } finally {
        release();
      }
    } catch (error) {
      if (error instanceof CredentialFailure) throw credentialError(error, operation);
      const message = errorMessage(error);
      const kind = error instanceof TransportFailure ? error.kind : 'UnexpectedError';
      for (const p of items) this.transient(p, classifyGraphError({ status: 0, code: kind, message }, operation));
      return undefined;
    } finally {
      releaseSlot();
    }
  }

  private apply(items: Pending[], exchange: GraphExchange, call: Call): void {
    const { operation } = call;
    const envelope = isRecord(exchange.body) ? exchange.body : {};
    if (!Array.isArray(envelope.responses)) {
      const headers: Record<string, string> = {};
      exchange.headers.forEach((value, name) => (headers[name] = value));
      // The whole batch was refused: one answer, so it counts once towards telling noise from congestion.
      const whole = { status: exchange.status, headers, body: exchange.body };
      if (exchange.status === 429) this.throttledAnswer(whole, exchange.startedAt);
      for (const p of items) this.item(p, whole, call);
      return;
    }
    const byId = new Map(items.map((p) => [String(p.index), p]));
    let answered = 0;
    for (const raw of envelope.responses as unknown[]) {
      if (!isRecord(raw)) continue;
      const p = byId.get(String(raw.id));
      if (!p) continue;
      byId.delete(String(raw.id));
      const headers: Record<string, string> = {};
      if (isRecord(raw.headers)) for (const [k, v] of Object.entries(raw.headers)) headers[k.toLowerCase()] = String(v);
      const status = Number(raw.status);
      const response = { status, headers, body: raw.body };
      if (status !== 429) answered += 1;
      else this.throttledAnswer(response, exchange.startedAt);
      this.item(p, response, call);
    }
    this.transport.pacer.onAnswered('read', answered);
    // Graph left these out: they are reads, so they are simply asked again.
    for (const p of byId.values()) {
      this.transient(p, classifyGraphError({ status: 0, code: 'MissingBatchResponse', message: '' }, operation));
    }
  }

  /** Tells the pacer: a stray 429 holds back only its item; steady or scoped throttling pauses the reads (pacing.ts). */
  private throttledAnswer(response: ItemResponse, startedAt: number): void {
    const wait = retryAfterMs(response.headers, this.retry.defaultRetryAfterMs, this.transport.clock.now());
    const scope = response.headers['x-ms-throttle-scope'];
    this.transport.pacer.onThrottled({ kind: 'read', retryAfterMs: wait, startedAt, scope });
  }

  private item(p: Pending, response: ItemResponse, call: Call): void {
    const { operation } = call;
    const { status } = response;
    if ((status >= 200 && status < 300) || status === 404) {
      p.answer = { status, body: response.body };
      return;
    }
    const error = classifyGraphError(failureFromBody(status, response.body, response.headers), operation);
    if (status === 429) {
      const wait = retryAfterMs(response.headers, this.retry.defaultRetryAfterMs, this.transport.clock.now());
      p.throttled += 1;
      if (call.deferThrottled) {
        p.answer = { status, body: response.body };
        return;
      }
      if (p.throttled > this.retry.maxThrottled) throw new GraphRequestError(error);
      p.notBefore = this.transport.clock.now() + wait;
      return;
    }
    if (status >= 500 || status === 408 || status === 424) {
      this.transient(p, error);
      return;
    }
    throw new GraphRequestError(error);
  }

  private transient(p: Pending, error: GraphErrorInfo): void {
    p.transient += 1;
    if (p.transient > this.retry.maxTransientFailures) throw new GraphRequestError(error);
    p.notBefore = this.transport.clock.now() + this.transport.backoff(p.transient);
  }
}
