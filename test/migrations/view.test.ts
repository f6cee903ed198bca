/**
 * The status API's counts while a run reassigns (src/migrations/view.ts): the run's own counts, plus what the wave
 * groups and the wave running now have done and the run has not taken in yet, each user counted once.
 */
import { OrchestrationRuntimeStatus, type DurableClient, type DurableOrchestrationStatus } from 'durable-functions';
import {
  MIGRATION_ORCHESTRATOR,
  WAVE_GROUP_ORCHESTRATOR,
  WAVE_ORCHESTRATOR,
  type MigrationCustomStatus,
  type WaveGroupStatus,
} from '../../src/domain/workflow';
import { getMigrationView } from '../../src/migrations/view';
import { batchCounts } from '../orchestrations/support/harness';
import { TEST_START_MS as TEST_START } from '../support/clock';

const RUN = 'mig-view';
const TO_CHANGE = 40_000;

function instance(
  instanceId: string,
  name: string,
  runtimeStatus: OrchestrationRuntimeStatus,
  customStatus: unknown,
  output?: unknown,
): DurableOrchestrationStatus {
  const at = new Date(TEST_START);
  return {
    instanceId,
    name,
    runtimeStatus,
    customStatus,
    output,
    createdTime: at,
    lastUpdatedTime: at,
  } as DurableOrchestrationStatus;
}

function runStatus(moved: number, pointer: Pick<MigrationCustomStatus, 'currentWave' | 'currentGroup'>) {
  const custom: MigrationCustomStatus = {
    status: 'reassigning',
    stage: 'reassign',
    stageStartedAt: new Date(TEST_START).toISOString(),
    counts: { total: TO_CHANGE, toChange: TO_CHANGE, moved, failed: 0, skipped: 0, blocked: 0, done: moved },
    ...pointer,
  };
  return instance(RUN, MIGRATION_ORCHESTRATOR, OrchestrationRuntimeStatus.Running, custom);
}

const group = (id: string, status: WaveGroupStatus) =>
  instance(`${RUN}:reassign:${id}`, WAVE_GROUP_ORCHESTRATOR, OrchestrationRuntimeStatus.Running, status);

const wave = (number: number, moved: number, batchesDone: number) =>
  instance(`${RUN}:reassign:${number}`, WAVE_ORCHESTRATOR, OrchestrationRuntimeStatus.Running, {
    wave: number,
    phase: 'reassign',
    ...batchCounts({ moved }),
    batchesDone,
    batches: 80,
  });

async function movedSeen(statuses: DurableOrchestrationStatus[]): Promise<number> {
  const byId = new Map(statuses.map((status) => [status.instanceId, status]));
  const client = { getStatus: (id: string) => Promise.resolve(byId.get(id)) } as unknown as DurableClient;
  const view = await getMigrationView({ client, clock: { now: () => TEST_START } }, RUN, 'http://localhost');
  return view?.counts.moved ?? Number.NaN;
}

describe('counts while reassigning', () => {
  it('a run calling its waves directly: its counts and the running wave’s', async () => {
    expect(await movedSeen([runStatus(3_200, { currentWave: 2 }), wave(2, 300, 15)])).toBe(3_500);
  });

  it('through a wave group: the run’s, the group’s finished waves and the running wave’s', async () => {
    const statuses = [
      runStatus(16_000, { currentWave: 10, currentGroup: `${RUN}:reassign:10-19` }),
      group('10-19', { counts: batchCounts({ moved: 3_200 }), currentWave: 12 }),
      wave(12, 300, 15),
    ];
    expect(await movedSeen(statuses)).toBe(19_500);
  });

  it('through nested groups, down to the wave', async () => {
    const statuses = [
      runStatus(0, { currentWave: 0, currentGroup: `${RUN}:reassign:0-99` }),
      group('0-99', { counts: batchCounts({ moved: 16_000 }), currentWave: 10, currentGroup: `${RUN}:reassign:10-19` }),
      group('10-19', { counts: batchCounts({ moved: 1_600 }), currentWave: 11 }),
      wave(11, 40, 5),
    ];
    expect(await movedSeen(statuses)).toBe(17_640);
  });

  it('a group that finished before the run took its result in counts with its result, once', async () => {
    const done = instance(
      `${RUN}:reassign:10-19`,
      WAVE_GROUP_ORCHESTRATOR,
      OrchestrationRuntimeStatus.Completed,
      { counts: batchCounts({ moved: 14_400 }), currentWave: 19 },
      { counts: batchCounts({ moved: 16_000 }), wavesRun: 20 },
    );
    const statuses = [
      runStatus(16_000, { currentWave: 10, currentGroup: `${RUN}:reassign:10-19` }),
      done,
      wave(19, 1_600, 80),
    ];
    expect(await movedSeen(statuses)).toBe(32_000);
  });

  it('a group that has not started a wave yet adds nothing', async () => {
    const pending = instance(
      `${RUN}:reassign:10-19`,
      WAVE_GROUP_ORCHESTRATOR,
      OrchestrationRuntimeStatus.Running,
      null,
    );
    expect(
      await movedSeen([runStatus(16_000, { currentWave: 10, currentGroup: `${RUN}:reassign:10-19` }), pending]),
    ).toBe(16_000);
  });
});
