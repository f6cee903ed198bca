import { EventType, type HistoryEvent } from './history';
import { tooManyActionsMessage } from './limits';

/**
 * Emulates what the Functions host's C# `OutOfProcOrchestrationShim` + DTFx `TaskOrchestrationContext` do with
 * the action list returned by the JS orchestrator: walk the whole history of the execution in order, run the
 * action list as a sequential loop (each action is invoked, then awaited, before the next one is invoked),
 * give every scheduled activity / timer / sub-orchestration the next sequence number at the moment it is
 * invoked, and check each scheduling event already in history against what the replay produced.
 * Ids left unmatched at the end are this episode's new decisions.
 * Reference: durable-functions-protocol.md §2.3–2.7.
 */

export interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface ActionJson {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  retryOptions?: RetryOptionsJson;
  /** A Date when read straight from the library's action objects, an ISO string after JSON. */
  fireAt?: string | Date;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: ActionJson[];
}

const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

const UNSUPPORTED_ACTIONS = new Map<number, string>([
  [ActionType.CallEntity, 'callEntity'],
  [ActionType.CallHttp, 'callHttp'],
  [ActionType.SignalEntity, 'signalEntity'],
  [ActionType.LockEntities, 'lock'],
  [ActionType.ReleaseEntities, 'lock release'],
]);

/** Timer-related settings the host sends in the trigger (Azure Storage defaults). */
export const LONG_RUNNING_TIMER_INTERVAL_MS = 3 * 24 * 3600_000;
export const MAXIMUM_SHORT_TIMER_MS = 6 * 24 * 3600_000;

export type Decision =
  | { kind: 'activity'; id: number; name: string; input: unknown }
  | { kind: 'timer'; id: number; fireAt: number }
  | { kind: 'subOrchestration'; id: number; name: string; instanceId: string; input: unknown };

export interface ShimContext {
  instanceId: string;
  executionId: string;
  /** The orchestrator's name, for failure messages ("Orchestrator function '<name>' failed: ..."). */
  orchestratorName: string;
  /** DurableTaskOptions.MaxOrchestrationActions: actions one execution may schedule. */
  maxOrchestrationActions: number;
  /** Why a payload can't be sent as one backend message, or undefined when it fits. */
  payloadProblem(what: string, json: string): string | undefined;
  /** Case-insensitive lookup; returns the registered name, or undefined when no such function of that kind exists. */
  resolveFunction(name: string, kind: 'activity' | 'orchestration'): string | undefined;
  describeFunctions(kind: 'activity' | 'orchestration'): string[];
}

export interface ShimResult {
  /** New scheduling events (in id order) and what they ask the host to do. */
  decisions: { event: HistoryEvent; decision: Decision }[];
  loopFinished: boolean;
  openTasks: number;
  waitingForEvents: number;
  nextSequenceNumber: number;
  continueAsNew?: { input: unknown };
  /** The instance must fail (non-determinism, unknown function, unsupported action). */
  fatal?: string;
}

class FatalShimError extends Error {}

type TaskState = 'pending' | 'completed' | 'failed';

class HostTask {
  state: TaskState = 'pending';
  failureReason = '';
  readonly #listeners: (() => void)[] = [];

  onSettled(listener: () => void): void {
    if (this.state !== 'pending') listener();
    else this.#listeners.push(listener);
  }

  complete(): void {
    this.#settle('completed');
  }

  fail(reason: string): void {
    this.failureReason = reason;
    this.#settle('failed');
  }

  #settle(state: TaskState): void {
    if (this.state !== 'pending') return;
    this.state = state;
    for (const listener of this.#listeners.splice(0)) listener();
  }
}

interface ScheduledInHistory {
  type: number;
  name: string;
}

export function runShim(
  history: readonly HistoryEvent[],
  actions: readonly ActionJson[],
  context: ShimContext,
): ShimResult {
  return new ShimRun(history, actions, context).run();
}

class ShimRun {
  #sequence = 0;
  #now = 0;
  readonly #recorded = new Map<number, ScheduledInHistory>();
  readonly #allocated = new Set<number>();
  readonly #openTasks = new Map<number, HostTask>();
  readonly #eventWaiters = new Map<string, HostTask[]>();
  readonly #bufferedEvents = new Map<string, number>();
  readonly #decisions: { event: HistoryEvent; decision: Decision }[] = [];
  #loopIndex = 0;
  #loopCurrent: HostTask | undefined;
  #loopFinished = false;
  #advancing = false;
  #actionCount = 0;
  #continueAsNew: { input: unknown } | undefined;

