/**
 * DTFx history events in the PascalCase JSON shape the durable-functions library reads (its replay of
 * `context.df` history; see emulators/functions/README.md).
 */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
  ContinueAsNew: 16,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

const EVENT_TYPE_NAMES = new Map<number, string>(Object.entries(EventType).map(([name, value]) => [value, name]));
export function eventTypeName(type: number): string {
  return EVENT_TYPE_NAMES.get(type) ?? `EventType${type}`;
}

/** DTFx `OrchestrationStatus`, as written into ExecutionCompleted. */
export const OrchestrationStatusCode = { Completed: 1, ContinuedAsNew: 2, Failed: 3, Terminated: 5 } as const;

export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
}

export interface HistoryEvent {
  EventType: number;
  /** Sequence number for scheduling events (TaskScheduled, TimerCreated, …), -1 otherwise. */
  EventId: number;
  IsPlayed: boolean;
  /** ISO UTC time. */
  Timestamp: string;
  Name?: string;
  Input?: string;
  Result?: string;
  Version?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetails;
  InstanceId?: string;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  ParentInstance?: {
    Name: string;
    OrchestrationInstance: { InstanceId: string; ExecutionId: string };
    TaskScheduleId: number;
  };
  OrchestrationStatus?: number;
}

export function newEvent(type: EventTypeValue, timestampMs: number, fields: Partial<HistoryEvent> = {}): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: new Date(timestampMs).toISOString(), ...fields };
}
