/**
 * Test-only function app for the local runtime: small orchestrations covering each durable behaviour.
 * Registered only through the public @azure/functions / durable-functions APIs.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

// ---- activities ----
df.app.activity('Hello', { handler: (name: string) => `Hello, ${name}!` });
df.app.activity('Shout', { handler: (text: string) => text.toUpperCase() });
df.app.activity('Double', { handler: (value: number) => value * 2 });
df.app.activity('AlwaysFails', {
  handler: (what: string) => {
    throw new Error(`boom: ${what}`);
  },
});
/** Fails the first `failures` calls for a given key, then succeeds; counts live in the loaded app. */
const flakyCalls = new Map<string, number>();
df.app.activity('Flaky', {
  handler: (input: { key: string; failures: number }) => {
    const calls = (flakyCalls.get(input.key) ?? 0) + 1;
    flakyCalls.set(input.key, calls);
    if (calls <= input.failures) throw new Error(`transient failure ${calls} for ${input.key}`);
    return `${input.key} ok after ${calls}`;
  },
});
/** Never finishes while FUNCTIONS_TEST_HOLD_GATE=1, so a test can kill the host with activities in flight. */
df.app.activity('Gate', {
  handler: async (value: number, context: InvocationContext) => {
    if (process.env.FUNCTIONS_TEST_HOLD_GATE === '1') await new Promise<never>(() => {});
    context.log(`gate passed for ${value}`);
    return value;
  },
});

/** Reports the highest number of Track activities seen running at once. */
let tracked = 0;
let trackedPeak = 0;
df.app.activity('Track', {
  handler: async () => {
    tracked++;
    trackedPeak = Math.max(trackedPeak, tracked);
    // Yield to the event loop so other started activities overlap with this one.
    await new Promise((resolve) => setImmediate(resolve));
    tracked--;
    return trackedPeak;
  },
});

// ---- orchestrations ----
const helloSequence: OrchestrationHandler = function* (context: OrchestrationContext) {
  const name = context.df.getInput<string>();
  const greeting: string = yield context.df.callActivity('Hello', name);
  const shouted: string = yield context.df.callActivity('Shout', greeting);
  return { greeting, shouted };
};
df.app.orchestration('HelloSequence', helloSequence);

df.app.orchestration('FanOut', function* (context) {
  const count = context.df.getInput<number>();
  const tasks = Array.from({ length: count }, (_, index) => context.df.callActivity('Double', index));
  const results: number[] = yield context.df.Task.all(tasks);
  return { count: results.length, sum: results.reduce((total, value) => total + value, 0) };
});

df.app.orchestration('RetryFlaky', function* (context) {
  const input = context.df.getInput<{ key: string; failures: number; attempts: number; catch?: boolean }>();
  const retry = new df.RetryOptions(1000, input.attempts);
  retry.backoffCoefficient = 2;
  if (!input.catch) return (yield context.df.callActivityWithRetry('Flaky', retry, input)) as string;
  try {
    return (yield context.df.callActivityWithRetry('Flaky', retry, input)) as string;
  } catch (error) {
    return { caught: (error as Error).message };
  }
});

df.app.orchestration('Approval', function* (context) {
  const { cancelTimer } = context.df.getInput<{ cancelTimer: boolean }>();
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + 3600_000);
  const timer = context.df.createTimer(deadline);
  const approval = context.df.waitForExternalEvent('Approval');
  const winner: unknown = yield context.df.Task.any([approval, timer]);
  if (winner === approval) {
    if (cancelTimer) timer.cancel();
    return { approved: approval.result, decidedAt: context.df.currentUtcDateTime.toISOString() };
  }
  return { approved: false, reason: 'timeout', decidedAt: context.df.currentUtcDateTime.toISOString() };
});

df.app.orchestration('LongTimer', function* (context) {
  const start = context.df.currentUtcDateTime;
  yield context.df.createTimer(new Date(start.getTime() + 8 * 24 * 3600_000));
  return { start: start.toISOString(), end: context.df.currentUtcDateTime.toISOString() };
});

df.app.orchestration('Counter', function* (context) {
  const generation = context.df.getInput<number>();
  const doubled: number = yield context.df.callActivity('Double', generation);
  if (generation < 2) {
    context.df.continueAsNew(generation + 1);
    return undefined;
  }
  return { generation, doubled };
});

/** Each generation consumes one Tick event, then continues as new with generation + 1. */
df.app.orchestration('TickCounter', function* (context) {
  const generation = context.df.getInput<number>();
  context.df.setCustomStatus({ generation });
  yield context.df.waitForExternalEvent('Tick');
  context.df.continueAsNew(generation + 1);
  return undefined;
});

/** Java-style "catch Task.all failure, then continue": the host delays the follow-up until every sibling settles. */
df.app.orchestration('CatchAllThenContinue', function* (context) {
  const slowSibling = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 30_000));
  try {
    yield context.df.Task.all([context.df.callActivity('AlwaysFails', 'fast'), slowSibling]);
  } catch {
    // fall through to the follow-up
  }
  const followUp: string = yield context.df.callActivity('Hello', 'after-failure');
  return followUp;
});

