/**
 * A tiny loopback stand-in for Graph used by the layer's unit tests: each request (and each item of a `$batch`) is
 * answered by the test's handler, and every request is recorded.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path after the version, e.g. `/users/abc/assignLicense`. */
  path: string;
  /** Raw (still percent-encoded) query string without `?`. */
  rawQuery: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders | Record<string, string>;
  body: unknown;
  /** Set for items of a `$batch`. */
  batchItemId?: string;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Destroy the socket instead of answering (top-level requests only). */
  drop?: boolean;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeGraph {
  baseUrl: string;
  origin: string;
  requests: FakeRequest[];
  /** Top-level HTTP requests (a `$batch` counts once). */
  httpRequests: FakeRequest[];
  close(): Promise<void>;
}

export interface FakeGraphOptions {
  /** Reverse `$batch` responses (Graph does not keep order); default true. */
  shuffleBatch?: boolean;
  /**
   * Called for the n-th `$batch` (1-based) after its items were handled: `drop` destroys the connection,
   * `hang` never answers, so the client sees a reset or a timeout although the writes happened.
   */
  batchFate?: (n: number) => 'drop' | 'hang' | undefined;
}

export async function startFakeGraph(handler: FakeHandler, options: FakeGraphOptions = {}): Promise<FakeGraph> {
  let batchCount = 0;
  const requests: FakeRequest[] = [];
  const httpRequests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const [pathPart, rawQuery = ''] = (req.url ?? '').split(/\?(.*)/s, 2) as [string, string?];
        const request: FakeRequest = {
          method: req.method ?? 'GET',
          path: pathPart.replace(/^\/v1\.0/, ''),
          rawQuery,
          query: new URLSearchParams(rawQuery),
          headers: req.headers,
          body: text === '' ? undefined : (JSON.parse(text) as unknown),
        };
        httpRequests.push(request);
        let response: FakeResponse;
        if (request.path === '/$batch' && request.method === 'POST') {
          const items = (
            request.body as {
              requests: { id: string; method: string; url: string; body?: unknown; headers?: Record<string, string> }[];
            }
          ).requests;
          const answers = await Promise.all(
            items.map(async (item) => {
              const [p, q = ''] = item.url.split(/\?(.*)/s, 2) as [string, string?];
              const inner: FakeRequest = {
                method: item.method,
                path: p,
                rawQuery: q,
                query: new URLSearchParams(q),
                headers: item.headers ?? {},
                body: item.body,
                batchItemId: item.id,
              };
              requests.push(inner);
              const answer = await handler(inner);
              return { id: item.id, status: answer.status, headers: answer.headers ?? {}, body: answer.body };
            }),
          );
          if (options.shuffleBatch !== false) answers.reverse();
          batchCount += 1;
          const fate = options.batchFate?.(batchCount);
          if (fate === 'hang') return;
          response = { status: 200, body: { responses: answers }, drop: fate === 'drop' };
        } else {
          requests.push(request);
          response = await handler(request);
        }
        if (response.drop) {
          req.socket.destroy();
          return;
        }
        const body = response.body === undefined ? '' : JSON.stringify(response.body);
        res.writeHead(response.status, {
          'content-type': 'application/json',
          'request-id': `req-${httpRequests.length}`,
          ...response.headers,
        });
        res.end(body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    baseUrl: `${origin}/v1.0`,
    origin,
    requests,
    httpRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const graphError = (
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): FakeResponse => ({
  status,
  headers,
  body: {
    error: { code, message, innerError: { date: '2026-11-26T05:00:00', 'request-id': `inner-${code}-${status}` } },
  },
});
