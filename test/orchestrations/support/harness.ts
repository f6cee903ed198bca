/**
 * Runs the real orchestrators on the local runtime (virtual clock, in memory) against scripted activities: no
 * Azurite, no Graph. Every activity call is recorded (name, input, virtual time) and every custom status the instance
 * shows is kept in order, so tests assert what a user would see: status, message, counts, which activities ran.
 */
import { join } from 'node:path';
import {
  startFunctionsHost,
  type FunctionsHost,
  type HistoryEvent,
  type InstanceStatus,
} from '../../../emulators/functions';
import type { ActivityHandler, ActivityHandlers } from '../../../src/activities';
import type { PlanSummary } from '../../../src/domain/types';
import {
  emptyBatchCounts,
  MIGRATION_ORCHESTRATOR,
  RUN_LAYOUT_VERSION,
  splitIntoWaves,
  WAVE_ORCHESTRATOR,
  waveInstanceId,
  type ActivityInput,
  type ActivityName,
  type BatchCounts,
  type BatchInput,
  type MigrationCustomStatus,
  type MigrationInput,
  type MigrationOutput,
  type OrchestratorContracts,
  type OrchestratorName,
  type PlanOutcome,
  type RunOptions,
  type WaveInput,
  type WaveResult,
} from '../../../src/domain/workflow';
import { BUSINESS_PREMIUM, STANDARD_TO_PREMIUM } from '../../domain/fixtures';

const STUB_APP = join(__dirname, 'stub-app.ts');

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export const iso = (ms: number): string => new Date(ms).toISOString();

/** One activity invocation as the stub saw it: its contract name, its input, and the virtual time it ran at. */
export type ActivityCall = { [N in ActivityName]: { name: N; input: ActivityInput<N>; at: number } }[ActivityName];

export function callsTo<N extends ActivityName>(calls: ActivityCall[], name: N): Extract<ActivityCall, { name: N }>[] {
  return calls.filter((call): call is Extract<ActivityCall, { name: N }> => call.name === name);
}

export function inputsOf<N extends ActivityName>(calls: ActivityCall[], name: N): ActivityInput<N>[] {
  return callsTo(calls, name).map((call) => call.input);
}

/** Activity names in call order, consecutive repeats collapsed ("reassignBatch ×8" reads as one step). */
export function activitySteps(calls: ActivityCall[]): ActivityName[] {
  return calls.map((call) => call.name).filter((name, index, names) => index === 0 || names[index - 1] !== name);
}

/** The wave orchestrator's custom status after each round of batch activities. */
export interface WaveProgress extends BatchCounts {
  wave: number;
  phase: string;
  batchesDone: number;
  batches: number;
}

export type Step =
  /** Waits until the instance publishes a custom status for which this holds. */
  | { until: (status: MigrationCustomStatus) => boolean }
  /** Raises an external event on the instance (approval, recheck, cancel). */
  | { raise: string; data?: unknown }
  /** Moves virtual time forward, firing every timer due on the way. */
  | { advanceBy: number };

export interface RunScript {
  /**
   * Done in order while virtual time stands still (except for `advanceBy`); afterwards time runs freely, so whatever
   * the run still waits for (a poll timer, a retry, a timeout) happens at once.
   */
  steps?: Step[];
}

export interface RunResult<Output, Status> {
  instanceId: string;
  /** Virtual time at which the run started. */
  startedAt: number;
  runtimeStatus: InstanceStatus['runtimeStatus'];
  /** What the orchestrator returned (when it completed). */
  output: Output;
  /** Why the instance failed, in the host's words (when it failed). */
  failure?: string;
  /** The last custom status. */
  customStatus: Status;
  /**
   * Every custom status the instance showed, in order, as a client polling it could see them: the last one of each
   * episode (statuses replaced within one episode are never visible), consecutive duplicates dropped.
   */
  statuses: Status[];
  calls: ActivityCall[];
  history: HistoryEvent[];
  /** The host's lines (invocations, warnings), for diagnosing a failing test. */
  logs: string[];
}

