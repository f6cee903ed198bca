/** A function file that unit tests may import directly, without any host loading it. */
import { app, type HttpResponseInit } from '@azure/functions';

export function ping(): HttpResponseInit {
  return { status: 200, body: 'pong' };
}

app.http('ping', { methods: ['GET'], handler: ping });
