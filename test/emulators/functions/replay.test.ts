import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkReplay, type HistoryEvent } from '../../../emulators/functions';
import { DURABLE_APP, startTestHost } from './helpers';

/** A history recorded by this host (RetryFlaky: one failure, a retry timer, then success) and committed as a fixture. */
const RECORDED = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'retry-flaky.history.json'), 'utf8'),
) as HistoryEvent[];

describe('offline replay of recorded histories (determinism check)', () => {
  it('accepts the code that produced the fixture', async () => {
    expect(await checkReplay({ appEntry: DURABLE_APP, history: RECORDED })).toEqual({
      deterministic: true,
      newDecisions: 0,
    });
  });

  it('rejects code that no longer makes the recorded decisions', async () => {
    const result = await checkReplay({ appEntry: DURABLE_APP, history: RECORDED, orchestrator: 'Echo' });
    expect(result.deterministic).toBe(false);
    expect(result.problem).toMatch(/^Non-Deterministic workflow detected: .*named 'Flaky' with sequence ID 0/);
  });

  it('accepts a running instance and counts the decisions still to be recorded', async () => {
    const { host } = await startTestHost();
    try {
      host.clock.setAutoAdvance(false);
      const id = await host.startOrchestration('WaitAfterTimer');
      await host.waitForIdle();
      const history = await host.getHistory(id);
      expect(await checkReplay({ appEntry: DURABLE_APP, history })).toEqual({ deterministic: true, newDecisions: 0 });
      // Dropping the recorded TimerCreated makes the replay's timer a new decision.
      const withoutTimer = history.filter((event) => event.EventType !== 10);
      expect(await checkReplay({ appEntry: DURABLE_APP, history: withoutTimer })).toEqual({
        deterministic: true,
        newDecisions: 1,
      });
    } finally {
      await host.stop();
    }
  });
});