  constructor(
    private readonly history: readonly HistoryEvent[],
    private readonly actions: readonly ActionJson[],
    private readonly context: ShimContext,
  ) {
    for (const event of history) {
      if (isScheduling(event.EventType))
        this.#recorded.set(event.EventId, { type: event.EventType, name: event.Name ?? '' });
    }
  }

  run(): ShimResult {
    let fatal: string | undefined;
    try {
      for (const event of this.history) this.#process(event);
    } catch (error) {
      if (!(error instanceof FatalShimError)) throw error;
      fatal = error.message;
    }
    let waitingForEvents = 0;
    for (const waiters of this.#eventWaiters.values()) waitingForEvents += waiters.length;
    return {
      decisions: this.#decisions,
      loopFinished: this.#loopFinished,
      openTasks: this.#openTasks.size,
      waitingForEvents,
      nextSequenceNumber: this.#sequence,
      ...(this.#continueAsNew ? { continueAsNew: this.#continueAsNew } : {}),
      ...(fatal !== undefined ? { fatal } : {}),
    };
  }

  #process(event: HistoryEvent): void {
    switch (event.EventType) {
      case EventType.OrchestratorStarted:
        this.#now = Math.max(this.#now, Date.parse(event.Timestamp));
        break;
      case EventType.ExecutionStarted:
        this.#advanceLoop();
        break;
      case EventType.TaskScheduled:
      case EventType.TimerCreated:
      case EventType.SubOrchestrationInstanceCreated:
        if (!this.#allocated.has(event.EventId)) {
          throw new FatalShimError(
            `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled a ${describeType(event.EventType)} ` +
              `with sequence ID ${event.EventId}${event.Name ? ` and name '${event.Name}'` : ''}, but the current replay execution hasn't ` +
              `(yet?) scheduled this task. Was a change made to the orchestrator code after this instance had already started running?`,
          );
        }
        break;
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted:
        this.#settleOpen(event.TaskScheduledId, (task) => task.complete());
        break;
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed:
        this.#settleOpen(event.TaskScheduledId, (task) => task.fail(event.Reason ?? ''));
        break;
      case EventType.TimerFired:
        this.#settleOpen(event.TimerId, (task) => task.complete());
        break;
      case EventType.EventRaised:
        this.#deliverEvent((event.Name ?? '').toLowerCase());
        break;
      default:
        break;
    }
  }

  #settleOpen(id: number | undefined, settle: (task: HostTask) => void): void {
    if (id === undefined) return;
    const task = this.#openTasks.get(id);
    if (!task) return; // DTFx drops completions it has no open task for.
    this.#openTasks.delete(id);
    settle(task);
  }

