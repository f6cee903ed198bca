import type { FunctionsHost } from '../../../emulators/functions';
import { DURABLE_APP, TIMER_APP, startTestHost } from './helpers';

let host: FunctionsHost;

beforeEach(async () => {
  ({ host } = await startTestHost({ appEntry: TIMER_APP }));
  host.clock.setAutoAdvance(false);
});
afterEach(() => host.stop());

interface RecordedInstance {
  instanceId: string;
  name: string;
  input: { isPastDue: boolean; next: string; last: string };
  runtimeStatus: string;
}

/** ScheduledStart (schedule "0 0 0 * * *") starts one Recorded orchestration per firing, with its timer object. */
async function recordedInstances(): Promise<RecordedInstance[]> {
  const response = await fetch(
    `${host.baseUrl}/runtime/webhooks/durabletask/instances?runtimeStatus=Completed,Running,Pending`,
  );
  const all = (await response.json()) as RecordedInstance[];
  return all.filter((instance) => instance.name === 'Recorded');
}

const DAY = 24 * 3600_000;

describe('timer triggers', () => {
  it('fire on their NCRONTAB schedule as the virtual clock passes each occurrence', async () => {
    const start = host.clock.now();
    const firstMidnight = Math.ceil((start + 1) / DAY) * DAY;
    await host.clock.advanceTo(firstMidnight - 1000);
    expect(await recordedInstances()).toHaveLength(0);
    await host.clock.advanceBy(1000 + 2 * DAY);
    const fired = (await recordedInstances()).sort((a, b) => a.input.next.localeCompare(b.input.next));
    expect(fired).toHaveLength(3);
    // The status handed over is the one recorded before the run (TimerListener.InvokeJobFunction passes
    // ScheduleStatus, then records the new one), so `next` is the occurrence being run and `last` the one before.
    expect(fired.map((instance) => instance.input)).toEqual([
      { isPastDue: false, last: '0001-01-01T00:00:00.000Z', next: new Date(firstMidnight).toISOString() },
      {
        isPastDue: false,
        last: new Date(firstMidnight).toISOString(),
        next: new Date(firstMidnight + DAY).toISOString(),
      },
      {
        isPastDue: false,
        last: new Date(firstMidnight + DAY).toISOString(),
        next: new Date(firstMidnight + 2 * DAY).toISOString(),
      },
    ]);
  });

  it('fire on demand through POST /admin/functions/<name> and fireTimer', async () => {
    const response = await fetch(`${host.baseUrl}/admin/functions/ScheduledStart`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input": null}',
    });
    expect(response.status).toBe(202);
    await host.fireTimer('ScheduledStart');
    await host.waitForIdle();
    expect(await recordedInstances()).toHaveLength(2);
    expect((await fetch(`${host.baseUrl}/admin/functions/NoSuchFunction`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${host.baseUrl}/admin/functions/Recorded`, { method: 'POST' })).status).toBe(400);
  });

  it('pull an idle host forward on the virtual clock when auto-advance is on', async () => {
    const start = host.clock.now();
    host.clock.setAutoAdvance(true);
    let fired: RecordedInstance[] = [];
    while (fired.length < 2) {
      await host.waitForIdle();
      fired = await recordedInstances();
    }
    host.clock.setAutoAdvance(false);
    expect(host.clock.now() - start).toBeGreaterThan(DAY);
    expect(fired.every((instance) => !instance.input.isPastDue)).toBe(true);
  });
});

describe('timer schedules from app settings', () => {
  it('resolve %SETTING% from the env option, which is restored when the host stops', async () => {
    await host.stop();
    ({ host } = await startTestHost({ appEntry: TIMER_APP, env: { TICK_SCHEDULE: '0 30 * * * *' } }));
    host.clock.setAutoAdvance(false);
    await host.clock.advanceBy(3600_000);
    const ticks = (await recordedInstances()).filter((instance) => (instance.input as { setting?: boolean }).setting);
    expect(ticks).toHaveLength(1);
    expect(new Date(ticks[0]!.input.next).getUTCMinutes()).toBe(30);
    await host.stop();
    expect(process.env.TICK_SCHEDULE).toBeUndefined();
  });

  it('leave a timer whose setting is missing disabled, with an error line, while the rest of the app runs', async () => {
    const { host: other, logs } = await startTestHost({ appEntry: TIMER_APP });
    try {
      expect(logs).toContainEqual(expect.stringContaining("Function 'SettingTick' is disabled"));
      await other.fireTimer('ScheduledStart');
      await expect(other.fireTimer('SettingTick')).rejects.toThrow("No timer-triggered function named 'SettingTick'");
    } finally {
      await other.stop();
    }
  });
});

describe('activity concurrency', () => {
  it('never runs more activities at once than maxConcurrentActivities', async () => {
    await host.stop();
    ({ host } = await startTestHost({ appEntry: DURABLE_APP, maxConcurrentActivities: 3 }));
    const id = await host.startOrchestration('TrackFanOut', 20);
    expect(await host.waitFor(id, (s) => s.runtimeStatus === 'Completed')).toMatchObject({ output: 3 });
  });
});

describe('loading apps afresh', () => {
  it('gives each host its own copy of the app module state', async () => {
    // Flaky keeps a per-key call count in module state: a fresh load must start counting again.
    const input = { key: 'fresh', failures: 1, attempts: 1 };
    await host.stop();
    ({ host } = await startTestHost({ appEntry: DURABLE_APP }));
    const first = await host.startOrchestration('RetryFlaky', input);
    host.clock.setAutoAdvance(true);
    expect(
      (await host.waitFor(first, (s) => s.runtimeStatus !== 'Running' && s.runtimeStatus !== 'Pending')).runtimeStatus,
    ).toBe('Failed');
    await host.stop();
    ({ host } = await startTestHost());
    const second = await host.startOrchestration('RetryFlaky', input);
    expect(
      (await host.waitFor(second, (s) => s.runtimeStatus !== 'Running' && s.runtimeStatus !== 'Pending')).runtimeStatus,
    ).toBe('Failed');
  });
});
