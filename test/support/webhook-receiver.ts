import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedNotification {
  headers: IncomingHttpHeaders;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the payload is whatever JSON was sent
  json: any;
}

/** A webhook receiver on 127.0.0.1 that records every request and answers with the next scripted status (200 after). */
export interface WebhookReceiver {
  url: string;
  received: ReceivedNotification[];
  /** Statuses to answer with, in order, before answering 200. */
  script(statuses: number[]): void;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hooks/license-shift'): Promise<WebhookReceiver> {
  const received: ReceivedNotification[] = [];
  let scripted: number[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      received.push({ headers: request.headers, body, json });
      const status = scripted.shift() ?? 200;
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    script: (statuses) => {
      scripted = [...statuses];
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