  /** C# matches event names case-insensitively, first waiter first; early events are buffered. */
  #deliverEvent(name: string): void {
    const waiters = this.#eventWaiters.get(name);
    const waiter = waiters?.shift();
    if (waiter) {
      waiter.complete();
      return;
    }
    this.#bufferedEvents.set(name, (this.#bufferedEvents.get(name) ?? 0) + 1);
  }

  /** The shim's `foreach (action) { invoke; await }` loop, resumed whenever the awaited task settles. */
  #advanceLoop(): void {
    if (this.#advancing) return;
    this.#advancing = true;
    try {
      while (!this.#loopFinished) {
        if (this.#loopCurrent && this.#loopCurrent.state === 'pending') return;
        const action = this.actions[this.#loopIndex];
        if (action === undefined) {
          this.#loopFinished = true;
          return;
        }
        this.#loopIndex++;
        this.#loopCurrent = this.#invoke(action);
        this.#loopCurrent.onSettled(() => this.#advanceLoop());
      }
    } finally {
      this.#advancing = false;
    }
  }

  #invoke(action: ActionJson): HostTask {
    switch (action.actionType) {
      case ActionType.CallActivity:
        this.#countAction();
        return this.#scheduleActivity(action);
      case ActionType.CallActivityWithRetry:
        // One action however many attempts the retry makes (the retry timers are DTFx's own, uncounted).
        this.#countAction();
        return this.#withRetry(action, () => this.#scheduleActivity(action));
      case ActionType.CallSubOrchestrator:
        this.#countAction();
        return this.#scheduleSubOrchestration(action);
      case ActionType.CallSubOrchestratorWithRetry:
        this.#countAction();
        return this.#withRetry(action, () => this.#scheduleSubOrchestration(action));
      case ActionType.ContinueAsNew: {
        this.#continueAsNew = { input: action.input };
        return settled();
      }
      case ActionType.CreateTimer:
        return this.#createTimer(action);
      case ActionType.WaitForExternalEvent:
        return this.#waitForEvent(action.externalEventName ?? '');
      case ActionType.WhenAll:
      case ActionType.WhenAny: {
        const children = (action.compoundActions ?? []).map((child) => this.#invoke(child));
        return action.actionType === ActionType.WhenAll ? whenAll(children) : whenAny(children);
      }
      default: {
        const feature = UNSUPPORTED_ACTIONS.get(action.actionType) ?? `action type ${action.actionType}`;
        throw new FatalShimError(
          `The local Functions host does not support ${feature} (durable entities / HTTP actions).`,
        );
      }
    }
  }

  /**
   * DurableOrchestrationContext.IncrementActionsOrThrowException: every replay counts the execution's actions from
   * the start, so the limit is per execution; reaching it fails the orchestration.
   */
  #countAction(): void {
    if (this.#actionCount >= this.context.maxOrchestrationActions) {
      throw new FatalShimError(this.#failure(tooManyActionsMessage(this.context.maxOrchestrationActions)));
    }
    this.#actionCount++;
  }

  /** The message of an exception the shim throws into the orchestrator's invocation (TaskOrchestrationShim). */
  #failure(message: string): string {
    return `Orchestrator function '${this.context.orchestratorName}' failed: ${message}`;
  }

  #checkPayload(what: string, json: string): void {
    const problem = this.context.payloadProblem(what, json);
    if (problem !== undefined) throw new FatalShimError(this.#failure(problem));
  }

  #allocate(type: number, name: string): { id: number; isNew: boolean } {
    const id = this.#sequence++;
    this.#allocated.add(id);
    const recorded = this.#recorded.get(id);
    if (!recorded) return { id, isNew: true };
    if (recorded.type !== type || recorded.name.toLowerCase() !== name.toLowerCase()) {
      throw new FatalShimError(
        `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled a ${describeType(recorded.type)}` +
          `${recorded.name ? ` named '${recorded.name}'` : ''} with sequence ID ${id}, but the current replay execution scheduled a ` +
          `${describeType(type)}${name ? ` named '${name}'` : ''} with that ID. Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
    return { id, isNew: false };
  }

  #resolve(name: string | undefined, kind: 'activity' | 'orchestration'): string {
    const resolved = name === undefined ? undefined : this.context.resolveFunction(name, kind);
    if (resolved === undefined) {
      const known = this.context.describeFunctions(kind).join(', ');
      throw new FatalShimError(
        `The function '${name ?? ''}' doesn't exist, is disabled, or is not ${kind === 'activity' ? 'an activity' : 'an orchestrator'} function. ` +
          `Additional info: the following are the known ${kind} functions: ${known || '(none)'}.`,
      );
    }
    return resolved;
  }

  #scheduleActivity(action: ActionJson): HostTask {
    const name = this.#resolve(action.functionName, 'activity');
    const { id, isNew } = this.#allocate(EventType.TaskScheduled, name);
    if (isNew) {
      const input = encodeInput(action.input);
      // The backend refuses to store the episode that schedules it (checked only for new decisions).
      this.#checkPayload(`input of activity '${name}'`, input);
      this.#decide(
        { EventType: EventType.TaskScheduled, EventId: id, Name: name, Input: input },
        { kind: 'activity', id, name, input: action.input },
      );
    }
    return this.#open(id);
  }

  #scheduleSubOrchestration(action: ActionJson): HostTask {
    const name = this.#resolve(action.functionName, 'orchestration');
    const { id, isNew } = this.#allocate(EventType.SubOrchestrationInstanceCreated, name);
    const instanceId = action.instanceId || `${this.context.executionId}:${id}`;
    if (isNew) {
      if (instanceId === this.context.instanceId) {
        throw new FatalShimError(`A sub-orchestration cannot use its parent's instance id '${instanceId}'.`);
      }
      if (instanceId.startsWith('@'))
        throw new FatalShimError(`Orchestration instance ids must not start with '@' ('${instanceId}').`);
      const input = JSON.stringify(action.input ?? null);
      this.#checkPayload(`input of sub-orchestration '${name}'`, input);
      this.#decide(
        {
          EventType: EventType.SubOrchestrationInstanceCreated,
          EventId: id,
          Name: name,
          InstanceId: instanceId,
          Input: input,
        },
        { kind: 'subOrchestration', id, name, instanceId, input: action.input },
      );
    }
    return this.#open(id);
  }

  #createSingleTimer(fireAt: number, canceled: boolean): HostTask {
    const { id, isNew } = this.#allocate(EventType.TimerCreated, '');
    // A cancelled timer still consumes its id and is still created (and fires later); it is just not awaited.
    if (isNew) {
      this.#decide(
        { EventType: EventType.TimerCreated, EventId: id, FireAt: new Date(fireAt).toISOString() },
        { kind: 'timer', id, fireAt },
      );
    }
    if (canceled) return settled();
    return this.#open(id);
  }

  /** DurableOrchestrationContext.CreateTimer: timers beyond the provider maximum become 3-day intervals. */
  #createTimer(action: ActionJson): HostTask {
    const fireAt = action.fireAt === undefined ? Number.NaN : new Date(action.fireAt).getTime();
    const canceled = action.isCanceled === true;
    if (fireAt - this.#now <= MAXIMUM_SHORT_TIMER_MS) {
      this.#countAction();
      return this.#createSingleTimer(fireAt, canceled);
    }
    const whole = new HostTask();
    const next = (): void => {
      if (this.#now >= fireAt) {
        whole.complete();
        return;
      }
      const subFireAt = Math.min(this.#now + LONG_RUNNING_TIMER_INTERVAL_MS, fireAt);
      // Each interval of a long timer is one action.
      this.#countAction();
      const sub = this.#createSingleTimer(subFireAt, canceled);
      if (canceled) whole.complete();
      else sub.onSettled(next);
    };
    next();
    return whole;
  }

  #waitForEvent(name: string): HostTask {
    const key = name.toLowerCase();
    const task = new HostTask();
    const buffered = this.#bufferedEvents.get(key) ?? 0;
    if (buffered > 0) {
      this.#bufferedEvents.set(key, buffered - 1);
      task.complete();
      return task;
    }
    const waiters = this.#eventWaiters.get(key) ?? [];
    waiters.push(task);
    this.#eventWaiters.set(key, waiters);
    return task;
  }

  /** DTFx RetryInterceptor: retry timer after each failure (a zero-delay one after the last), none once the retry timeout passed. */
  #withRetry(action: ActionJson, attempt: () => HostTask): HostTask {
    const options = action.retryOptions;
    if (!options) throw new FatalShimError('A retry action arrived without retryOptions.');
    const whole = new HostTask();
    const firstAttemptAt = this.#now;
    const timeoutMs = options.retryTimeoutInMilliseconds ?? Number.POSITIVE_INFINITY;
    const backoff = options.backoffCoefficient ?? 1;
    const maxInterval = options.maxRetryIntervalInMilliseconds ?? Number.POSITIVE_INFINITY;
    let attemptsMade = 0;
    const runAttempt = (): void => {
      attemptsMade++;
      const task = attempt();
      task.onSettled(() => {
        if (task.state === 'completed') {
          whole.complete();
          return;
        }
        if (this.#now >= firstAttemptAt + timeoutMs) {
          whole.fail(task.failureReason);
          return;
        }
        const isLast = attemptsMade >= options.maxNumberOfAttempts;
        const delay = isLast
          ? 0
          : Math.min(options.firstRetryIntervalInMilliseconds * backoff ** (attemptsMade - 1), maxInterval);
        const timer = this.#createSingleTimer(this.#now + delay, false);
        timer.onSettled(() => (isLast ? whole.fail(task.failureReason) : runAttempt()));
      });
    };
    runAttempt();
    return whole;
  }

  #open(id: number): HostTask {
    const task = new HostTask();
    this.#openTasks.set(id, task);
    return task;
  }

  #decide(fields: Pick<HistoryEvent, 'EventType' | 'EventId'> & Partial<HistoryEvent>, decision: Decision): void {
    const event: HistoryEvent = { IsPlayed: false, Timestamp: new Date(this.#now).toISOString(), ...fields };
    this.#decisions.push({ event, decision });
  }
}

function settled(): HostTask {
  const task = new HostTask();
  task.complete();
  return task;
}

function whenAll(children: HostTask[]): HostTask {
  const whole = new HostTask();
  let remaining = children.length;
  if (remaining === 0) whole.complete();
  for (const child of children) {
    child.onSettled(() => {
      remaining--;
      if (remaining === 0) whole.complete();
    });
  }
  return whole;
}

function whenAny(children: HostTask[]): HostTask {
  const whole = new HostTask();
  if (children.length === 0) whole.complete();
  for (const child of children) child.onSettled(() => whole.complete());
  return whole;
}

function isScheduling(type: number): boolean {
  return (
    type === EventType.TaskScheduled ||
    type === EventType.TimerCreated ||
    type === EventType.SubOrchestrationInstanceCreated
  );
}

function describeType(type: number): string {
  if (type === EventType.TaskScheduled) return 'task';
  if (type === EventType.TimerCreated) return 'timer';
  return 'sub-orchestration';
}

/** Activity inputs arrive already JSON-encoded when they are strings (Utils.processInput); others are raw. */
function encodeInput(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input ?? null);
}
