import type { FunctionsHost } from '../../../emulators/functions';
import { EventType } from '../../../emulators/functions/history';
import { AZURE_STORAGE_HOST_JSON, DTS_HOST_JSON, PARITY_APP, isDone, startTestHost } from './helpers';

/**
 * Size and count limits.
 * - Durable Task Scheduler messages carry at most 1 MiB (Azure-Samples/Durable-Task-Scheduler
 *   samples/durable-task-sdks/dotnet/LargePayload/README.md: "the 1 MiB scheduler ceiling", 1,048,576 bytes), and
 *   JavaScript has no large-payload offloading (learn.microsoft.com/azure/durable-task/scheduler/
 *   durable-task-scheduler-large-payloads). How the real backend fails an oversized message is not documented; the
 *   failures below are this runtime's choice (README "Limits").
 * - Custom status: 16 KB of UTF-16 JSON, rounded down to whole KB, on every backend; an oversized one fails the
 *   orchestration with "Orchestrator function '<name>' failed: The UTF-16 size of the JSON-serialized payload must not
 *   exceed 16 KB. The current payload size is <n> KB." (azure-functions-durable-extension
 *   DurableOrchestrationContext.SetCustomStatus → MessagePayloadDataConverter.Serialize, caught by
 *   TaskOrchestrationShim.InvokeUserCodeAndHandleResults).
 * - MaxOrchestrationActions: 100,000 per execution by default (DurableTaskOptions.cs), counted by
 *   DurableOrchestrationContext.IncrementActionsOrThrowException.
 */
const MIB = 1_048_576;
/** A JSON string of `bytes` bytes: the characters plus two quotes. */
const stringOfBytes = (bytes: number): number => bytes - 2;

let host: FunctionsHost;
beforeAll(async () => {
  ({ host } = await startTestHost({ appEntry: PARITY_APP, hostJson: DTS_HOST_JSON }));
});
afterAll(() => host.stop());

async function run(name: string, input: unknown): Promise<{ runtimeStatus: string; output: unknown }> {
  const id = await host.startOrchestration(name, input);
  return host.waitFor(id, isDone, { timeoutMs: 20_000 });
}

