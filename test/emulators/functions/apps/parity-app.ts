/**
 * Test-only function app for the runtime-parity tests (issue #11): payload sizes, custom status, action counts,
 * duplicate starts, purge refusals, function timeouts and concurrency caps. Public @azure/functions / durable-functions
 * APIs only.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

// ---- activities ----
df.app.activity('Echo', { handler: (value: unknown) => value });
/** Returns a string of `length` characters (its JSON is two bytes longer: the quotes). */
df.app.activity('Big', { handler: (length: number) => 'x'.repeat(length) });

/** The first call for a key outlasts functionTimeout; later calls answer at once. */
const slowCalls = new Map<string, number>();
df.app.activity('SlowOnce', {
  handler: async (input: { key: string; slowMs: number }) => {
    const calls = (slowCalls.get(input.key) ?? 0) + 1;
    slowCalls.set(input.key, calls);
    if (calls === 1) {
      await sleep(input.slowMs);
      return `slow result of call ${calls}`;
    }
    return `fast result of call ${calls}`;
  },
});

/** Fails until it has been called `failures` times for a key. */
const flakyCalls = new Map<string, number>();
df.app.activity('FlakyEcho', {
  handler: (input: { key: string; failures: number }) => {
    const calls = (flakyCalls.get(input.key) ?? 0) + 1;
    flakyCalls.set(input.key, calls);
    if (calls <= input.failures) throw new Error(`failure ${calls}`);
    return `ok after ${calls}`;
  },
});

/** How many times each instance's Counted activity ran (a duplicate run would show as 2). */
const runsByInstance = new Map<string, number>();
df.app.activity('CountRun', {
  handler: (instanceId: string) => {
    runsByInstance.set(instanceId, (runsByInstance.get(instanceId) ?? 0) + 1);
    return runsByInstance.get(instanceId);
  },
});

// ---- orchestrations ----
/** Records one run, then waits for "Go" so it stays Running. */
df.app.orchestration('Singleton', function* (context) {
  const run: number = yield context.df.callActivity('CountRun', context.df.instanceId);
  const go: unknown = yield context.df.waitForExternalEvent('Go');
  return { run, go };
});

/** Sends an activity input of `length` characters. */
df.app.orchestration('CallWithInput', function* (context) {
  const length = context.df.getInput<number>();
  const echoed: string = yield context.df.callActivity('Echo', 'x'.repeat(length));
  return echoed.length;
});

/** Asks an activity for an output of `length` characters; reports a failure instead of failing. */
df.app.orchestration('AskForBig', function* (context) {
  try {
    const result: string = yield context.df.callActivity('Big', context.df.getInput<number>());
    return { length: result.length };
  } catch (error) {
    return { caught: messageOf(error) };
  }
});

df.app.orchestration('BigOutput', function* (context) {
  yield context.df.callActivity('Echo', 'before output');
  return 'x'.repeat(context.df.getInput<number>());
});

df.app.orchestration('EchoChild', function* (context) {
  yield context.df.callActivity('Echo', 'child');
  return (context.df.getInput<string>() ?? '').length;
});

df.app.orchestration('BigChildInput', function* (context) {
  return (yield context.df.callSubOrchestrator('EchoChild', 'x'.repeat(context.df.getInput<number>()))) as number;
});

df.app.orchestration('BigContinue', function* (context) {
  const input = context.df.getInput<number | string>();
  if (typeof input === 'number') {
    yield context.df.callActivity('Echo', 'first generation');
    context.df.continueAsNew('x'.repeat(input));
    return undefined;
  }
  return input.length;
});

/** Sets a custom status of `length` characters, then finishes after one activity. */
df.app.orchestration('StatusOfLength', function* (context) {
  context.df.setCustomStatus('x'.repeat(context.df.getInput<number>()));
  yield context.df.callActivity('Echo', 'after status');
  return 'done';
});

/** Schedules `count` activities at once. */
df.app.orchestration('ManyActions', function* (context) {
  const count = context.df.getInput<number>();
  const results: unknown[] = yield context.df.Task.all(
    Array.from({ length: count }, (_, index) => context.df.callActivity('Echo', index)),
  );
  return results.length;
});

/** One activity call with retries: one action, however many attempts. */
df.app.orchestration('RetryFlaky', function* (context) {
  const input = context.df.getInput<{ key: string; failures: number }>();
  return (yield context.df.callActivityWithRetry('FlakyEcho', new df.RetryOptions(1000, 5), input)) as string;
});

/** Retries an activity that times out on its first call (RetryOptions: 1 s, 2 attempts). */
df.app.orchestration('RetrySlow', function* (context) {
  const input = context.df.getInput<{ key: string; slowMs: number }>();
  return (yield context.df.callActivityWithRetry('SlowOnce', new df.RetryOptions(1000, 2), input)) as string;
});

df.app.orchestration('WaitForData', function* (context) {
  return (yield context.df.waitForExternalEvent('Data')) as unknown;
});

/** Orchestrator invocations in flight, counted by the hooks below. */
let countedRunning = 0;
let countedPeak = 0;
df.app.orchestration('Counted', function* (context) {
  yield context.df.callActivity('Echo', 'counted');
  return 'counted';
});
app.hook.preInvocation(async (context) => {
  if (context.invocationContext.functionName !== 'Counted') return;
  countedRunning++;
  countedPeak = Math.max(countedPeak, countedRunning);
  // Hold the invocation open so other episodes can start meanwhile, if the host allows it.
  await sleep(30);
});
app.hook.postInvocation((context) => {
  if (context.invocationContext.functionName === 'Counted') countedRunning--;
});

// ---- client functions: what product code sees from df.getClient ----
/**
 * Starts an orchestration with a fixed id and reports a refusal as 409, like the "singleton" sample in the Durable
 * Functions docs does in its own code (the host itself does not answer 409).
 */
df.app.client.http('StartSingleton', {
  route: 'start/{name}/{id}',
  methods: ['POST'],
  handler: async (request: HttpRequest, client): Promise<HttpResponseInit> => {
    const body = await request.text();
    try {
      const id = await client.startNew(request.params.name ?? '', {
        instanceId: request.params.id ?? '',
        ...(body ? { input: JSON.parse(body) as unknown } : {}),
      });
      return { status: 202, jsonBody: { id } };
    } catch (error) {
      return { status: 409, jsonBody: { error: messageOf(error) } };
    }
  },
});

app.http('ClientCalls', {
  route: 'client/{operation}/{id}',
  methods: ['POST', 'DELETE', 'GET'],
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const client = df.getClient(context);
    const id = request.params.id ?? '';
    try {
      switch (request.params.operation) {
        case 'purge':
          return { jsonBody: { result: await client.purgeInstanceHistory(id) } };
        case 'raise':
          await client.raiseEvent(id, request.query.get('name') ?? '', await request.json());
          return { jsonBody: { result: 'raised' } };
        case 'counted-peak':
          return { jsonBody: { result: countedPeak } };
        case 'runs':
          return { jsonBody: { result: runsByInstance.get(id) ?? 0 } };
        default:
          return { status: 400 };
      }
    } catch (error) {
      return { jsonBody: { error: messageOf(error) } };
    }
  },
});

/** An HTTP function that outlasts functionTimeout. */
app.http('SlowHttp', {
  route: 'slow/{ms}',
  methods: ['GET'],
  handler: async (request: HttpRequest): Promise<HttpResponseInit> => {
    await sleep(Number(request.params.ms));
    return { body: 'finished' };
  },
});
