import { invokeOrchestrator } from './engine';
import { EventType, OrchestrationStatusCode, type HistoryEvent } from './history';
import { Invoker } from './invoker';
import { loadApp, type AppComposition } from './loader';
import { runShim } from './shim';

export interface ReplayCheckOptions {
  /** The app module, as for startFunctionsHost. */
  appEntry: string;
  /** For an entry that exports a composition root: the export to call and its argument (see FunctionsHostOptions). */
  compose?: AppComposition;
  /** A recorded history of one execution (e.g. from `host.getHistory(id)`, saved as a fixture). */
  history: HistoryEvent[];
  /** Replay under this orchestrator instead of the one named in ExecutionStarted (to test a code change). */
  orchestrator?: string;
  instanceId?: string;
  log?: (line: string) => void;
}

export interface ReplayCheckResult {
  /** True when the replay reproduces every recorded decision (and the recorded result, if the execution ended). */
  deterministic: boolean;
  /** Why not, in the host's words where it has them. */
  problem?: string;
  /** Decisions the code makes that the recorded history does not contain yet (normal for a running instance). */
  newDecisions: number;
}

/**
 * Replays a recorded execution through the app's current orchestrator code, the way the host would on its next
 * episode, and reports whether the code still makes the recorded decisions (the determinism check, run offline).
 */
export async function checkReplay(options: ReplayCheckOptions): Promise<ReplayCheckResult> {
  const log = options.log ?? (() => {});
  const app = loadApp(options.appEntry, (level, message) => log(`[host] ${level}: ${message}`), options.compose);
  try {
    const started = options.history.find((event) => event.EventType === EventType.ExecutionStarted);
    if (!started)
      return { deterministic: false, problem: 'The history has no ExecutionStarted event.', newDecisions: 0 };
    const name = options.orchestrator ?? started.Name ?? '';
    const fn = app.functions.get(name.toLowerCase());
    if (fn?.kind !== 'orchestration') {
      return { deterministic: false, problem: `No orchestrator named '${name}' is registered.`, newDecisions: 0 };
    }
    const instanceId = options.instanceId ?? started.OrchestrationInstance?.InstanceId ?? 'replay';
    const executionId = started.OrchestrationInstance?.ExecutionId ?? 'replay';
    const recorded = options.history.map((event) => ({ ...event, IsPlayed: true }));
    const invoker = new Invoker(app, log, () => undefined);
    const state = await invokeOrchestrator(invoker, fn, {
      instanceId,
      input: JSON.parse(started.Input ?? 'null'),
      parentInstanceId: started.ParentInstance?.OrchestrationInstance.InstanceId ?? null,
      history: recorded.map((event) => ({ ...event })),
    });
    const shim = runShim(recorded, state.actions[0] ?? [], {
      instanceId,
      executionId,
      orchestratorName: fn.name,
      // Only determinism is checked here; the runtime's limits apply when the host runs the instance.
      maxOrchestrationActions: Number.POSITIVE_INFINITY,
      payloadProblem: () => undefined,
      resolveFunction: (functionName, kind) => {
        const found = app.functions.get(functionName.toLowerCase());
        return found?.kind === kind ? found.name : undefined;
      },
      describeFunctions: (kind) => [...app.functions.values()].filter((f) => f.kind === kind).map((f) => f.name),
    });
    if (shim.fatal !== undefined) return { deterministic: false, problem: shim.fatal, newDecisions: 0 };
    const completed = recorded.find((event) => event.EventType === EventType.ExecutionCompleted);
    if (completed?.OrchestrationStatus === OrchestrationStatusCode.Completed) {
      const expected = completed.Result ?? 'null';
      const actual = JSON.stringify(state.output === undefined ? null : state.output);
      if (!state.isDone || actual !== expected) {
        return {
          deterministic: false,
          problem: `The recorded execution completed with ${expected}, but the replay ${state.isDone ? `returned ${actual}` : 'did not finish'}.`,
          newDecisions: shim.decisions.length,
        };
      }
    }
    return { deterministic: true, newDecisions: shim.decisions.length };
  } finally {
    app.unload();
  }
}
