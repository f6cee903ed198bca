import type { FunctionsHost } from '../../../emulators/functions';
import { AZURE_STORAGE_HOST_JSON, DTS_HOST_JSON, PARITY_APP, isDone, startTestHost } from './helpers';

/**
 * Duplicate starts and purges, as the Durable Functions extension handles them.
 * - overridableExistingInstanceStates defaults to NonRunningStates since Durable Functions 2.0
 *   (azure-functions-durable-extension src/WebJobs.Extensions.DurableTask/Options/DurableTaskOptions.cs), so
 *   DurableClient.StartNewAsync passes Running/Pending/Suspended/ContinuedAsNew as dedupe statuses
 *   (OverridableStates.cs) and the backend throws OrchestrationAlreadyExistsException.
 * - HttpApiHandler.HandleStartOrchestratorRequestAsync catches only JSON errors, so HandleRequestAsync answers that
 *   exception with 500 and { Message, ExceptionMessage, ExceptionType, StackTrace } (not 409: a 409 appears only in the
 *   docs' "singletons" sample, written by the app itself). The message is the Durable Task Scheduler's
 *   (Azure/Durable-Task-Scheduler issue #40) or Azure Storage's (durabletask AzureStorageOrchestrationService.cs).
 * - durable-functions 3.5.0 DurableClient.startNew rejects anything but <= 202 with createGenericError:
 *   "The operation failed with an unexpected status code: 500. Details: <body JSON>".
 */
let host: FunctionsHost;

beforeAll(async () => {
  ({ host } = await startTestHost({ appEntry: PARITY_APP, hostJson: DTS_HOST_JSON }));
});
afterAll(() => host.stop());

const webhook = (path: string): string => `${host.baseUrl}/runtime/webhooks/durabletask/${path}`;
const api = (path: string): string => `${host.baseUrl}/api/${path}`;
const running = (s: { runtimeStatus: string }): boolean => s.runtimeStatus === 'Running';

async function runsOf(id: string): Promise<number> {
  await host.waitForIdle();
  const response = await fetch(api(`client/runs/${id}`));
  return ((await response.json()) as { result: number }).result;
}

describe('starting an instance id that is already in use (overridableExistingInstanceStates: NonRunningStates)', () => {
  it('the HTTP API answers 500 with the host error body naming the running status (HttpApiHandler.HandleRequestAsync)', async () => {
    const first = await fetch(webhook('orchestrators/Singleton/dup-http'), { method: 'POST' });
    expect(first.status).toBe(202);
    await host.waitFor('dup-http', running);
    const second = await fetch(webhook('orchestrators/Singleton/dup-http'), { method: 'POST', body: '"again"' });
    expect(second.status).toBe(500);
    expect(await second.json()).toEqual({
      Message: 'Something went wrong while processing your request',
      ExceptionMessage: "An Orchestration instance with the status 'Running' already exists.",
      ExceptionType: 'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException',
      StackTrace: expect.any(String),
    });
    // Nothing changed: still the first run, with its input.
    expect(await host.getInstance('dup-http')).toMatchObject({ runtimeStatus: 'Running', input: null });
    expect(await runsOf('dup-http')).toBe(1);
  });

  it('client.startNew in an HTTP trigger rejects with "unexpected status code: 500" and the body (DurableClient.js createGenericError)', async () => {
    const first = await fetch(api('start/Singleton/dup-client'), { method: 'POST' });
    expect(first.status).toBe(202);
    await host.waitFor('dup-client', running);
    const second = await fetch(api('start/Singleton/dup-client'), { method: 'POST' });
    const { error } = (await second.json()) as { error: string };
    const prefix = 'The operation failed with an unexpected status code: 500. Details: ';
    expect(error.startsWith(prefix)).toBe(true);
    expect(JSON.parse(error.slice(prefix.length))).toMatchObject({
      Message: 'Something went wrong while processing your request',
      ExceptionMessage: "An Orchestration instance with the status 'Running' already exists.",
      ExceptionType: 'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException',
    });
  });

  it('refuses a Pending or Suspended instance too (OverridableStates.NonRunning = Running, ContinuedAsNew, Pending, Suspended)', async () => {
    await host.startOrchestration('Singleton', undefined, 'dup-pending');
    // Still Pending: its first episode has not run yet.
    await expect(host.startOrchestration('Singleton', undefined, 'dup-pending')).rejects.toThrow(
      "An Orchestration instance with the status 'Pending' already exists.",
    );
    await host.waitFor('dup-pending', running);
    expect((await fetch(webhook('instances/dup-pending/suspend'), { method: 'POST' })).status).toBe(202);
    const refused = await fetch(webhook('orchestrators/Singleton/dup-pending'), { method: 'POST' });
    expect(((await refused.json()) as { ExceptionMessage: string }).ExceptionMessage).toBe(
      "An Orchestration instance with the status 'Suspended' already exists.",
    );
  });

  it('lets exactly one of many racing starts with one id win, through the HTTP API and the durable client', async () => {
    const viaApi = await Promise.all(
      Array.from({ length: 8 }, () => fetch(webhook('orchestrators/Singleton/race-api'), { method: 'POST' })),
    );
    expect(viaApi.map((response) => response.status).sort()).toEqual([202, 500, 500, 500, 500, 500, 500, 500]);
    const viaClient = await Promise.all(
      Array.from({ length: 8 }, () => fetch(api('start/Singleton/race-client'), { method: 'POST' })),
    );
    expect(viaClient.map((response) => response.status).sort()).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
    expect(await runsOf('race-api')).toBe(1);
    expect(await runsOf('race-client')).toBe(1);
  });

  it('starts a fresh run once the instance has finished (terminal statuses are overridable)', async () => {
    await host.startOrchestration('Singleton', undefined, 'dup-finished');
    await host.waitFor('dup-finished', running);
    await host.raiseEvent('dup-finished', 'Go', 'first');
    await host.waitFor('dup-finished', isDone);
    const again = await fetch(api('start/Singleton/dup-finished'), { method: 'POST', body: '"second"' });
    expect(again.status).toBe(202);
    await host.waitFor('dup-finished', running);
    expect(await host.getInstance('dup-finished')).toMatchObject({ runtimeStatus: 'Running', input: 'second' });
    expect(await runsOf('dup-finished')).toBe(2);
  });
});

