import type { HostConfig } from './host-config';

/**
 * Size and count limits the real backend and extension enforce (README "Limits").
 * - Custom status: at most 16 KB of UTF-16 JSON (DurableOrchestrationContext.SetCustomStatus with
 *   MessagePayloadDataConverter.Serialize(value, 16) in azure-functions-durable-extension), any backend.
 * - Actions: DurableTaskOptions.MaxOrchestrationActions, 100,000 per execution by default, any backend.
 * - Payloads: the Durable Task Scheduler takes messages of up to 1 MiB (Azure-Samples/Durable-Task-Scheduler
 *   samples/durable-task-sdks/dotnet/LargePayload/README.md; large-payload offloading exists only for .NET/Python/Java/Go,
 *   not JavaScript: learn.microsoft.com/azure/durable-task/scheduler/durable-task-scheduler-large-payloads).
 *   Azure Storage compresses large messages and moves them to blobs, so it has no practical payload limit.
 */
export interface DurableLimits {
  /** Largest JSON payload, in UTF-8 bytes, one message may carry. Infinity = no limit. */
  maxPayloadBytes: number;
  /** Custom status: the UTF-16 size in whole KB (rounded down, as the extension does) must not exceed this. */
  maxCustomStatusKB: number;
  /** Actions (activity / sub-orchestration calls, timers) one execution may schedule. */
  maxOrchestrationActions: number;
}

export const DTS_MAX_PAYLOAD_BYTES = 1_048_576;
const CUSTOM_STATUS_MAX_KB = 16;

export function defaultLimits(config: HostConfig): DurableLimits {
  return {
    maxPayloadBytes: config.storageBackend === 'azureManaged' ? DTS_MAX_PAYLOAD_BYTES : Number.POSITIVE_INFINITY,
    maxCustomStatusKB: CUSTOM_STATUS_MAX_KB,
    maxOrchestrationActions: config.maxOrchestrationActions,
  };
}

/** Thrown for requests the backend refuses; the HTTP API answers them the way HttpApiHandler answers any exception. */
export class HostApiError extends Error {
  constructor(
    message: string,
    readonly exceptionType: string,
  ) {
    super(message);
  }
}

export const PAYLOAD_TOO_LARGE = 'PayloadTooLargeException (local runtime)';

/** Why `json` can't be sent as one message, or undefined when it fits. `what` names the payload for the message. */
export function payloadProblem(limits: DurableLimits, what: string, json: string): string | undefined {
  if (!Number.isFinite(limits.maxPayloadBytes)) return undefined;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= limits.maxPayloadBytes) return undefined;
  return (
    `The ${what} is ${bytes.toLocaleString('en-US')} bytes of JSON, more than the ${limits.maxPayloadBytes.toLocaleString('en-US')} ` +
    `bytes one Durable Task Scheduler message can carry. Store large data elsewhere (e.g. a blob) and pass a reference.`
  );
}

/** The extension's own check and wording (MessagePayloadDataConverter.Serialize with a 16 KB maximum). */
export function customStatusProblem(limits: DurableLimits, json: string): string | undefined {
  // JS strings are UTF-16 code units, two bytes each; the extension rounds the size down to whole KB.
  const kilobytes = Math.floor((json.length * 2) / 1024);
  if (kilobytes <= limits.maxCustomStatusKB) return undefined;
  return (
    `The UTF-16 size of the JSON-serialized payload must not exceed ${limits.maxCustomStatusKB.toLocaleString('en-US')} KB. ` +
    `The current payload size is ${kilobytes.toLocaleString('en-US')} KB.`
  );
}

/** DurableOrchestrationContext.IncrementActionsOrThrowException's message. */
export function tooManyActionsMessage(limit: number): string {
  return (
    `Maximum amount of orchestration actions (${limit}) has been reached. ` +
    'This value can be configured in host.json file as MaxOrchestrationActions.'
  );
}
