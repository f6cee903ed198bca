import { EventType } from '../../../emulators/functions/history';
import type { FunctionsHost } from '../../../emulators/functions';
import { startTestHost } from './helpers';

let host: FunctionsHost;
let logs: string[];

beforeAll(async () => {
  ({ host, logs } = await startTestHost());
});
afterAll(() => host.stop());

const completed = { timeoutMs: 10_000 };
const isDone = (s: { runtimeStatus: string }): boolean =>
  !['Pending', 'Running', 'Suspended'].includes(s.runtimeStatus);

describe('activity sequence', () => {
  it('runs activities in order and records the host-shaped history', async () => {
    const id = await host.startOrchestration('HelloSequence', 'Tokyo');
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ greeting: 'Hello, Tokyo!', shouted: 'HELLO, TOKYO!' });
    const history = await host.getHistory(id);
    const summary = history.map((e) => [e.EventType, e.EventId, e.Name ?? e.TaskScheduledId ?? null]);
    expect(summary).toEqual([
      [EventType.OrchestratorStarted, -1, null],
      [EventType.ExecutionStarted, -1, 'HelloSequence'],
      [EventType.TaskScheduled, 0, 'Hello'],
      [EventType.OrchestratorCompleted, -1, null],
      [EventType.OrchestratorStarted, -1, null],
      [EventType.TaskCompleted, -1, 0],
      [EventType.TaskScheduled, 1, 'Shout'],
      [EventType.OrchestratorCompleted, -1, null],
      [EventType.OrchestratorStarted, -1, null],
      [EventType.TaskCompleted, -1, 1],
      [EventType.ExecutionCompleted, 2, null],
      [EventType.OrchestratorCompleted, -1, null],
    ]);
    expect(logs.some((line) => /Executed 'Functions.Hello' \(Succeeded, Id=[\w-]+, Duration=\d+ms\)/.test(line))).toBe(
      true,
    );
  });
});

describe('fan-out / fan-in', () => {
  it('completes 1,000 parallel activities with batched episodes', async () => {
    const id = await host.startOrchestration('FanOut', 1000);
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ count: 1000, sum: 999 * 1000 });
    const history = await host.getHistory(id);
    const scheduled = history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => e.EventId);
    expect(scheduled).toEqual(Array.from({ length: 1000 }, (_, index) => index));
    const episodes = history.filter((e) => e.EventType === EventType.OrchestratorStarted).length;
    // Completions are batched (at most 32 per episode), so far fewer episodes than activities.
    expect(episodes).toBeGreaterThanOrEqual(1 + Math.ceil(1000 / 32));
    expect(episodes).toBeLessThan(1000);
  });
});

describe('retries', () => {
  it('retries a failing activity with backoff timers and succeeds', async () => {
    const start = host.clock.now();
    const id = await host.startOrchestration('RetryFlaky', { key: 'succeeds', failures: 2, attempts: 3 });
    const status = await host.waitFor(id, isDone, completed);
    expect(status.output).toBe('succeeds ok after 3');
    const history = await host.getHistory(id);
    const timers = history.filter((e) => e.EventType === EventType.TimerCreated);
    // First interval 1 s, backoff 2: the retries wait 1 s and then 2 s (ids interleave with the attempts).
    expect(timers.map((t) => [t.EventId, Date.parse(t.FireAt!) - Date.parse(t.Timestamp)])).toEqual([
      [1, 1000],
      [3, 2000],
    ]);
    expect(history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => e.EventId)).toEqual([0, 2, 4]);
    expect(host.clock.now() - start).toBeGreaterThanOrEqual(3000);
  });

  it('surfaces the last error once attempts are exhausted, after a zero-delay timer', async () => {
    const id = await host.startOrchestration('RetryFlaky', {
      key: 'exhausted',
      failures: 10,
      attempts: 2,
      catch: true,
    });
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({
      caught: expect.stringContaining("Activity function 'Flaky' failed: transient failure 2 for exhausted \n {"),
    });
    // JS appends the host's Details (the serialized exception) after the reason.
    expect((status.output as { caught: string }).caught).toContain('"Message":"transient failure 2 for exhausted"');
    const history = await host.getHistory(id);
    const lastTimer = history.filter((e) => e.EventType === EventType.TimerCreated).at(-1)!;
    expect(lastTimer.EventId).toBe(3);
    expect(lastTimer.FireAt).toBe(lastTimer.Timestamp);
  });

  it('fails the instance when the exhausted retry is not caught', async () => {
    const id = await host.startOrchestration('RetryFlaky', { key: 'uncaught', failures: 10, attempts: 2 });
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain('transient failure 2 for uncaught');
  });
});

