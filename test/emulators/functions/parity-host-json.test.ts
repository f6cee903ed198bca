import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FunctionsHost } from '../../../emulators/functions';
import { EventType } from '../../../emulators/functions/history';
import { DTS_HOST_JSON, DURABLE_APP, PARITY_APP, isDone, startTestHost } from './helpers';

/**
 * host.json settings the runtime reads (README "host.json").
 * - functionTimeout: azure-functions-host ScriptJobHostOptionsSetup.cs (1 s minimum, "-1" = none, 30 min default
 *   outside Consumption); on expiry the WebJobs SDK logs "Timeout value of <t> exceeded by function '<f>' (Id: '<id>').
 *   Initiating cancellation." and fails the invocation with "Timeout value of <t> was exceeded by function: <f>"
 *   (azure-webjobs-sdk src/Microsoft.Azure.WebJobs.Host/Executors/FunctionExecutor.cs). The durable extension turns an
 *   activity's FunctionTimeoutError into TaskFailed "Activity function '<name>' failed: <message>"
 *   (Listener/TaskActivityShim.cs), which the orchestrator's retry policy retries like any failure.
 * - extensions.durableTask.maxConcurrentActivityFunctions / maxConcurrentOrchestratorFunctions: per-instance caps,
 *   positive integers (Options/DurableTaskOptions.cs), default 10 × processors (AzureStorageDurabilityProviderFactory.cs).
 */
const REPO_ROOT = path.resolve(__dirname, '../../..');

describe("the app's own host.json", () => {
  it('is found next to the package.json that owns the app (the function app root) and read', async () => {
    const { host } = await startTestHost({ appEntry: PARITY_APP });
    try {
      const product = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'host.json'), 'utf8')) as {
        extensions: {
          durableTask: { maxConcurrentActivityFunctions: number; maxConcurrentOrchestratorFunctions: number };
        };
      };
      expect(host.settings).toMatchObject({
        hostConfig: {
          source: path.join(REPO_ROOT, 'host.json'),
          storageBackend: 'azureManaged',
          functionTimeoutText: '00:10:00',
          overridableExistingInstanceStates: 'NonRunningStates',
        },
        maxConcurrentActivities: product.extensions.durableTask.maxConcurrentActivityFunctions,
        maxConcurrentOrchestrations: product.extensions.durableTask.maxConcurrentOrchestratorFunctions,
      });
    } finally {
      await host.stop();
    }
  });

  it('can be another file, given by path', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'host-json-'));
    const file = path.join(directory, 'host.json');
    fs.writeFileSync(file, JSON.stringify({ version: '2.0', functionTimeout: '00:02:30' }));
    try {
      const { host } = await startTestHost({ appEntry: PARITY_APP, hostJson: file });
      try {
        expect(host.settings.hostConfig).toMatchObject({
          source: file,
          functionTimeoutMs: 150_000,
          // No storageProvider: the extension's default provider, Azure Storage.
          storageBackend: 'AzureStorage',
          maxConcurrentActivityFunctions: 10 * os.availableParallelism(),
        });
      } finally {
        await host.stop();
      }
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  it("stops the host from starting when a value is invalid, with the host's message", async () => {
    await expect(startTestHost({ appEntry: PARITY_APP, hostJson: { functionTimeout: '00:00:00.5' } })).rejects.toThrow(
      'FunctionTimeout must be greater than 00:00:01',
    );
    await expect(
      startTestHost({
        appEntry: PARITY_APP,
        hostJson: { extensions: { durableTask: { maxConcurrentOrchestratorFunctions: 0 } } },
      }),
    ).rejects.toThrow('MaxConcurrentOrchestratorFunctions must be a positive integer value.');
  });
});

describe('functionTimeout', () => {
  let host: FunctionsHost;
  let logs: string[];
  beforeAll(async () => {
    ({ host, logs } = await startTestHost({
      appEntry: PARITY_APP,
      hostJson: { ...DTS_HOST_JSON, functionTimeout: '00:00:01' },
    }));
  });
  afterAll(() => host.stop());

  it('fails an activity that runs too long with the host timeout message; the retry policy retries it; its late result is dropped', async () => {
    const id = await host.startOrchestration('RetrySlow', { key: 'timeout', slowMs: 1600 });
    const status = await host.waitFor(id, isDone, { timeoutMs: 20_000 });
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 'fast result of call 2' });
    const failed = (await host.getHistory(id)).filter((event) => event.EventType === EventType.TaskFailed);
    expect(failed.map((event) => event.Reason)).toEqual([
      "Activity function 'SlowOnce' failed: Timeout value of 00:00:01 was exceeded by function: Functions.SlowOnce",
    ]);
    expect(logs).toContainEqual(
      expect.stringMatching(
        /^Timeout value of 00:00:01 exceeded by function 'Functions\.SlowOnce' \(Id: '[\w-]+'\)\. Initiating cancellation\.$/,
      ),
    );
    // The first call still returns after 1.6 s (Node can't be interrupted); nothing of it reaches the instance.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const completed = (await host.getHistory(id)).filter((event) => event.EventType === EventType.TaskCompleted);
    expect(completed.map((event) => event.Result)).toEqual([JSON.stringify('fast result of call 2')]);
  });

  it('fails an HTTP function that runs too long (500)', async () => {
    const response = await fetch(`${host.baseUrl}/api/slow/1500`);
    expect(response.status).toBe(500);
    expect(logs).toContainEqual(
      expect.stringMatching(
        /^Executed 'Functions\.SlowHttp' \(Failed: Timeout value of 00:00:01 was exceeded by function: Functions\.SlowHttp/,
      ),
    );
  });
});

describe('durableTask concurrency caps', () => {
  it('runs at most maxConcurrentActivityFunctions activities at once; the maxConcurrentActivities option wins over it', async () => {
    const hostJson = { extensions: { durableTask: { maxConcurrentActivityFunctions: 2 } } };
    const { host } = await startTestHost({ appEntry: DURABLE_APP, hostJson });
    try {
      const id = await host.startOrchestration('TrackFanOut', 12);
      expect(await host.waitFor(id, isDone)).toMatchObject({ runtimeStatus: 'Completed', output: 2 });
    } finally {
      await host.stop();
    }
    const { host: explicit } = await startTestHost({ appEntry: DURABLE_APP, hostJson, maxConcurrentActivities: 3 });
    try {
      const id = await explicit.startOrchestration('TrackFanOut', 12);
      expect(await explicit.waitFor(id, isDone)).toMatchObject({ output: 3 });
    } finally {
      await explicit.stop();
    }
  });

  it('runs at most maxConcurrentOrchestratorFunctions orchestrator episodes at once (one per instance)', async () => {
    const { host } = await startTestHost({
      appEntry: PARITY_APP,
      hostJson: { extensions: { durableTask: { maxConcurrentOrchestratorFunctions: 2 } } },
    });
    try {
      const ids: string[] = [];
      for (let index = 0; index < 6; index++) ids.push(await host.startOrchestration('Counted'));
      for (const id of ids) await host.waitFor(id, isDone);
      const peak = await fetch(`${host.baseUrl}/api/client/counted-peak/x`);
      // More than one at a time (a cap, not a queue of one), never more than the cap.
      expect(await peak.json()).toEqual({ result: 2 });
    } finally {
      await host.stop();
    }
  });
});
