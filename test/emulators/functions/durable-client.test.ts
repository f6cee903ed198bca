import type { FunctionsHost } from '../../../emulators/functions';
import { startTestHost } from './helpers';

/** The durable client of the real durable-functions library, talking to the host's management API. */
let host: FunctionsHost;
const KEY = 'client-key';

beforeAll(async () => {
  ({ host } = await startTestHost({ clock: 'real', functionKey: KEY, env: { TASKHUB_NAME: 'clienthub' } }));
});
afterAll(() => host.stop());

const api = (path: string): string => `${host.baseUrl}/api/${path}`;
const isDone = (s: { runtimeStatus: string }): boolean =>
  !['Pending', 'Running', 'Suspended'].includes(s.runtimeStatus);

async function pollUntilDone(statusUrl: string): Promise<{ status: number; body: Record<string, unknown> }> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await fetch(statusUrl);
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status !== 202) return { status: response.status, body };
    await host.waitForIdle();
  }
  throw new Error('instance never finished');
}

describe('durable client through the HTTP API', () => {
  it('HTTP start returns 202 with status URLs that poll to Completed', async () => {
    const response = await fetch(api('orchestrators/HelloSequence/http-start-1'), { method: 'POST', body: '"World"' });
    expect(response.status).toBe(202);
    const payload = (await response.json()) as Record<string, string>;
    expect(payload.id).toBe('http-start-1');
    expect(response.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect(payload.statusQueryGetUri).toBe(
      `${host.baseUrl}/runtime/webhooks/durabletask/instances/http-start-1?taskHub=clienthub&connection=Storage&code=${KEY}`,
    );
    expect(payload.sendEventPostUri).toContain('/instances/http-start-1/raiseEvent/{eventName}');
    const done = await pollUntilDone(payload.statusQueryGetUri!);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      name: 'HelloSequence',
      instanceId: 'http-start-1',
      runtimeStatus: 'Completed',
      input: 'World',
      output: { greeting: 'Hello, World!', shouted: 'HELLO, WORLD!' },
    });
    expect(done.body.createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('fires durable timers on the real clock', async () => {
    const id = await host.startOrchestration('ShortTimer', 150);
    const status = await host.waitFor(id, isDone);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBeGreaterThanOrEqual(150);
  });

  it('getStatus with history through df.getClient in a plain app.http function', async () => {
    await fetch(api('orchestrators/HelloSequence/with-history'), { method: 'POST', body: '"H"' });
    await host.waitFor('with-history', isDone);
    const status = (await (await fetch(api('manage/with-history/status'))).json()) as Record<string, unknown>;
    expect(status.runtimeStatus).toBe('Completed');
    const history = status.history as { EventType: string; FunctionName?: string; Result?: unknown }[];
    expect(history.map((event) => event.EventType)).toContain('TaskCompleted');
    expect(history.find((event) => event.EventType === 'TaskScheduled')?.FunctionName).toBe('Hello');
    expect(history.find((event) => event.EventType === 'TaskCompleted')?.Result).toBe('Hello, H!');
  });

  it('the same instance id started twice while running gives one run: the second startNew rejects', async () => {
    const first = await fetch(api('orchestrators/WaitForever/only-once'), { method: 'POST' });
    const second = await fetch(api('orchestrators/WaitForever/only-once'), { method: 'POST' });
    // client.startNew rejects (the host answers 500), and this app's HTTP function doesn't catch it.
    expect([first.status, second.status]).toEqual([202, 500]);
    const list = (await (await fetch(api('manage/x/list?status=Running'))).json()) as { instanceId: string }[];
    expect(list.filter((item) => item.instanceId === 'only-once')).toHaveLength(1);
  });

  it('raises events, suspends, resumes and terminates through the client', async () => {
    await fetch(api('orchestrators/WaitForever/evented'), { method: 'POST' });
    expect((await fetch(api('manage/evented/suspend'), { method: 'POST' })).status).toBe(202);
    expect((await host.getInstance('evented'))?.runtimeStatus).toBe('Suspended');
    expect((await fetch(api('manage/evented/resume'), { method: 'POST' })).status).toBe(202);
    const raised = await fetch(api('manage/evented/event?name=NeverComes'), { method: 'POST', body: '{"n":1}' });
    expect(raised.status).toBe(202);
    expect(await host.waitFor('evented', isDone)).toMatchObject({ runtimeStatus: 'Completed', output: 'unreachable' });

    await fetch(api('orchestrators/WaitForever/doomed'), { method: 'POST' });
    await host.waitFor('doomed', (s) => s.runtimeStatus === 'Running');
    expect((await fetch(api('manage/doomed/terminate'), { method: 'POST' })).status).toBe(202);
    expect(await host.getInstance('doomed')).toMatchObject({ runtimeStatus: 'Terminated', output: 'stopped by test' });
  });

  it('lists with status filters across continuation pages', async () => {
    const ids = Array.from({ length: 120 }, (_, index) => `page-${index}`);
    for (const id of ids) await host.startOrchestration('WaitForever', undefined, id);
    await host.waitForIdle();
    const running = (await (await fetch(api('manage/x/list?status=Running'))).json()) as { instanceId: string }[];
    const runningIds = new Set(running.map((item) => item.instanceId));
    expect(ids.every((id) => runningIds.has(id))).toBe(true);
    expect(running.length).toBeGreaterThan(100);
    const completed = (await (await fetch(api('manage/x/list?status=Completed'))).json()) as {
      runtimeStatus: string;
    }[];
    expect(completed.length).toBeGreaterThan(0);
    expect(completed.every((item) => item.runtimeStatus === 'Completed')).toBe(true);
    const future = encodeURIComponent(new Date(host.clock.now() + 3600_000).toISOString());
    const none = await fetch(
      `${host.baseUrl}/runtime/webhooks/durabletask/instances?createdTimeFrom=${future}&code=${KEY}`,
    );
    expect(await none.json()).toEqual([]);
  });

  it('purges through the client, after which getStatus reports the instance missing', async () => {
    await fetch(api('orchestrators/HelloSequence/purged'), { method: 'POST', body: '"P"' });
    await host.waitFor('purged', isDone);
    expect(await (await fetch(api('manage/purged/purge'), { method: 'DELETE' })).json()).toEqual({
      instancesDeleted: 1,
    });
    expect((await fetch(api('manage/purged/status'))).status).toBe(500);
    expect(await host.getInstance('purged')).toBeUndefined();
  });

  it('createHttpManagementPayload points at this host, not localhost:7071', async () => {
    const payload = (await (await fetch(api('manage/abc/payload'))).json()) as Record<string, string>;
    expect(payload.id).toBe('abc');
    expect(
      payload.terminatePostUri!.startsWith(`${host.baseUrl}/runtime/webhooks/durabletask/instances/abc/terminate`),
    ).toBe(true);
  });
});