export type MigrationRunResult = RunResult<MigrationOutput, MigrationCustomStatus>;
export type WaveRunResult = RunResult<WaveResult, WaveProgress | null>;

const WAIT = { timeoutMs: 10_000 };
const DAY = 24 * HOUR;
const isDone = (status: InstanceStatus): boolean => !['Pending', 'Running', 'Suspended'].includes(status.runtimeStatus);

/** Defaults for activities a test does not script: stage records and the report are no-ops; the rest refuse. */
function defaultStubs(): ActivityHandlers {
  const notScripted = (name: ActivityName) => (): Promise<never> =>
    Promise.reject(new Error(`${name} is not scripted in this test`));
  return {
    planMigration: notScripted('planMigration'),
    checkLicenses: () => Promise.resolve({ ready: true, reasons: [], notes: [], targets: [] }),
    reassignBatch: notScripted('reassignBatch'),
    verifyBatch: notScripted('verifyBatch'),
    cleanupBatch: notScripted('cleanupBatch'),
    recordStage: () => Promise.resolve(),
    finalizeMigration: () => Promise.resolve(),
    groupStep: notScripted('groupStep'),
    checkGroupStep: notScripted('checkGroupStep'),
    planRollback: notScripted('planRollback'),
    notifyRun: () => Promise.resolve({ delivered: 0, failed: 0, alreadyHandled: 0 }),
  };
}

/** One run's scripted activities and what they saw. */
interface ScriptedRun {
  handlers: ActivityHandlers;
  calls: ActivityCall[];
}

/**
 * The handlers the stub app registers once per host: each call goes to the stubs of the run it belongs to (every
 * activity input names its migration), and is recorded there first.
 */
function dispatchingHandlers(runs: Map<string, ScriptedRun>, now: () => number): ActivityHandlers {
  const dispatch =
    <N extends ActivityName>(name: N): ActivityHandler<N> =>
    (input, log) => {
      const migrationId = typeof input === 'string' ? input : input.migrationId;
      const run = runs.get(migrationId);
      if (!run) return Promise.reject(new Error(`No scripted run for migration ${migrationId}`));
      // The name selects the input type (the contract), which TypeScript cannot follow through a generic.
      run.calls.push({ name, input, at: now() } as ActivityCall);
      return run.handlers[name](input, log);
    };
  return {
    planMigration: dispatch('planMigration'),
    checkLicenses: dispatch('checkLicenses'),
    reassignBatch: dispatch('reassignBatch'),
    verifyBatch: dispatch('verifyBatch'),
    cleanupBatch: dispatch('cleanupBatch'),
    recordStage: dispatch('recordStage'),
    finalizeMigration: dispatch('finalizeMigration'),
    groupStep: dispatch('groupStep'),
    checkGroupStep: dispatch('checkGroupStep'),
    planRollback: dispatch('planRollback'),
    notifyRun: dispatch('notifyRun'),
  };
}

async function runSteps(host: FunctionsHost, instanceId: string, steps: Step[]): Promise<void> {
  for (const step of steps) {
    if ('raise' in step) await host.raiseEvent(instanceId, step.raise, step.data);
    else if ('advanceBy' in step) await host.clock.advanceBy(step.advanceBy);
    else {
      const seen = await host.waitFor(
        instanceId,
        (status) =>
          isDone(status) || (status.customStatus != null && step.until(status.customStatus as MigrationCustomStatus)),
        WAIT,
      );
      if (isDone(seen)) {
        throw new Error(
          `The run ended (${seen.runtimeStatus}: ${JSON.stringify(seen.output)}) before reaching the awaited status`,
        );
      }
    }
  }
}

/** An input, or how to build it from the instant the run starts at (for absolute times such as `notAfter`). */
export type InputFor<I> = I | ((startedAt: number) => I);

/**
 * One local runtime with the stub app loaded, shared by the runs of a test file (loading the app takes a few hundred
 * ms; a run takes a few ms). Runs are kept apart by migration id, and each starts at a fresh 09:00 UTC, days after
 * the previous one, with virtual time standing still between runs.
 */
