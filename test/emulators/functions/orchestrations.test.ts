import { EventType } from '../../../emulators/functions/history';
import type { FunctionsHost } from '../../../emulators/functions';
import { startTestHost } from './helpers';

let host: FunctionsHost;
let logs: string[];

beforeAll(async () => {
  ({ host, logs } = await startTestHost());
});
afterAll(() => host.stop());

const completed = { timeoutMs: 10_000 };
const isDone = (s: { runtimeStatus: string }): boolean =>
  !['Pending', 'Running', 'Suspended'].includes(s.runtimeStatus);

describe('activity sequence', () => {
  it('runs activities in order and records the host-shaped history', async () => {
    const id = await host.startOrchestration('HelloSequence', 'Tokyo');
    const status = await host.waitFor(id, isDone, completed);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ greeting: 'Hello, Tokyo!', shouted: 'HELLO, TOKYO!' });
    const history = await host.getHistory(id);
    const summary = history.map((e) => [e.EventType, e.EventId, e.Name ?? e.TaskScheduledId ?? null]);
    expect(summary).toEqual([
      [EventType.OrchestratorStarted, -1, null],
      [EventType.ExecutionStarted, -1, 'HelloSequence'],
      [EventType.TaskScheduled, 0, 'Hello'],
      [EventType.OrchestratorCompleted, -1, null],
      [EventType.OrchestratorStarted, -1, null],
      [EventType.TaskCompleted, -1, 0],
      [EventType.TaskScheduled, 1, 'Shout'],
      [EventType.OrchestratorCompleted, -1, null],
      [EventType.OrchestratorStarted, -1, null],
      [EventType.TaskCompleted, -1, 1],
      [EventType.ExecutionCompleted, 2, null],
      [EventType.OrchestratorCompleted, -1, null],
    ]);
    expect(logs.some((line) => /Executed 'Functions.Hello' \(Succeeded, Id=[\w-]+, Duration=\d+ms\)/.test(line))).toBe(
      true,
    );
  });
});
