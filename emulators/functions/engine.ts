import { randomUUID } from 'node:crypto';
import type { DueQueue } from './clock';
import { EventType, OrchestrationStatusCode, newEvent, type HistoryEvent } from './history';
import type { OverridableStates, StorageBackend } from './host-config';
import type { Invoker, LogSink } from './invoker';
import { customStatusProblem, HostApiError, PAYLOAD_TOO_LARGE, payloadProblem, type DurableLimits } from './limits';
import type { RegisteredFunction } from './loader';
import { runShim, type ActionJson, type Decision } from './shim';
import type { InstanceMeta, InstanceRecord, InstanceStore, ParentLink } from './store';

/** DTFx hands an orchestration up to this many new messages per episode. */
const MAX_MESSAGES_PER_EPISODE = 32;

/** What the JS library returns (OrchestratorState, JSON form). */
export interface OrchestratorStateJson {
  isDone: boolean;
  actions: ActionJson[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
}

interface ActivityWork {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text as recorded in TaskScheduled.Input. */
  input: string;
}

export interface EngineDependencies {
  store: InstanceStore;
  functions: ReadonlyMap<string, RegisteredFunction>;
  invoker: Invoker;
  now: () => number;
  dueQueue: DueQueue;
  log: LogSink;
  maxConcurrentActivities: number;
  /** Episodes of different instances running at once (maxConcurrentOrchestratorFunctions); one per instance. */
  maxConcurrentOrchestrations: number;
  limits: DurableLimits;
  storageBackend: StorageBackend;
  overridableExistingInstanceStates: OverridableStates;
  /** Called whenever work finishes, so the host can check whether it became idle. */
  onWorkFinished: () => void;
}

export type StartResult = { instanceId: string; created: boolean };
export type ManagementResult = 'accepted' | 'notFound' | 'gone';
export type PurgeResult = 'deleted' | 'notFound' | 'notTerminal';

/** DTFx's exception for a start whose id is taken by an instance in a dedupe status. */
export const ALREADY_EXISTS = 'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException';

const ACTIVE_STATUSES = new Set(['Pending', 'Running', 'Suspended']);

export function isActive(record: InstanceRecord): boolean {
  return ACTIVE_STATUSES.has(record.runtimeStatus);
}

/**
 * The durable task engine: turns messages (start, activity results, timer firings, events) into episodes,
 * runs each episode by replay through the app's orchestrator function plus the shim (`shim.ts`), records the
 * result and dispatches the new work.
 */
export class DurableEngine {
  readonly #episodeQueue = new Set<string>();
  readonly #episodesRunning = new Set<string>();
  readonly #activityQueue: ActivityWork[] = [];
  #activitiesRunning = 0;
  readonly #statusListeners = new Set<(record: InstanceRecord) => void>();
  #flushScheduled = false;
  #pumpScheduled = false;
  #stopped = false;
  readonly #quietWaiters: (() => void)[] = [];
  readonly #libraryCache = new WeakMap<
    InstanceRecord,
    { executionId: string; events: HistoryEvent[]; pending?: HistoryEvent[] }
  >();

  constructor(private readonly deps: EngineDependencies) {}

  /** Units of work queued or running (episodes and activities). */
  get pendingWork(): number {
    return this.#episodeQueue.size + this.#episodesRunning.size + this.#activityQueue.length + this.#activitiesRunning;
  }

