import type { FunctionsHost } from '../../../emulators/functions';
import { HTTP_APP, startTestHost } from './helpers';

let host: FunctionsHost;
let logs: string[];
const KEY = 'local-test-key';

beforeAll(async () => {
  ({ host, logs } = await startTestHost({
    appEntry: HTTP_APP,
    clock: 'real',
    functionKey: KEY,
    maxRequestBodyBytes: 1024 * 1024,
  }));
});
afterAll(() => host.stop());

const url = (path: string): string => `${host.baseUrl}/api/${path}`;

describe('HTTP triggers', () => {
  it('passes method, optional route parameter, repeated query values, headers and a JSON body', async () => {
    const response = await fetch(url('echo/42?mode=full&tag=a&tag=b'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'hi' },
      body: JSON.stringify({ users: ['a@contoso.com'] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({
      method: 'POST',
      id: '42',
      query: { mode: 'full', tag: 'b' },
      tags: ['a', 'b'],
      contentType: 'application/json',
      body: { users: ['a@contoso.com'] },
      custom: 'hi',
    });
  });

  it('accepts a text body and a missing optional parameter', async () => {
    const response = await fetch(url('echo'), {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'plain words',
    });
    expect(await response.json()).toMatchObject({ method: 'PUT', id: null, body: 'plain words' });
  });

  it('answers 404 for unknown routes and 405 for a method the route does not allow', async () => {
    expect((await fetch(url('nope'))).status).toBe(404);
    expect((await fetch(url('echo/1'), { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${host.baseUrl}/elsewhere`)).status).toBe(404);
  });

  it('applies route constraints and prefers literal segments', async () => {
    expect(await (await fetch(url('items/7'))).json()).toEqual({ itemId: 7 });
    expect(await (await fetch(url('items/search'))).text()).toBe('literal route wins');
    expect((await fetch(url('items/seven'))).status).toBe(404);
  });

  it('requires the function key for authLevel function, by header or ?code=', async () => {
    expect((await fetch(url('secure'))).status).toBe(401);
    expect((await fetch(url('secure'), { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
    expect(await (await fetch(url('secure'), { headers: { 'x-functions-key': KEY } })).text()).toBe('secret');
    expect(await (await fetch(url(`secure?code=${KEY}`))).text()).toBe('secret');
    // Anonymous routes stay open when a key is configured.
    expect((await fetch(url('echo'))).status).toBe(200);
  });

  it('honours status, headers, jsonBody and binary bodies of responses', async () => {
    const created = await fetch(url('created'), { method: 'POST' });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-custom')).toBe('yes');
    expect(await created.json()).toEqual({ ok: true });
    const binary = await fetch(url('binary'));
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await binary.arrayBuffer())]).toEqual([0, 1, 2, 255]);
  });

  it('rejects bodies over the configured limit (here 1 MiB) with 413', async () => {
    const response = await fetch(url('echo'), { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    const atLimit = await fetch(url('echo'), { method: 'POST', body: 'x'.repeat(1024 * 1024) });
    expect(atLimit.status).toBe(200);
  });

  it('turns a handler error into 500 and logs the failed invocation', async () => {
    expect((await fetch(url('explodes'))).status).toBe(500);
    expect(
      logs.some((line) =>
        /Executed 'Functions.explodes' \(Failed: handler exploded, Id=.+, Duration=\d+ms\)/.test(line),
      ),
    ).toBe(true);
  });

  it('prefixes context.log / warn / error lines with the function name', async () => {
    expect((await fetch(url('chatty'))).status).toBe(204);
    expect(logs).toEqual(
      expect.arrayContaining(['[chatty] hello from log', '[chatty] WARNING: careful', '[chatty] ERROR: bad thing']),
    );
  });

  it('runs preInvocation / postInvocation hooks around the handler', async () => {
    const response = await fetch(url('hooked'));
    expect(await response.json()).toEqual({ result: { body: 'FROM HANDLER' }, note: 'set by preInvocation' });
  });
});
