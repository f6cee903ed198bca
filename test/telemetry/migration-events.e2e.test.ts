import { generateScenario } from '../../emulators/graph';
import { TelemetryEvents, TelemetryMetrics } from '../../src/telemetry';
import { isFinished } from '../../src/domain/status';
import { startStack as startAppStack, type Stack as AppStack } from '../support/e2e';
import { inMemoryTelemetry, type InMemoryTelemetry } from './in-memory-telemetry';

/**
 * The events a real migration sends, through the app on the local runtime (virtual clock): each once per real
 * occurrence, although the orchestrator replays its history after every activity and timer.
 */
describe('telemetry of real migrations', () => {
  let stack: AppStack;
  let memory: InMemoryTelemetry;

  beforeAll(async () => {
    memory = inMemoryTelemetry();
    stack = await startAppStack({
      clock: 'virtual',
      telemetry: memory.telemetry,
      simulator: {
        scenario: generateScenario({
          users: 60,
          seed: 5,
          mix: { skus: { O365_BUSINESS_PREMIUM: 0.8, ENTERPRISEPACK: 0.2 }, disabledAccounts: 0, groupLicensed: 0 },
        }),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await memory?.shutdown();
  });

  const waitForEnd = async (id: string) => {
    for (let i = 0; i < 600; i++) {
      const view = await stack.api('GET', `/api/migrations/${id}`);
      if (isFinished(String(view.json?.status))) {
        await stack.host.waitForIdle();
        return view.json as { status: string; message?: string; counts: { moved: number; total: number } };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`migration ${id} did not end`);
  };
  const of = (id: string, name: string) => memory.events(name).filter((e) => e.properties.migrationId === id);

  it('sends started, stage, batch and finished events once each, with counts matching the run', async () => {
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      batchSize: 5,
    });
    const id = start.json.id as string;
    const done = await waitForEnd(id);
    expect(done.status).toBe('completed');

    expect(of(id, TelemetryEvents.MigrationStarted)).toEqual([
      {
        name: 'Migration.Started',
        properties: expect.objectContaining({ migrationId: id, origin: 'http', dryRun: false, moves: 1 }),
      },
    ]);
    const batches = of(id, TelemetryEvents.BatchCompleted);
    const batchKeys = batches.map((b) => `${String(b.properties.wave)}/${String(b.properties.batch)}`);
    expect(new Set(batchKeys).size).toBe(batchKeys.length);
    expect(batches.reduce((sum, b) => sum + Number(b.properties.moved), 0)).toBe(done.counts.moved);
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(done.counts.moved / 5));

    const stages = of(id, TelemetryEvents.StageChanged).map(
      (e) => `${String(e.properties.stage)}:${String(e.properties.status)}`,
    );
    expect(new Set(stages).size).toBe(stages.length);
    expect(of(id, TelemetryEvents.MigrationFinished)).toEqual([
      {
        name: 'Migration.Finished',
        properties: expect.objectContaining({ migrationId: id, outcome: 'completed', moved: done.counts.moved }),
      },
    ]);
    const moved = await memory.metrics(TelemetryMetrics.UsersMoved);
    expect(moved.filter((m) => m.attributes.migrationId === id).reduce((sum, m) => sum + m.sum, 0)).toBe(
      done.counts.moved,
    );
  });

  it('reports a wait once for its reason, however often it re-checks, and the outcome once', async () => {
    stack.sim.setSkuSeats('SPB', 0);
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'ENTERPRISEPACK', to: 'SPB', users: { all: true } }],
      acknowledgeDataLoss: true,
      waitForLicenses: { timeout: 'PT6H', pollInterval: 'PT1M' },
    });
    const id = start.json.id as string;
    const done = await waitForEnd(id);
    expect(done.status).toBe('needsAttention');
    expect(of(id, TelemetryEvents.WaitingForLicenses)).toEqual([
      {
        name: 'Migration.WaitingForLicenses',
        properties: expect.objectContaining({ migrationId: id, reason: expect.stringMatching(/buy \d+ more/) }),
      },
    ]);
    expect(of(id, TelemetryEvents.MigrationFinished)).toHaveLength(1);
  });
});