describe('Durable Task Scheduler message limit (1 MiB), host.json storageProvider.type "azureManaged"', () => {
  it('defaults to the 1 MiB limit on azureManaged and to none on Azure Storage (large messages go to blobs)', async () => {
    expect(host.settings.limits).toEqual({
      maxPayloadBytes: MIB,
      maxCustomStatusKB: 16,
      maxOrchestrationActions: 100_000,
    });
    const { host: storage } = await startTestHost({ appEntry: PARITY_APP, hostJson: AZURE_STORAGE_HOST_JSON });
    try {
      expect(storage.settings.limits.maxPayloadBytes).toBe(Number.POSITIVE_INFINITY);
      const id = await storage.startOrchestration('AskForBig', stringOfBytes(MIB + 1000));
      expect(await storage.waitFor(id, isDone)).toMatchObject({ output: { length: stringOfBytes(MIB + 1000) } });
    } finally {
      await storage.stop();
    }
  });

  it('fails an activity whose output is over the limit (TaskFailed, so the orchestrator can catch or retry it)', async () => {
    expect(await run('AskForBig', stringOfBytes(MIB))).toMatchObject({
      runtimeStatus: 'Completed',
      output: { length: stringOfBytes(MIB) },
    });
    const over = await run('AskForBig', stringOfBytes(MIB + 1));
    expect(over.runtimeStatus).toBe('Completed');
    expect((over.output as { caught: string }).caught).toMatch(
      /^Activity function 'Big' failed: The output of activity 'Big' is 1,048,577 bytes of JSON, more than the 1,048,576 bytes/,
    );
  });

  it('fails the orchestration that schedules an activity input over the limit', async () => {
    const status = await run('CallWithInput', stringOfBytes(MIB + 1));
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatch(
      /^Orchestrator function 'CallWithInput' failed: The input of activity 'Echo' is 1,048,577 bytes of JSON/,
    );
    expect(await run('CallWithInput', stringOfBytes(MIB))).toMatchObject({ runtimeStatus: 'Completed' });
  });

  it('fails the orchestration whose sub-orchestration input, output or continue-as-new input is over the limit', async () => {
    expect(await run('BigChildInput', stringOfBytes(MIB + 1))).toMatchObject({
      runtimeStatus: 'Failed',
      output: expect.stringMatching(/failed: The input of sub-orchestration 'EchoChild' is 1,048,577 bytes/),
    });
    expect(await run('BigOutput', stringOfBytes(MIB + 1))).toMatchObject({
      runtimeStatus: 'Failed',
      output: expect.stringMatching(/^Orchestrator function 'BigOutput' failed: The orchestration output is 1,048,577/),
    });
    expect(await run('BigContinue', stringOfBytes(MIB + 1))).toMatchObject({
      runtimeStatus: 'Failed',
      output: expect.stringMatching(/failed: The input passed to continueAsNew is 1,048,577 bytes/),
    });
    expect(await run('BigContinue', stringOfBytes(MIB))).toMatchObject({
      runtimeStatus: 'Completed',
      output: stringOfBytes(MIB),
    });
  });

  it('refuses a start input over the limit (HTTP API 500 with the host error body; startNew rejects)', async () => {
    const big = JSON.stringify('x'.repeat(stringOfBytes(MIB + 1)));
    const response = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/Singleton/too-big`, {
      method: 'POST',
      body: big,
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({
      Message: 'Something went wrong while processing your request',
      ExceptionMessage: expect.stringMatching(/^The input of the new orchestration instance is 1,048,577 bytes/),
    });
    expect(await host.getInstance('too-big')).toBeUndefined();
    const viaClient = await fetch(`${host.baseUrl}/api/start/Singleton/too-big`, { method: 'POST', body: big });
    expect(((await viaClient.json()) as { error: string }).error).toMatch(
      /^The operation failed with an unexpected status code: 500\. Details: .*1,048,577 bytes/,
    );
  });

  it('refuses an external event payload over the limit; the waiting instance keeps waiting', async () => {
    const id = await host.startOrchestration('WaitForData');
    await host.waitFor(id, (s) => s.runtimeStatus === 'Running');
    const big = JSON.stringify('x'.repeat(stringOfBytes(MIB + 1)));
    const response = await fetch(`${host.baseUrl}/api/client/raise/${id}?name=Data`, { method: 'POST', body: big });
    expect(((await response.json()) as { error: string }).error).toMatch(
      /^The operation failed with an unexpected status code: 500\. Details: .*The payload of event 'Data' is 1,048,577 bytes/,
    );
    await host.waitForIdle();
    expect((await host.getInstance(id))?.runtimeStatus).toBe('Running');
    await host.raiseEvent(id, 'Data', 'small');
    expect(await host.waitFor(id, isDone)).toMatchObject({ runtimeStatus: 'Completed', output: 'small' });
  });

  it('takes other limits from the options (here 1,000 bytes)', async () => {
    const { host: small } = await startTestHost({
      appEntry: PARITY_APP,
      hostJson: DTS_HOST_JSON,
      limits: { maxPayloadBytes: 1000 },
    });
    try {
      const id = await small.startOrchestration('AskForBig', 999);
      expect((await small.waitFor(id, isDone)).output).toEqual({
        caught: expect.stringContaining(
          "The output of activity 'Big' is 1,001 bytes of JSON, more than the 1,000 bytes",
        ),
      });
    } finally {
      await small.stop();
    }
  });
});

describe('custom status limit (16 KB of UTF-16, any backend)', () => {
  it('accepts a status that rounds down to 16 KB and fails the orchestration at 17 KB with the extension message', async () => {
    // 8,703 JSON characters = 17,406 UTF-16 bytes = 16 KB rounded down: accepted, as the extension rounds down.
    expect(await run('StatusOfLength', 8701)).toMatchObject({ runtimeStatus: 'Completed' });
    const id = await host.startOrchestration('StatusOfLength', 8702);
    const status = await host.waitFor(id, isDone);
    expect(status).toMatchObject({
      runtimeStatus: 'Failed',
      output:
        "Orchestrator function 'StatusOfLength' failed: The UTF-16 size of the JSON-serialized payload must not exceed " +
        '16 KB. The current payload size is 17 KB.',
    });
    // The episode fails before its actions are replayed: the activity was never scheduled.
    expect((await host.getHistory(id)).some((event) => event.EventType === EventType.TaskScheduled)).toBe(false);
  });

  it('applies on Azure Storage too', async () => {
    const { host: storage } = await startTestHost({ appEntry: PARITY_APP, hostJson: AZURE_STORAGE_HOST_JSON });
    try {
      const id = await storage.startOrchestration('StatusOfLength', 20_000);
      expect(await storage.waitFor(id, isDone)).toMatchObject({
        runtimeStatus: 'Failed',
        output: expect.stringContaining('The current payload size is 39 KB.'),
      });
    } finally {
      await storage.stop();
    }
  });
});

describe('MaxOrchestrationActions (host.json extensions.durableTask.maxOrchestrationActions, default 100,000)', () => {
  let limited: FunctionsHost;
  beforeAll(async () => {
    ({ host: limited } = await startTestHost({
      appEntry: PARITY_APP,
      hostJson: {
        extensions: { durableTask: { storageProvider: { type: 'azureManaged' }, maxOrchestrationActions: 5 } },
      },
    }));
  });
  afterAll(() => limited.stop());

  it('runs an execution with exactly the limit and fails the next action with the extension message', async () => {
    const ok = await limited.startOrchestration('ManyActions', 5);
    expect(await limited.waitFor(ok, isDone)).toMatchObject({ runtimeStatus: 'Completed', output: 5 });
    const over = await limited.startOrchestration('ManyActions', 6);
    expect(await limited.waitFor(over, isDone)).toMatchObject({
      runtimeStatus: 'Failed',
      output:
        "Orchestrator function 'ManyActions' failed: Maximum amount of orchestration actions (5) has been reached. " +
        'This value can be configured in host.json file as MaxOrchestrationActions.',
    });
  });

  it('counts a call with retries as one action however many attempts it makes', async () => {
    const { host: one } = await startTestHost({
      appEntry: PARITY_APP,
      hostJson: { extensions: { durableTask: { maxOrchestrationActions: 1 } } },
    });
    try {
      const id = await one.startOrchestration('RetryFlaky', { key: 'one-action', failures: 3 });
      expect(await one.waitFor(id, isDone)).toMatchObject({ runtimeStatus: 'Completed', output: 'ok after 4' });
    } finally {
      await one.stop();
    }
  });
});