describe('failures', () => {
  it('fails with the orchestrator error message', async () => {
    const id = await host.startOrchestration('Crashes');
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toBe("Orchestrator function 'Crashes' failed: orchestrator broke on purpose");
    expect(status.failureDetails?.errorMessage).toContain('orchestrator broke on purpose');
  });

  it('fails when an activity error is not caught', async () => {
    const id = await host.startOrchestration('UncaughtActivityFailure');
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain("Activity function 'AlwaysFails' failed: boom: uncaught");
  });

  it('fails when the orchestrator calls an activity that is not registered', async () => {
    const id = await host.startOrchestration('Typo');
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain("The function 'Helo' doesn't exist");
    expect((await host.getHistory(id)).some((e) => e.EventType === EventType.TaskScheduled)).toBe(false);
  });

  it('refuses to start an orchestrator that is not registered', async () => {
    await expect(host.startOrchestration('NoSuchOrchestrator')).rejects.toThrow(
      "The function 'NoSuchOrchestrator' doesn't exist",
    );
    const response = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/NoSuchOrchestrator`, {
      method: 'POST',
    });
    expect(response.status).toBe(400);
  });

  it('catches a non-deterministic replay and fails with a clear message', async () => {
    const id = await host.startOrchestration('NonDeterministic');
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatch(/^Non-Deterministic workflow detected/);
    expect(status.output).toContain("named 'Hello' with sequence ID 0");
    expect(status.output).toContain("named 'Shout'");
    expect(status.failureDetails?.errorType).toBe('NonDeterministicOrchestrationException');
  });
});

describe('sub-orchestrations', () => {
  it('runs a child with an explicit id and reports a failing child to the parent', async () => {
    const id = await host.startOrchestration('Parent', { name: 'Kid', childId: 'explicit-child' });
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({
      child: { greeting: 'Hello, Kid!', shouted: 'HELLO, KID!' },
      failed: expect.stringContaining("Orchestrator function 'Crashes' failed: orchestrator broke on purpose"),
    });
    const child = await host.getInstance('explicit-child');
    expect(child).toMatchObject({ name: 'HelloSequence', runtimeStatus: 'Completed', input: 'Kid' });
    const history = await host.getHistory(id);
    const created = history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCreated);
    expect(created.map((e) => [e.EventId, e.Name])).toEqual([
      [0, 'HelloSequence'],
      [1, 'Crashes'],
    ]);
    // A child without an explicit id gets "<parent execution id>:<sequence number>".
    expect(created[1]!.InstanceId).toMatch(/^[0-9a-f]{32}:1$/);
  });
});

describe('host-side WhenAll semantics', () => {
  it('schedules work after a caught Task.all failure only once every sibling has settled', async () => {
    const startedAt = host.clock.now();
    const id = await host.startOrchestration('CatchAllThenContinue');
    const status = await host.waitFor(id, isDone, completed);
    expect(status.output).toBe('Hello, after-failure!');
    const history = await host.getHistory(id);
    const followUp = history.find((e) => e.EventType === EventType.TaskScheduled && e.Name === 'Hello')!;
    expect(followUp.EventId).toBe(2);
    expect(Date.parse(followUp.Timestamp) - startedAt).toBe(30_000);
  });
});

describe('sub-orchestrations with retry', () => {
  it('retries a failing child with new generated instance ids and returns the successful attempt', async () => {
    const id = await host.startOrchestration('ParentWithChildRetry', { key: 'child-generated', failures: 2 });
    const status = await host.waitFor(id, isDone, completed);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 'child-generated ok after 3' });
    const created = (await host.getHistory(id)).filter(
      (e) => e.EventType === EventType.SubOrchestrationInstanceCreated,
    );
    expect(created.map((e) => e.EventId)).toEqual([0, 2, 4]);
    expect(new Set(created.map((e) => e.InstanceId)).size).toBe(3);
  });

  it('reuses an explicit child instance id for each attempt', async () => {
    const id = await host.startOrchestration('ParentWithChildRetry', {
      key: 'child-explicit',
      failures: 1,
      childId: 'the-child',
    });
    expect(await host.waitFor(id, isDone, completed)).toMatchObject({ output: 'child-explicit ok after 2' });
    expect(await host.getInstance('the-child')).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'child-explicit ok after 2',
    });
  });
});

describe('durable timers on the virtual clock', () => {
  it('waits 8 days in 3-day slices without real waiting', async () => {
    const id = await host.startOrchestration('LongTimer');
    const status = await host.waitFor(id, isDone, completed);
    const output = status.output as { start: string; end: string };
    expect(Date.parse(output.end) - Date.parse(output.start)).toBe(8 * 24 * 3600_000);
    const timers = (await host.getHistory(id)).filter((e) => e.EventType === EventType.TimerCreated);
    const day = 24 * 3600_000;
    expect(timers.map((t) => [t.EventId, (Date.parse(t.FireAt!) - Date.parse(output.start)) / day])).toEqual([
      [0, 3],
      [1, 6],
      [2, 8],
    ]);
  });
});

describe('continue-as-new', () => {
  it('runs three generations and keeps only the last history', async () => {
    const id = await host.startOrchestration('Counter', 0);
    const status = await host.waitFor(id, isDone, completed);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', input: 2, output: { generation: 2, doubled: 4 } });
    const history = await host.getHistory(id);
    expect(history.find((e) => e.EventType === EventType.ExecutionStarted)?.Input).toBe('2');
    expect(history.filter((e) => e.EventType === EventType.TaskScheduled)).toHaveLength(1);
  });

  it('carries events that were not yet delivered over to the next generation; delivered but unused ones are dropped', async () => {
    const id = await host.startOrchestration('TickCounter', 0);
    await host.waitFor(id, (s) => s.runtimeStatus === 'Running', completed);
    // 40 events at once: the first episode takes 32 (one is used, 31 dropped by continue-as-new, as without
    // preserveUnprocessedEvents); the 8 still queued move to generation 1, which uses one and drops the rest.
    await Promise.all(Array.from({ length: 40 }, (_, tick) => host.raiseEvent(id, 'Tick', tick)));
    await host.waitForIdle();
    const status = await host.getInstance(id);
    expect(status).toMatchObject({ runtimeStatus: 'Running', input: 2, customStatus: { generation: 2 } });
  });
});

describe('external events (approval pattern)', () => {
  afterEach(() => host.clock.setAutoAdvance(true));

  it('takes the approval and completes at once when the timer is cancelled', async () => {
    host.clock.setAutoAdvance(false);
    const startedAt = host.clock.now();
    const id = await host.startOrchestration('Approval', { cancelTimer: true });
    await host.waitForIdle();
    await host.raiseEvent(id, 'Approval', { by: 'alice' });
    const status = await host.waitFor(id, isDone, completed);
    expect(status.output).toEqual({ approved: { by: 'alice' }, decidedAt: new Date(startedAt).toISOString() });
  });

  it('stays Running until the un-cancelled timer fires, even though the orchestrator returned', async () => {
    host.clock.setAutoAdvance(false);
    const id = await host.startOrchestration('Approval', { cancelTimer: false });
    await host.waitForIdle();
    await host.raiseEvent(id, 'Approval', { by: 'bob' });
    await host.waitForIdle();
    expect((await host.getInstance(id))?.runtimeStatus).toBe('Running');
    await host.clock.advanceBy(3600_000);
    const status = await host.waitFor(id, isDone, completed);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: { approved: { by: 'bob' } } });
  });

  it('times out when nobody answers (the virtual clock jumps to the deadline)', async () => {
    const startedAt = host.clock.now();
    const id = await host.startOrchestration('Approval', { cancelTimer: true });
    const status = await host.waitFor(id, isDone, completed);
    expect(status.output).toEqual({
      approved: false,
      reason: 'timeout',
      decidedAt: new Date(startedAt + 3600_000).toISOString(),
    });
  });

  it('loses an event whose name differs only in case, as the host does (C# matches it, JS does not)', async () => {
    host.clock.setAutoAdvance(false);
    const id = await host.startOrchestration('Approval', { cancelTimer: true });
    await host.waitForIdle();
    await host.raiseEvent(id, 'approval', { by: 'carol' });
    await host.waitForIdle();
    expect((await host.getInstance(id))?.runtimeStatus).toBe('Running');
    await host.clock.advanceBy(3600_000);
    expect(await host.waitFor(id, isDone, completed)).toMatchObject({ output: { approved: false, reason: 'timeout' } });
  });

  it('keeps an event raised before the orchestration waits for it', async () => {
    host.clock.setAutoAdvance(false);
    const id = await host.startOrchestration('WaitAfterTimer');
    await host.waitForIdle();
    await host.raiseEvent(id, 'Go', 42);
    await host.waitForIdle();
    expect((await host.getInstance(id))?.runtimeStatus).toBe('Running');
    await host.clock.advanceBy(60_000);
    const status = await host.waitFor(id, isDone, completed);
    expect(status.output).toEqual({ data: 42 });
  });
});

describe('management', () => {
  const api = (path: string): string => `${host.baseUrl}/runtime/webhooks/durabletask/${path}`;

  it('terminates a waiting instance; later events are refused with 410', async () => {
    const id = await host.startOrchestration('WaitForever');
    await host.waitFor(id, (s) => s.runtimeStatus === 'Running', completed);
    const response = await fetch(api(`instances/${id}/terminate?reason=operator%20said%20stop`), { method: 'POST' });
    expect(response.status).toBe(202);
    const status = await host.getInstance(id);
    expect(status).toMatchObject({
      runtimeStatus: 'Terminated',
      output: 'operator said stop',
      customStatus: { stage: 'waiting' },
    });
    const late = await fetch(api(`instances/${id}/raiseEvent/NeverComes`), { method: 'POST', body: '1' });
    expect(late.status).toBe(410);
    await expect(host.raiseEvent(id, 'NeverComes', 1)).rejects.toThrow('no longer running');
  });

  it('purges an instance and its history', async () => {
    const id = await host.startOrchestration('HelloSequence', 'purge me');
    await host.waitFor(id, isDone, completed);
    const first = await fetch(api(`instances/${id}`), { method: 'DELETE' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ instancesDeleted: 1 });
    expect(await host.getInstance(id)).toBeUndefined();
    expect(await host.getHistory(id)).toEqual([]);
    expect((await fetch(api(`instances/${id}`), { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses to start an id that is already running (overridableExistingInstanceStates: NonRunningStates)', async () => {
    const id = await host.startOrchestration('WaitForever', undefined, 'singleton');
    await host.waitFor(id, (s) => s.runtimeStatus === 'Running', completed);
    const createdTime = (await host.getInstance(id))!.createdTime;
    // The product's host.json uses the Durable Task Scheduler, hence its wording (parity-instances.test.ts has more).
    await expect(host.startOrchestration('WaitForever', 'second', 'singleton')).rejects.toThrow(
      "An Orchestration instance with the status 'Running' already exists.",
    );
    expect(await host.getInstance(id)).toMatchObject({ createdTime, input: null, runtimeStatus: 'Running' });
    await fetch(api(`instances/${id}/terminate`), { method: 'POST' });
    // Once it is no longer running, the same id starts a fresh run.
    await host.startOrchestration('HelloSequence', 'again', 'singleton');
    expect(await host.waitFor(id, isDone, completed)).toMatchObject({
      name: 'HelloSequence',
      runtimeStatus: 'Completed',
    });
  });

  it('suspends and resumes: events wait while suspended', async () => {
    const id = await host.startOrchestration('WaitForever');
    await host.waitFor(id, (s) => s.runtimeStatus === 'Running', completed);
    expect((await fetch(api(`instances/${id}/suspend?reason=hold`), { method: 'POST' })).status).toBe(202);
    await host.raiseEvent(id, 'NeverComes', 'x');
    await host.waitForIdle();
    expect((await host.getInstance(id))?.runtimeStatus).toBe('Suspended');
    expect((await fetch(api(`instances/${id}/resume`), { method: 'POST' })).status).toBe(202);
    expect(await host.waitFor(id, isDone, completed)).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'unreachable',
    });
  });
});