/** A child that fails until Flaky has been called `failures` times. */
df.app.orchestration('FlakyChild', function* (context) {
  const input = context.df.getInput<{ key: string; failures: number }>();
  return (yield context.df.callActivity('Flaky', input)) as string;
});

df.app.orchestration('ParentWithChildRetry', function* (context) {
  const input = context.df.getInput<{ key: string; failures: number; childId?: string }>();
  const retry = new df.RetryOptions(5000, 3);
  return (yield context.df.callSubOrchestratorWithRetry('FlakyChild', retry, input, input.childId)) as string;
});

df.app.orchestration('TrackFanOut', function* (context) {
  const peaks: number[] = yield context.df.Task.all(
    Array.from({ length: context.df.getInput<number>() }, () => context.df.callActivity('Track')),
  );
  return Math.max(...peaks);
});

df.app.orchestration('ShortTimer', function* (context) {
  const start = context.df.currentUtcDateTime.getTime();
  yield context.df.createTimer(new Date(start + context.df.getInput<number>()));
  return context.df.currentUtcDateTime.getTime() - start;
});

df.app.orchestration('Crashes', function* (context) {
  yield context.df.callActivity('Hello', 'before crash');
  throw new Error('orchestrator broke on purpose');
});

df.app.orchestration('UncaughtActivityFailure', function* (context) {
  yield context.df.callActivity('AlwaysFails', 'uncaught');
});

df.app.orchestration('Typo', function* (context) {
  yield context.df.callActivity('Helo', 'typo');
});

df.app.orchestration('Parent', function* (context) {
  const input = context.df.getInput<{ childId?: string; name: string }>();
  const child: unknown = yield context.df.callSubOrchestrator('HelloSequence', input.name, input.childId);
  let failed = '';
  try {
    yield context.df.callSubOrchestrator('Crashes');
  } catch (error) {
    failed = (error as Error).message;
  }
  return { child, failed };
});

df.app.orchestration('WaitAfterTimer', function* (context) {
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
  const data: unknown = yield context.df.waitForExternalEvent('Go');
  return { data };
});

df.app.orchestration('WaitForever', function* (context) {
  context.df.setCustomStatus({ stage: 'waiting' });
  yield context.df.waitForExternalEvent('NeverComes');
  return 'unreachable';
});

df.app.orchestration('GatedFanOut', function* (context) {
  const count = context.df.getInput<number>();
  const first: number = yield context.df.callActivity('Double', 21);
  const gated: number[] = yield context.df.Task.all(
    Array.from({ length: count }, (_, index) => context.df.callActivity('Gate', index)),
  );
  return { first, gated: gated.length };
});

/** Replays differently from how it first ran: module state leaks into the decision. */
let nonDeterministicRuns = 0;
df.app.orchestration('NonDeterministic', function* (context) {
  nonDeterministicRuns++;
  const activity = nonDeterministicRuns === 1 ? 'Hello' : 'Shout';
  yield context.df.callActivity(activity, 'x');
  yield context.df.callActivity('Hello', 'y');
  return 'finished';
});

df.app.orchestration('Echo', function* (context) {
  yield context.df.callActivity('Hello', 'echo');
  return context.df.getInput<unknown>();
});

// ---- client functions ----
df.app.client.http('StartOrchestration', {
  route: 'orchestrators/{name}/{id?}',
  methods: ['POST'],
  handler: async (request: HttpRequest, client, _context) => {
    const body = await request.text();
    const options: df.StartNewOptions = body ? { input: JSON.parse(body) as unknown } : {};
    if (request.params.id) options.instanceId = request.params.id;
    const instanceId = await client.startNew(request.params.name ?? '', options);
    return client.createCheckStatusResponse(request, instanceId);
  },
});

app.http('ManageInstance', {
  route: 'manage/{id}/{operation}',
  methods: ['GET', 'POST', 'DELETE'],
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const client = df.getClient(context);
    const id = request.params.id ?? '';
    switch (request.params.operation) {
      case 'status': {
        const status = await client.getStatus(id, { showHistory: true, showHistoryOutput: true });
        return { jsonBody: status };
      }
      case 'event':
        await client.raiseEvent(id, request.query.get('name') ?? '', await request.json());
        return { status: 202 };
      case 'terminate':
        await client.terminate(id, 'stopped by test');
        return { status: 202 };
      case 'suspend':
        await client.suspend(id, 'paused by test');
        return { status: 202 };
      case 'resume':
        await client.resume(id, 'resumed by test');
        return { status: 202 };
      case 'purge':
        return { jsonBody: await client.purgeInstanceHistory(id) };
      case 'list': {
        const statuses = request.query.get('status');
        const list = await client.getStatusBy({
          runtimeStatus: statuses ? (statuses.split(',') as df.OrchestrationRuntimeStatus[]) : [],
        });
        return { jsonBody: list.map((item) => ({ instanceId: item.instanceId, runtimeStatus: item.runtimeStatus })) };
      }
      case 'payload':
        return { jsonBody: client.createHttpManagementPayload(id) };
      default:
        return { status: 400, body: 'unknown operation' };
    }
  },
});
