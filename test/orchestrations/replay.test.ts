import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkReplay, type HistoryEvent } from '../../emulators/functions';
import type { AppOptions } from '../../src/app';
import { APP_MODULE } from '../support/app';

/**
 * Histories recorded from a real migration (approval, a wait for licenses with a timer and a recheck, overlap
 * reassign, verify and cleanup) and committed. Runs in flight when a new version deploys replay their history
 * through the new code: a change that makes different decisions breaks them, so it must fail here first.
 */
const fixture = (name: string): HistoryEvent[] =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as HistoryEvent[];

/** Replaying runs no activity, so the dependencies only need to be constructible. */
const replayApp = {
  exportName: 'createApp',
  argument: {
    env: {
      GRAPH_BASE_URL: 'http://127.0.0.1:9/v1.0',
      GRAPH_AUTH: 'none',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    },
  } satisfies AppOptions,
};

describe('recorded histories replay through the current orchestrators', () => {
  it('the migration orchestrator makes every recorded decision and returns the recorded output', async () => {
    const result = await checkReplay({
      appEntry: APP_MODULE,
      compose: replayApp,
      history: fixture('migration.history.json'),
    });
    expect(result).toEqual({ deterministic: true, newDecisions: 0 });
  });

  it('the wave orchestrator does too', async () => {
    const result = await checkReplay({
      appEntry: APP_MODULE,
      compose: replayApp,
      history: fixture('wave.history.json'),
    });
    expect(result).toEqual({ deterministic: true, newDecisions: 0 });
  });

  it('a run with wave groups, and one of its groups, do too', async () => {
    // Recorded from the orchestrators on the local runtime with scripted activities: a run of 12 waves a phase (groups
    // 0-9 and 10-11), and its verify group 0-9.
    for (const name of ['grouped-migration.history.json', 'wave-group.history.json']) {
      const result = await checkReplay({ appEntry: APP_MODULE, compose: replayApp, history: fixture(name) });
      expect({ name, ...result }).toEqual({ name, deterministic: true, newDecisions: 0 });
    }
  });

  it('a reordered activity call breaks the replay (what this test guards against)', async () => {
    const history = fixture('migration.history.json');
    // Swap the first two scheduled activities (recordStage, planMigration) as a code change reordering them would.
    const scheduled = history.filter((event) => event.EventType === 4);
    const [first, second] = scheduled;
    if (!first || !second) throw new Error('fixture has fewer than two activities');
    const firstName = first.Name;
    first.Name = second.Name;
    second.Name = firstName;
    const result = await checkReplay({ appEntry: APP_MODULE, compose: replayApp, history });
    expect(result.deterministic).toBe(false);
    expect(result.problem).toMatch(/Non-Deterministic workflow detected/);
  });
});