  onStatusChange(listener: (record: InstanceRecord) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Re-arms everything a restarted host must continue: in-flight activities re-run, timers re-armed, inboxes processed. */
  recover(): void {
    for (const record of this.deps.store.all()) {
      if (!isActive(record)) continue;
      const settled = new Set<number>();
      const fired = new Set<number>();
      const events = [
        ...record.history,
        ...record.inbox.filter((m) => m.executionId === record.executionId).map((m) => m.event),
      ];
      for (const event of events) {
        if (event.TaskScheduledId !== undefined) settled.add(event.TaskScheduledId);
        if (event.TimerId !== undefined) fired.add(event.TimerId);
      }
      for (const event of record.history) {
        if (event.EventType === EventType.TaskScheduled && !settled.has(event.EventId)) {
          this.#enqueueActivity({
            instanceId: record.instanceId,
            executionId: record.executionId,
            taskId: event.EventId,
            name: event.Name ?? '',
            input: event.Input ?? 'null',
          });
        } else if (event.EventType === EventType.TimerCreated && !fired.has(event.EventId)) {
          this.#armTimer(record, event.EventId, Date.parse(event.FireAt ?? ''));
        } else if (event.EventType === EventType.SubOrchestrationInstanceCreated && !settled.has(event.EventId)) {
          const child = this.deps.store.get(event.InstanceId ?? '');
          const link = {
            instanceId: record.instanceId,
            executionId: record.executionId,
            taskScheduledId: event.EventId,
          };
          if (!child) this.#createChild(record, event, link);
          else if (!isActive(child)) this.#notifyParent(child);
        }
      }
      if (record.inbox.length > 0) this.#scheduleEpisode(record.instanceId);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.deps.store.flush();
    this.#notifyQuiet();
  }

  /** Resolves once no activity or episode is running (after stop(): once the ones in flight have returned). */
  whenQuiet(): Promise<void> {
    if (this.#activitiesRunning === 0 && this.#episodesRunning.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#quietWaiters.push(resolve));
  }

  #notifyQuiet(): void {
    if (this.#activitiesRunning === 0 && this.#episodesRunning.size === 0)
      for (const resolve of this.#quietWaiters.splice(0)) resolve();
  }

  startNew(name: string, input: unknown, instanceId?: string): StartResult {
    const fn = this.#orchestrator(name);
    if (!fn)
      throw new UnknownFunctionError(
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      );
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    this.#refuseLargePayload('input of the new orchestration instance', JSON.stringify(input ?? null));
    const existing = this.deps.store.get(id);
    if (existing && isActive(existing)) {
      // overridableExistingInstanceStates = NonRunningStates (the default since Durable Functions 2.0) passes the
      // running statuses as dedupe statuses, and the backend refuses the start (DurableClient.StartNewAsync).
      if (this.deps.overridableExistingInstanceStates === 'NonRunningStates') {
        throw new HostApiError(alreadyExistsMessage(this.deps.storageBackend, existing.runtimeStatus), ALREADY_EXISTS);
      }
      // AnyState: the start is accepted but the running instance discards the duplicate ExecutionStarted.
      return { instanceId: id, created: false };
    }
    this.#createInstance(fn.name, id, input ?? null);
    return { instanceId: id, created: true };
  }

  /** A payload over the backend's message limit: the client call fails (the HTTP API answers 500). */
  #refuseLargePayload(what: string, json: string): void {
    const problem = payloadProblem(this.deps.limits, what, json);
    if (problem !== undefined) throw new HostApiError(problem, PAYLOAD_TOO_LARGE);
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.deps.store.get(instanceId);
  }

  raiseEvent(instanceId: string, eventName: string, data: unknown): ManagementResult {
    const record = this.deps.store.get(instanceId);
    if (!record) return 'notFound';
    if (!isActive(record)) return 'gone';
    const payload = JSON.stringify(data ?? null);
    this.#refuseLargePayload(`payload of event '${eventName}'`, payload);
    const event = newEvent(EventType.EventRaised, this.deps.now(), { Name: eventName, Input: payload });
    this.#deliver(instanceId, undefined, event);
    return 'accepted';
  }

  terminate(instanceId: string, reason: string): ManagementResult {
    const record = this.deps.store.get(instanceId);
    if (!record) return 'notFound';
    if (!isActive(record)) return 'gone';
    const now = this.deps.now();
    const appended = [
      newEvent(EventType.OrchestratorStarted, now),
      newEvent(EventType.ExecutionTerminated, now, { Input: JSON.stringify(reason) }),
      newEvent(EventType.ExecutionCompleted, now, {
        OrchestrationStatus: OrchestrationStatusCode.Terminated,
        Result: JSON.stringify(reason),
      }),
      newEvent(EventType.OrchestratorCompleted, now),
    ].map(played);
    this.#commit(record, appended, record.inbox.length, {
      runtimeStatus: 'Terminated',
      output: reason,
      customStatus: record.customStatus,
      lastUpdatedTime: now,
      failureDetails: undefined,
    });
    this.#finish(record);
    return 'accepted';
  }