describe('starting an id in use with other settings', () => {
  it("uses Azure Storage's wording on that backend (AzureStorageOrchestrationService.CreateTaskOrchestrationAsync)", async () => {
    const { host: other } = await startTestHost({ appEntry: PARITY_APP, hostJson: AZURE_STORAGE_HOST_JSON });
    try {
      await other.startOrchestration('Singleton', undefined, 'dup-storage');
      await other.waitFor('dup-storage', running);
      await expect(other.startOrchestration('Singleton', undefined, 'dup-storage')).rejects.toThrow(
        'An Orchestration instance with the status Running already exists.',
      );
    } finally {
      await other.stop();
    }
  });

  it('accepts the start and keeps the one run with overridableExistingInstanceStates: AnyState (host.json)', async () => {
    const { host: other } = await startTestHost({
      appEntry: PARITY_APP,
      hostJson: { extensions: { durableTask: { overridableExistingInstanceStates: 'AnyState' } } },
    });
    try {
      await other.startOrchestration('Singleton', undefined, 'any-state');
      await other.waitFor('any-state', running);
      const again = await fetch(`${other.baseUrl}/api/start/Singleton/any-state`, { method: 'POST' });
      expect(again.status).toBe(202);
      await other.waitForIdle();
      const runs = await fetch(`${other.baseUrl}/api/client/runs/any-state`);
      expect(((await runs.json()) as { result: number }).result).toBe(1);
    } finally {
      await other.stop();
    }
  });
});

describe('purging instance history', () => {
  it('refuses to purge an instance that is still running (extension PR #3311: terminal statuses only)', async () => {
    await host.startOrchestration('Singleton', undefined, 'purge-running');
    await host.waitFor('purge-running', running);
    const refused = await fetch(webhook('instances/purge-running'), { method: 'DELETE' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ Message: expect.stringContaining("'purge-running' is Running") });
    expect((await host.getInstance('purge-running'))?.runtimeStatus).toBe('Running');

    // What product code sees from client.purgeInstanceHistory (DurableClient.js: only 200 and 404 are handled).
    const viaClient = await fetch(api('client/purge/purge-running'), { method: 'DELETE' });
    expect(((await viaClient.json()) as { error: string }).error).toMatch(
      /^The operation failed with an unexpected status code: 400\. Details: \{"Message":"The orchestration instance 'purge-running' is Running/,
    );
  });

  it('purges it once it has ended, and purge-by-filter leaves running instances alone', async () => {
    expect((await fetch(webhook('instances/purge-running/terminate'), { method: 'POST' })).status).toBe(202);
    const purged = await fetch(api('client/purge/purge-running'), { method: 'DELETE' });
    expect(await purged.json()).toEqual({ result: { instancesDeleted: 1 } });
    expect(await host.getInstance('purge-running')).toBeUndefined();

    await host.startOrchestration('Singleton', undefined, 'purge-filter-running');
    await host.waitFor('purge-filter-running', running);
    const from = encodeURIComponent(new Date(host.clock.now() - 3600_000).toISOString());
    await fetch(webhook(`instances?createdTimeFrom=${from}`), { method: 'DELETE' });
    expect((await host.getInstance('purge-filter-running'))?.runtimeStatus).toBe('Running');
  });
});