export class StubHost {
  readonly #runs = new Map<string, ScriptedRun>();
  readonly #logs: string[] = [];
  #host: FunctionsHost | undefined;

  async start(): Promise<void> {
    this.#host = await startFunctionsHost({
      appEntry: STUB_APP,
      compose: {
        exportName: 'createStubApp',
        argument: (host) => dispatchingHandlers(this.#runs, () => host.clock.now()),
      },
      clock: 'virtual',
      port: 0,
      log: (line) => this.#logs.push(line),
    });
    this.#host.clock.setAutoAdvance(false);
  }

  stop(): Promise<void> {
    return this.#host?.stop() ?? Promise.resolve();
  }

  /** The history of any instance the host ran (a sub-orchestration's, say). */
  historyOf(instanceId: string): Promise<HistoryEvent[]> {
    if (!this.#host) throw new Error('The stub host is not started (call start() in beforeAll).');
    return this.#host.getHistory(instanceId);
  }

  /** Runs `migrationOrchestrator` (instance id = migration id) to its end against the stubs. */
  runMigration(
    stubs: Partial<ActivityHandlers>,
    input: InputFor<MigrationInput>,
    script: RunScript = {},
  ): Promise<MigrationRunResult> {
    return this.#run<'migrationOrchestrator', MigrationCustomStatus>(
      MIGRATION_ORCHESTRATOR,
      (i) => i.migrationId,
      input,
      stubs,
      script,
    );
  }

  /** Runs one wave sub-orchestration on its own, under the instance id the migration would give it. */
  runWave(stubs: Partial<ActivityHandlers>, input: InputFor<WaveInput>): Promise<WaveRunResult> {
    return this.#run<'migrationWaveOrchestrator', WaveProgress | null>(
      WAVE_ORCHESTRATOR,
      (i) => waveInstanceId(i.migrationId, i.phase, i.wave.wave),
      input,
      stubs,
      {},
    );
  }

  async #run<N extends OrchestratorName, Status>(
    name: N,
    instanceIdOf: (input: OrchestratorContracts[N]['input']) => string,
    inputFor: InputFor<OrchestratorContracts[N]['input']>,
    stubs: Partial<ActivityHandlers>,
    script: RunScript,
  ): Promise<RunResult<OrchestratorContracts[N]['output'], Status>> {
    const host = this.#host;
    if (!host) throw new Error('The stub host is not started (call start() in beforeAll).');
    const startedAt = (Math.floor(host.clock.now() / DAY) + 10) * DAY + 9 * HOUR;
    await host.clock.advanceTo(startedAt);
    const input = typeof inputFor === 'function' ? inputFor(startedAt) : inputFor;
    const migrationId = 'settings' in input ? input.settings.migrationId : input.migrationId;
    if (this.#runs.has(migrationId)) throw new Error(`Migration id ${migrationId} was used by an earlier run`);
    const calls: ActivityCall[] = [];
    this.#runs.set(migrationId, { handlers: { ...defaultStubs(), ...stubs }, calls });
    const instanceId = instanceIdOf(input);
    const firstLog = this.#logs.length;
    const statuses: Status[] = [];
    let last = 'null';
    try {
      const finished = host.waitFor(
        instanceId,
        (status) => {
          const json = JSON.stringify(status.customStatus ?? null);
          if (json !== last && status.customStatus != null) statuses.push(status.customStatus as Status);
          last = json;
          return isDone(status);
        },
        WAIT,
      );
      await host.startOrchestration(name, input, instanceId);
      await runSteps(host, instanceId, script.steps ?? []);
      host.clock.setAutoAdvance(true);
      const final = await finished;
      return {
        instanceId,
        startedAt,
        runtimeStatus: final.runtimeStatus,
        output: final.output as OrchestratorContracts[N]['output'],
        failure:
          final.runtimeStatus === 'Failed' ? (final.failureDetails?.errorMessage ?? String(final.output)) : undefined,
        customStatus: final.customStatus as Status,
        statuses,
        calls,
        history: await host.getHistory(instanceId),
        logs: this.#logs.slice(firstLog),
      };
    } catch (error) {
      const tail = this.#logs.slice(firstLog).slice(-20).join('\n');
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nLast host lines:\n${tail}`);
    } finally {
      host.clock.setAutoAdvance(false);
    }
  }
}

/** One stub host for the test file: started before its first test, stopped after its last. */
export function stubHostForThisFile(): Pick<StubHost, 'runMigration' | 'runWave' | 'historyOf'> {
  const host = new StubHost();
  beforeAll(() => host.start());
  afterAll(() => host.stop());
  return {
    runMigration: (...args) => host.runMigration(...args),
    runWave: (...args) => host.runWave(...args),
    historyOf: (...args) => host.historyOf(...args),
  };
}

let lastId = 0;

/** A migration id not used before in this process. */
export function newMigrationId(): string {
  lastId += 1;
  return `mig-${String(lastId).padStart(4, '0')}`;
}

/**
 * A migration's orchestrator input as a run started now gets it (a new id, the current layout, the request's
 * defaults: swap, atomic, no approval), overridden as given.
 */
export function migrationInput(options: Partial<RunOptions> = {}): MigrationInput {
  return {
    migrationId: newMigrationId(),
    version: RUN_LAYOUT_VERSION,
    options: {
      dryRun: false,
      requireApproval: false,
      approvalTimeout: 'P7D',
      waitForLicenses: { timeout: 'PT72H', pollInterval: 'PT1M' },
      batchSize: 20,
      maxFailureRate: 0.2,
      strategy: 'atomic',
      mode: 'swap',
      ...options,
    },
  };
}

export function batchCounts(counts: Partial<BatchCounts> = {}): BatchCounts {
  return { ...emptyBatchCounts(), ...counts };
}

export type Plan = Extract<PlanOutcome, { ok: true }>;

export interface ScriptedPlan {
  outcome: Plan;
  /** How many users the plan batches of a batch activity's input hold. */
  usersIn(input: BatchInput): number;
}

/**
 * What `planMigration` returns for Business Standard → Business Premium with `toChange` users in batches of
 * `batchSize` (80 batches per wave), plus users skipped or blocked at planning.
 */
export function scriptedPlan(options: {
  toChange: number;
  batchSize?: number;
  skipped?: number;
  blocked?: number;
  remaining?: number;
  summary?: Partial<PlanSummary>;
}): ScriptedPlan {
  const { toChange, batchSize = 20, skipped = 0, blocked = 0, remaining = 0 } = options;
  const sizes: number[] = [];
  for (let left = toChange; left > 0; left -= batchSize) sizes.push(Math.min(batchSize, left));
  const summary: PlanSummary = {
    planRef: 'migrations/mig/plan.json',
    moves: [STANDARD_TO_PREMIUM],
    total: toChange + skipped + blocked,
    toChange,
    skipped,
    blocked,
    seatsNeeded: toChange > 0 ? { [BUSINESS_PREMIUM.skuId]: toChange } : {},
    downgrades: [],
    needsDataLossAcknowledgement: false,
    batchCount: sizes.length,
    ...options.summary,
  };
  return {
    outcome: { ok: true, summary, waves: splitIntoWaves(sizes), remaining },
    usersIn: (input) => sizes.slice(input.batch, input.batch + input.batchCount).reduce((sum, n) => sum + n, 0),
  };
}

/** Stubs for a run in which the plan is `plan` and every user of every batch moves, verifies and is cleaned up. */
export function everyoneMoves(plan: ScriptedPlan): Partial<ActivityHandlers> {
  const allOf = (input: BatchInput): Promise<BatchCounts> =>
    Promise.resolve(batchCounts({ moved: plan.usersIn(input) }));
  return {
    planMigration: () => Promise.resolve(plan.outcome),
    reassignBatch: allOf,
    verifyBatch: allOf,
    cleanupBatch: allOf,
  };
}