  suspend(instanceId: string, reason: string): ManagementResult {
    return this.#setSuspended(instanceId, true, reason);
  }

  resume(instanceId: string, reason: string): ManagementResult {
    return this.#setSuspended(instanceId, false, reason);
  }

  /** Only instances in a terminal status can be purged (azure-functions-durable-extension PR #3311). */
  purge(instanceId: string): PurgeResult {
    const record = this.deps.store.get(instanceId);
    if (!record) return 'notFound';
    if (isActive(record)) return 'notTerminal';
    this.deps.store.purge(instanceId);
    this.deps.dueQueue.dropOwner(instanceId);
    this.#scheduleFlush();
    return 'deleted';
  }

  #setSuspended(instanceId: string, suspend: boolean, reason: string): ManagementResult {
    const record = this.deps.store.get(instanceId);
    if (!record) return 'notFound';
    if (!isActive(record)) return 'gone';
    if (suspend === (record.runtimeStatus === 'Suspended')) return 'accepted';
    const status = suspend ? 'Suspended' : record.history.length > 0 ? 'Running' : 'Pending';
    this.deps.log(`Instance ${instanceId} ${suspend ? 'suspended' : 'resumed'}${reason ? `: ${reason}` : ''}`);
    this.deps.store.updateMeta(instanceId, {
      ...metaOf(record),
      runtimeStatus: status,
      lastUpdatedTime: this.deps.now(),
    });
    this.#scheduleFlush();
    this.#emit(record);
    if (!suspend && record.inbox.length > 0) this.#scheduleEpisode(instanceId);
    return 'accepted';
  }

  #orchestrator(name: string): RegisteredFunction | undefined {
    const fn = this.deps.functions.get(name.toLowerCase());
    return fn?.kind === 'orchestration' ? fn : undefined;
  }

  #createInstance(name: string, instanceId: string, input: unknown, parent?: ParentLink): InstanceRecord {
    const now = this.deps.now();
    const executionId = randomUUID().replace(/-/g, '');
    const record: InstanceRecord = {
      instanceId,
      name,
      executionId,
      input,
      output: null,
      customStatus: null,
      runtimeStatus: 'Pending',
      createdTime: now,
      lastUpdatedTime: now,
      ...(parent ? { parent } : {}),
      history: [],
      inbox: [{ executionId, event: executionStarted(name, instanceId, executionId, input, now, parent) }],
    };
    this.deps.dueQueue.dropOwner(instanceId);
    this.deps.store.put(record);
    this.deps.store.flush();
    this.#emit(record);
    this.#scheduleEpisode(instanceId);
    return record;
  }

  #deliver(instanceId: string, executionId: string | undefined, event: HistoryEvent): void {
    const record = this.deps.store.get(instanceId);
    if (!record || !isActive(record)) return;
    if (executionId !== undefined && record.executionId !== executionId) return;
    this.deps.store.appendInbox(instanceId, executionId !== undefined ? { executionId, event } : { event });
    this.#scheduleFlush();
    if (record.runtimeStatus !== 'Suspended') this.#scheduleEpisode(instanceId);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.deps.store.flush();
    });
  }

  #scheduleEpisode(instanceId: string): void {
    this.#episodeQueue.add(instanceId);
    // Start on the next turn so messages arriving together (results, events) form one batch, as a queue dequeue would.
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pumpEpisodes();
    });
  }

  /** Starts queued episodes up to maxConcurrentOrchestratorFunctions, never two of one instance at once. */
  #pumpEpisodes(): void {
    while (!this.#stopped && this.#episodesRunning.size < this.deps.maxConcurrentOrchestrations) {
      let instanceId: string | undefined;
      for (const candidate of this.#episodeQueue) {
        if (!this.#episodesRunning.has(candidate)) {
          instanceId = candidate;
          break;
        }
      }
      if (instanceId === undefined) return;
      this.#startEpisode(instanceId);
    }
  }

  #startEpisode(instanceId: string): void {
    this.#episodeQueue.delete(instanceId);
    this.#episodesRunning.add(instanceId);
    void this.#runEpisode(instanceId)
      .catch((error: unknown) => this.deps.log(`Episode of ${instanceId} crashed in the host: ${String(error)}`))
      .finally(() => {
        this.#episodesRunning.delete(instanceId);
        this.#notifyQuiet();
        const record = this.deps.store.get(instanceId);
        if (record && record.inbox.length > 0 && record.runtimeStatus !== 'Suspended' && isActive(record)) {
          this.#episodeQueue.add(instanceId);
        }
        // Let activity completions and HTTP requests in before the next episode, so batches can form.
        setImmediate(() => {
          this.#pumpEpisodes();
          this.deps.onWorkFinished();
        });
      });
  }

  async #runEpisode(instanceId: string): Promise<void> {
    const record = this.deps.store.get(instanceId);
    if (!record || !isActive(record) || record.runtimeStatus === 'Suspended' || this.#stopped) return;
    const batch: HistoryEvent[] = [];
    let consumed = 0;
    for (const message of record.inbox) {
      if (batch.length >= MAX_MESSAGES_PER_EPISODE) break;
      consumed++;
      if (message.executionId !== undefined && message.executionId !== record.executionId) continue;
      batch.push({ ...message.event, IsPlayed: false });
    }
    if (batch.length === 0) {
      if (consumed > 0) this.#commit(record, [], consumed, metaOf(record));
      return;
    }
    const now = this.deps.now();
    const executionId = record.executionId;
    const started = newEvent(EventType.OrchestratorStarted, now);
    const replayHistory = [...record.history, started, ...batch];
    const libraryHistory = this.#libraryHistory(record, [started, ...batch]);
    const fn = this.#orchestrator(record.name);
    let state: OrchestratorStateJson | undefined;
    let fatal: string | undefined;
    if (!fn) {
      fatal = `The function '${record.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    } else {
      try {
        state = await this.#invokeOrchestrator(fn, record, libraryHistory);
      } catch (error) {
        fatal = `Orchestrator function '${record.name}' failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    // Terminated, purged, restarted or continued while the orchestrator ran: this episode's result is stale.
    if (
      this.#stopped ||
      this.deps.store.get(instanceId) !== record ||
      !isActive(record) ||
      record.executionId !== executionId
    ) {
      return;
    }
    const appended: HistoryEvent[] = [started, ...batch];
    const baseMeta: InstanceMeta = {
      // Suspended while the orchestrator ran: keep it suspended.
      runtimeStatus: this.deps.store.get(instanceId)?.runtimeStatus === 'Suspended' ? 'Suspended' : 'Running',
      output: null,
      customStatus: state?.customStatus !== undefined ? state.customStatus : record.customStatus,
      lastUpdatedTime: now,
      failureDetails: undefined,
    };
    // The extension sets the custom status before it replays the actions, so an oversized one fails the episode first.
    if (fatal === undefined && state?.customStatus !== undefined) {
      const problem = customStatusProblem(this.deps.limits, JSON.stringify(state.customStatus) ?? 'null');
      if (problem !== undefined) fatal = `Orchestrator function '${record.name}' failed: ${problem}`;
    }
    const shim =
      state === undefined || fatal !== undefined
        ? undefined
        : runShim(replayHistory, state.actions[0] ?? [], {
            instanceId: record.instanceId,
            executionId: record.executionId,
            orchestratorName: record.name,
            maxOrchestrationActions: this.deps.limits.maxOrchestrationActions,
            payloadProblem: (what, json) => payloadProblem(this.deps.limits, what, json),
            resolveFunction: (name, kind) => {
              const found = this.deps.functions.get(name.toLowerCase());
              return found?.kind === kind ? found.name : undefined;
            },
            describeFunctions: (kind) =>
              [...this.deps.functions.values()].filter((f) => f.kind === kind).map((f) => f.name),
          });
    fatal ??= shim?.fatal;
    if (fatal === undefined && state?.error !== undefined && shim?.loopFinished) {
      fatal = `Orchestrator function '${record.name}' failed: ${state.error}`;
    }
    const done = state !== undefined && shim !== undefined && shim.loopFinished && state.isDone && shim.openTasks === 0;
    if (fatal === undefined && done && state && shim) {
      // The result (or the next execution's input) is one more message for the backend to store.
      const problem = shim.continueAsNew
        ? payloadProblem(
            this.deps.limits,
            'input passed to continueAsNew',
            JSON.stringify(decodeActionInput(shim.continueAsNew.input) ?? null),
          )
        : payloadProblem(this.deps.limits, 'orchestration output', JSON.stringify(state.output ?? null));
      if (problem !== undefined) fatal = `Orchestrator function '${record.name}' failed: ${problem}`;
    }
    if (fatal !== undefined || !state || !shim) {
      const message = fatal ?? 'The orchestrator returned no state.';
      this.deps.log(`Orchestration ${record.name} (${instanceId}) failed: ${message.split('\n')[0] ?? ''}`);
      appended.push(
        newEvent(EventType.ExecutionCompleted, now, {
          EventId: shim?.nextSequenceNumber ?? -1,
          OrchestrationStatus: OrchestrationStatusCode.Failed,
          Result: JSON.stringify(message),
          FailureDetails: { ErrorType: errorTypeOf(message), ErrorMessage: message },
        }),
        newEvent(EventType.OrchestratorCompleted, now),
      );
      this.#commit(record, appended.map(played), consumed, {
        ...baseMeta,
        runtimeStatus: 'Failed',
        output: message,
        failureDetails: { errorType: errorTypeOf(message), errorMessage: message },
      });
      this.#finish(record);
      return;
    }
    const decisions = shim.decisions;
    for (const { event } of decisions) appended.push(event);
    if (done && shim.continueAsNew) {
      // The old execution's history is discarded with it, so nothing is appended to it.
      this.#continueAsNew(record, consumed, decodeActionInput(shim.continueAsNew.input), baseMeta);
      return;
    }
    if (done) {
      const output = state.output === undefined ? null : state.output;
      appended.push(
        newEvent(EventType.ExecutionCompleted, now, {
          EventId: shim.nextSequenceNumber,
          OrchestrationStatus: OrchestrationStatusCode.Completed,
          Result: JSON.stringify(output),
        }),
        newEvent(EventType.OrchestratorCompleted, now),
      );
      this.#commit(record, appended.map(played), consumed, { ...baseMeta, runtimeStatus: 'Completed', output });
      this.#finish(record);
      return;
    }
    if (
      !state.isDone &&
      shim.loopFinished &&
      shim.openTasks === 0 &&
      shim.waitingForEvents === 0 &&
      decisions.length === 0
    ) {
      this.deps.log(
        `Orchestration ${record.name} (${instanceId}) is Running with nothing pending: it can never make progress ` +
          `(e.g. a retry whose retryTimeout expired, durable-js issue #629).`,
      );
    }
    appended.push(newEvent(EventType.OrchestratorCompleted, now));
    this.#commit(record, appended.map(played), consumed, baseMeta);
    for (const { decision } of decisions) this.#dispatch(record, decision);
  }

  #invokeOrchestrator(
    fn: RegisteredFunction,
    record: InstanceRecord,
    libraryHistory: HistoryEvent[],
  ): Promise<OrchestratorStateJson> {
    return invokeOrchestrator(this.deps.invoker, fn, {
      instanceId: record.instanceId,
      input: record.input,
      parentInstanceId: record.parent?.instanceId ?? null,
      history: libraryHistory,
    });
  }

  /**
   * The history as handed to the library. It converts Timestamp strings to Dates in place, so it must not see our
   * records; instead of copying the whole history every episode, each instance keeps the library's converted copies
   * of earlier events (flagged IsPlayed once their episode is over) and only new events are copied.
   */
  #libraryHistory(record: InstanceRecord, newEvents: HistoryEvent[]): HistoryEvent[] {
    let cache = this.#libraryCache.get(record);
    if (!cache || cache.executionId !== record.executionId || cache.events.length !== record.history.length) {
      cache = { executionId: record.executionId, events: record.history.map((event) => ({ ...event })) };
      this.#libraryCache.set(record, cache);
    }
    const fresh = newEvents.map((event) => ({ ...event }));
    cache.pending = fresh;
    return [...cache.events, ...fresh];
  }

  /** After a commit: the library's copies of this episode's events join the cache, then copies of our decisions. */
  #extendLibraryCache(record: InstanceRecord, appended: HistoryEvent[]): void {
    const cache = this.#libraryCache.get(record);
    if (!cache?.pending || cache.executionId !== record.executionId) return;
    const handedOver = cache.pending;
    cache.pending = undefined;
    for (const event of handedOver) event.IsPlayed = true;
    cache.events.push(...handedOver, ...appended.slice(handedOver.length).map((event) => ({ ...event })));
    if (cache.events.length !== record.history.length) this.#libraryCache.delete(record);
  }

  #commit(record: InstanceRecord, appended: HistoryEvent[], consumed: number, meta: InstanceMeta): void {
    this.deps.store.commitEpisode(record.instanceId, appended, consumed, meta);
    this.#extendLibraryCache(record, appended);
    // Durable before any side effect of this episode starts.
    this.deps.store.flush();
    this.#emit(record);
  }

  #continueAsNew(record: InstanceRecord, consumed: number, newInput: unknown, meta: InstanceMeta): void {
    const now = this.deps.now();
    const executionId = randomUUID().replace(/-/g, '');
    // Events that arrived but were not processed by the old execution carry over to the new one.
    const carried = record.inbox.slice(consumed).filter((message) => message.executionId === undefined);
    this.deps.dueQueue.dropOwner(record.instanceId);
    const next: InstanceRecord = {
      ...record,
      ...meta,
      executionId,
      input: newInput ?? null,
      history: [],
      inbox: [
        {
          executionId,
          event: executionStarted(record.name, record.instanceId, executionId, newInput ?? null, now, record.parent),
        },
        ...carried,
      ],
    };
    this.deps.store.put(next);
    this.deps.store.flush();
    this.#emit(next);
    this.#scheduleEpisode(record.instanceId);
  }

  #finish(record: InstanceRecord): void {
    this.deps.dueQueue.dropOwner(record.instanceId);
    this.#notifyParent(record);
  }

  #notifyParent(child: InstanceRecord): void {
    const parent = child.parent;
    if (!parent) return;
    const now = this.deps.now();
    const event =
      child.runtimeStatus === 'Completed'
        ? newEvent(EventType.SubOrchestrationInstanceCompleted, now, {
            TaskScheduledId: parent.taskScheduledId,
            Result: JSON.stringify(child.output ?? null),
          })
        : child.runtimeStatus === 'Failed'
          ? newEvent(EventType.SubOrchestrationInstanceFailed, now, {
              TaskScheduledId: parent.taskScheduledId,
              Reason: String(child.output),
              Details: '',
            })
          : undefined;
    if (event) this.#deliver(parent.instanceId, parent.executionId, event);
  }

  #dispatch(record: InstanceRecord, decision: Decision): void {
    switch (decision.kind) {
      case 'activity':
        this.#enqueueActivity({
          instanceId: record.instanceId,
          executionId: record.executionId,
          taskId: decision.id,
          name: decision.name,
          input: typeof decision.input === 'string' ? decision.input : JSON.stringify(decision.input ?? null),
        });
        break;
      case 'timer':
        this.#armTimer(record, decision.id, decision.fireAt);
        break;
      case 'subOrchestration': {
        const created = record.history.find(
          (event) => event.EventType === EventType.SubOrchestrationInstanceCreated && event.EventId === decision.id,
        );
        if (created) {
          this.#createChild(record, created, {
            instanceId: record.instanceId,
            executionId: record.executionId,
            taskScheduledId: decision.id,
          });
        }
        break;
      }
    }
  }

  #createChild(parent: InstanceRecord, created: HistoryEvent, link: ParentLink): void {
    const childId = created.InstanceId ?? '';
    const existing = this.deps.store.get(childId);
    if (existing && isActive(existing)) {
      this.#deliver(
        parent.instanceId,
        parent.executionId,
        newEvent(EventType.SubOrchestrationInstanceFailed, this.deps.now(), {
          TaskScheduledId: link.taskScheduledId,
          Reason: `An orchestration with instance id '${childId}' is already running.`,
          Details: '',
        }),
      );
      return;
    }
    this.#createInstance(created.Name ?? '', childId, JSON.parse(created.Input ?? 'null'), link);
  }

  #armTimer(record: InstanceRecord, timerId: number, fireAt: number): void {
    const { instanceId, executionId } = record;
    this.deps.dueQueue.add({
      dueAt: fireAt,
      owner: instanceId,
      kind: 'durable',
      fire: () =>
        this.#deliver(
          instanceId,
          executionId,
          newEvent(EventType.TimerFired, Math.max(fireAt, this.deps.now()), {
            TimerId: timerId,
            FireAt: new Date(fireAt).toISOString(),
          }),
        ),
    });
  }

  #enqueueActivity(work: ActivityWork): void {
    this.#activityQueue.push(work);
    this.#pumpActivities();
  }

  #pumpActivities(): void {
    while (
      !this.#stopped &&
      this.#activitiesRunning < this.deps.maxConcurrentActivities &&
      this.#activityQueue.length > 0
    ) {
      const work = this.#activityQueue.shift()!;
      this.#activitiesRunning++;
      void this.#runActivity(work).finally(() => {
        this.#activitiesRunning--;
        this.#notifyQuiet();
        this.#pumpActivities();
        this.deps.onWorkFinished();
      });
    }
  }

  async #runActivity(work: ActivityWork): Promise<void> {
    const record = this.deps.store.get(work.instanceId);
    if (!record || !isActive(record) || record.executionId !== work.executionId) return;
    const fn = this.deps.functions.get(work.name.toLowerCase());
    let event: HistoryEvent;
    try {
      if (!fn || fn.kind !== 'activity') throw new Error(`The function '${work.name}' is not an activity function.`);
      const output = await this.deps.invoker.invoke(fn, JSON.parse(work.input));
      const result = JSON.stringify(output === undefined ? null : output);
      // An output the backend can't take fails the activity, so the orchestrator's error handling / retries see it.
      const problem = payloadProblem(this.deps.limits, `output of activity '${work.name}'`, result);
      if (problem !== undefined) throw new PayloadTooLargeError(problem);
      event = newEvent(EventType.TaskCompleted, this.deps.now(), { TaskScheduledId: work.taskId, Result: result });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      event = newEvent(EventType.TaskFailed, this.deps.now(), {
        TaskScheduledId: work.taskId,
        Reason: `Activity function '${work.name}' failed: ${message}`,
        // The host puts the serialized exception here; JS shows it after the reason ("<Reason> \n <Details>").
        Details: JSON.stringify({
          ClassName: error instanceof Error ? error.name : typeof error,
          Message: message,
          StackTrace: error instanceof Error ? (error.stack ?? null) : null,
        }),
      });
    }
    if (this.#stopped) return;
    this.#deliver(work.instanceId, work.executionId, event);
  }

  #emit(record: InstanceRecord): void {
    const current = this.deps.store.get(record.instanceId) ?? record;
    for (const listener of this.#statusListeners) listener(current);
  }
}

export class UnknownFunctionError extends Error {}

class PayloadTooLargeError extends Error {
  override name = PAYLOAD_TOO_LARGE;
}

/**
 * The backend's message for a start refused because the id is taken: the Durable Task Scheduler's
 * (Azure/Durable-Task-Scheduler issue #40) or Azure Storage's (DurableTask.AzureStorage
 * AzureStorageOrchestrationService.CreateTaskOrchestrationAsync).
 */
export function alreadyExistsMessage(backend: StorageBackend, status: string): string {
  return backend === 'azureManaged'
    ? `An Orchestration instance with the status '${status}' already exists.`
    : `An Orchestration instance with the status ${status} already exists.`;
}

/**
 * Calls an orchestrator function once with the trigger payload the host sends (schema V3; Azure Storage timer
 * limits) and returns its OrchestratorState, also when the library reports an orchestrator error by throwing.
 * `history` is handed over as is: the library converts its Timestamp strings to Dates in place.
 */
export async function invokeOrchestrator(
  invoker: Invoker,
  fn: RegisteredFunction,
  execution: { instanceId: string; input: unknown; parentInstanceId: string | null; history: HistoryEvent[] },
): Promise<OrchestratorStateJson> {
  const executionStarted = execution.history.find((event) => event.EventType === EventType.ExecutionStarted);
  const trigger = {
    history: execution.history,
    input: execution.input,
    instanceId: execution.instanceId,
    isReplaying: executionStarted?.IsPlayed ?? false,
    parentInstanceId: execution.parentInstanceId,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 2,
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: '6.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
  try {
    const result = await invoker.invoke(fn, trigger, {
      outcomeOf: (value) => {
        const state = value as OrchestratorStateJson | undefined;
        if (state?.error !== undefined) return `Failed: ${state.error}`;
        return state?.isDone ? 'Succeeded' : 'Awaited';
      },
    });
    return readState(result);
  } catch (error) {
    // The library throws OrchestrationFailureError carrying the real state after "$OutOfProcData$:".
    const message = error instanceof Error ? error.message : '';
    const marker = message.indexOf('$OutOfProcData$:');
    if (marker < 0) throw error;
    return JSON.parse(message.slice(marker + '$OutOfProcData$:'.length)) as OrchestratorStateJson;
  }
}

/** Reads the library's OrchestratorState without a full JSON round trip (the action list can be thousands long). */
function readState(result: unknown): OrchestratorStateJson {
  const state = result as OrchestratorStateJson;
  return {
    isDone: state.isDone,
    actions: state.actions,
    ...(state.output !== undefined ? { output: jsonCopy(state.output) } : {}),
    ...(state.error !== undefined ? { error: state.error } : {}),
    ...(state.customStatus !== undefined ? { customStatus: jsonCopy(state.customStatus) } : {}),
  };
}

/** What a value looks like after the worker's JSON serialization (Dates become strings, undefined disappears). */
function jsonCopy(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

function played(event: HistoryEvent): HistoryEvent {
  return { ...event, IsPlayed: true };
}

function metaOf(record: InstanceRecord): InstanceMeta {
  return {
    runtimeStatus: record.runtimeStatus,
    output: record.output,
    customStatus: record.customStatus,
    lastUpdatedTime: record.lastUpdatedTime,
    failureDetails: record.failureDetails,
  };
}

/** ContinueAsNew inputs come through Utils.processInput: strings arrive JSON-encoded, other values raw. */
function decodeActionInput(input: unknown): unknown {
  return typeof input === 'string' ? JSON.parse(input) : jsonCopy(input);
}

function errorTypeOf(message: string): string {
  if (message.startsWith('Non-Deterministic')) return 'NonDeterministicOrchestrationException';
  if (message.includes("doesn't exist")) return 'FunctionNotFoundException';
  return 'OrchestrationFailureException';
}

function executionStarted(
  name: string,
  instanceId: string,
  executionId: string,
  input: unknown,
  now: number,
  parent?: ParentLink,
): HistoryEvent {
  return newEvent(EventType.ExecutionStarted, now, {
    Name: name,
    Version: '',
    Input: JSON.stringify(input ?? null),
    OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
    ...(parent
      ? {
          ParentInstance: {
            Name: '',
            OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
            TaskScheduleId: parent.taskScheduledId,
          },
        }
      : {}),
  });
}
