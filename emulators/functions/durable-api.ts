import { eventTypeName, type HistoryEvent } from './history';
import { isActive, UnknownFunctionError, type DurableEngine } from './engine';
import { HostApiError } from './limits';
import type { InstanceRecord } from './store';

/** Path of the Durable Functions HTTP management API, relative to the host origin. */
export const DURABLE_API_PREFIX = '/runtime/webhooks/durabletask';
const PAGE_SIZE = 100;

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
}

/** The binding data the durable client input receives (OrchestrationClientInputData). */
/**
 * The durable client's binding data. `rpcBaseUrl` is where the app's own client calls: on the host, a listener only
 * the worker can reach; here, the same server under a random path prefix nobody else knows (`rpcPrefix`), so the
 * public webhook URLs can require the key as Azure's do.
 */
export function durableClientData(
  baseUrl: string,
  taskHub: string,
  systemKey: string,
  rpcPrefix = '',
): Record<string, unknown> {
  const base = `${baseUrl}${DURABLE_API_PREFIX}`;
  const query = `taskHub=${taskHub}&connection=Storage&code=${systemKey}`;
  const instance = `${base}/instances/INSTANCEID`;
  return {
    taskHubName: taskHub,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: managementUrls(instance, query),
    baseUrl: base,
    requiredQueryStringParameters: query,
    // The JS client sends every call here when set (trailing slash required: it is used as a URL base).
    rpcBaseUrl: `${baseUrl}${rpcPrefix}${DURABLE_API_PREFIX}/`,
  };
}

function managementUrls(instance: string, query: string): Record<string, string> {
  return {
    id: 'INSTANCEID',
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

function managementPayload(
  baseUrl: string,
  taskHub: string,
  systemKey: string,
  instanceId: string,
): Record<string, string> {
  const query = `taskHub=${taskHub}&connection=Storage&code=${systemKey}`;
  const urls = managementUrls(`${baseUrl}${DURABLE_API_PREFIX}/instances/${encodeURIComponent(instanceId)}`, query);
  return { ...urls, id: instanceId };
}

/** Host's HTTP API timestamps: "yyyy-MM-ddTHH:mm:ssZ". */
function apiTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function historyForApi(history: HistoryEvent[], withOutput: boolean): Record<string, unknown>[] {
  return history.map((event) => {
    const entry: Record<string, unknown> = { EventType: eventTypeName(event.EventType), Timestamp: event.Timestamp };
    if (event.EventId >= 0) entry.EventId = event.EventId;
    if (event.Name !== undefined) entry.FunctionName = event.Name;
    if (event.TaskScheduledId !== undefined) entry.TaskScheduledId = event.TaskScheduledId;
    if (event.TimerId !== undefined) entry.TimerId = event.TimerId;
    if (event.FireAt !== undefined) entry.FireAt = event.FireAt;
    if (event.Reason !== undefined) entry.Reason = event.Reason;
    if (withOutput && event.Result !== undefined) entry.Result = safeParse(event.Result);
    if (withOutput && event.Input !== undefined) entry.Input = safeParse(event.Input);
    return entry;
  });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function statusPayload(
  record: InstanceRecord,
  options: { showInput?: boolean; showHistory?: boolean; showHistoryOutput?: boolean } = {},
): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.runtimeStatus,
    input: options.showInput === false ? null : record.input,
    customStatus: record.customStatus,
    output: record.output,
    createdTime: apiTime(record.createdTime),
    lastUpdatedTime: apiTime(record.lastUpdatedTime),
  };
  if (options.showHistory) {
    const events = historyForApi(record.history, options.showHistoryOutput === true);
    // The host sends `historyEvents`; the JS client reads `history` (durable-js issue #620): send both.
    payload.historyEvents = events;
    payload.history = events;
  }
  return payload;
}

interface ApiContext {
  engine: DurableEngine;
  baseUrl: string;
  taskHub: string;
  systemKey: string;
  instances: () => Iterable<InstanceRecord>;
}

/**
 * HttpApiHandler.HandleRequestAsync answers an exception other than ArgumentException with 500 and this body
 * (HttpRequestMessageExtensions.CreateErrorResponse in azure-functions-durable-extension; the same shape is quoted from
 * a real host in Azure/azure-sdk-for-python#28602 and Azure/azure-functions-durable-extension#1978).
 */
export function hostErrorResponse(error: HostApiError): ApiResponse {
  return {
    status: 500,
    json: {
      Message: 'Something went wrong while processing your request',
      ExceptionMessage: error.message,
      ExceptionType: error.exceptionType,
      StackTrace: '   at LocalFunctionsHost (the real host sends the .NET stack trace here)',
    },
  };
}

/** Serves `/runtime/webhooks/durabletask/...` (HttpApiHandler in the extension). `path` is the part after the prefix. */
export function handleDurableApi(
  method: string,
  path: string,
  query: URLSearchParams,
  headers: Record<string, string>,
  body: string,
  context: ApiContext,
): ApiResponse {
  try {
    return route(method, path, query, headers, body, context);
  } catch (error) {
    if (error instanceof HostApiError) return hostErrorResponse(error);
    throw error;
  }
}

function route(
  method: string,
  path: string,
  query: URLSearchParams,
  headers: Record<string, string>,
  body: string,
  context: ApiContext,
): ApiResponse {
  const segments = path
    .split('/')
    .filter((segment) => segment !== '')
    .map(decodeURIComponent);
  const [area, first, action, argument] = segments;
  if (area === 'orchestrators' && first !== undefined && method === 'POST') return start(first, action, body, context);
  if (area !== 'instances') return { status: 404, text: 'Not found' };
  if (first === undefined) {
    if (method === 'GET') return list(query, headers, context);
    if (method === 'DELETE') return purgeMany(query, context);
    return { status: 405, text: 'Method not allowed' };
  }
  const instanceId = first;
  if (action === undefined) {
    if (method === 'GET') return getStatus(instanceId, query, context);
    if (method === 'DELETE') return purgeOne(instanceId, context);
    return { status: 405, text: 'Method not allowed' };
  }
  if (method !== 'POST') return { status: 405, text: 'Method not allowed' };
  const reason = query.get('reason') ?? '';
  switch (action.toLowerCase()) {
    case 'raiseevent': {
      if (argument === undefined) return { status: 400, text: 'An event name is required.' };
      let data: unknown = null;
      try {
        data = body.trim() === '' ? null : JSON.parse(body);
      } catch {
        return { status: 400, text: 'The event body must be JSON.' };
      }
      return managementResult(context.engine.raiseEvent(instanceId, argument, data), instanceId);
    }
    case 'terminate':
      return managementResult(context.engine.terminate(instanceId, reason), instanceId);
    case 'suspend':
      return managementResult(context.engine.suspend(instanceId, reason), instanceId);
    case 'resume':
      return managementResult(context.engine.resume(instanceId, reason), instanceId);
    case 'rewind':
    case 'restart':
      return { status: 501, text: `${action} is not supported by the local Functions host.` };
    default:
      return { status: 404, text: 'Not found' };
  }
}

function managementResult(result: 'accepted' | 'notFound' | 'gone', instanceId: string): ApiResponse {
  if (result === 'accepted') return { status: 202 };
  if (result === 'notFound') return { status: 404, text: `No instance with ID '${instanceId}' found.` };
  return { status: 410, text: `The instance '${instanceId}' is no longer running.` };
}

/**
 * Only a Completed, Failed, Terminated or Canceled instance can be purged: the extension checks the runtime status in
 * HttpApiHandler before purging (azure-functions-durable-extension PR #3311, 2026). The status code and text of that
 * refusal were not in the sources available here; this answers 400 with the handler's `{ Message }` error shape.
 */
function purgeOne(instanceId: string, context: ApiContext): ApiResponse {
  const record = context.engine.get(instanceId);
  const result = context.engine.purge(instanceId);
  if (result === 'deleted') return { status: 200, json: { instancesDeleted: 1 } };
  if (result === 'notFound') return { status: 404, json: { instancesDeleted: 0 } };
  return {
    status: 400,
    json: {
      Message:
        `The orchestration instance '${instanceId}' is ${record?.runtimeStatus ?? 'not finished'}: only instances that are ` +
        'Completed, Failed, Terminated or Canceled can be purged. Terminate it first.',
    },
  };
}

function start(name: string, instanceId: string | undefined, body: string, context: ApiContext): ApiResponse {
  let input: unknown;
  try {
    input = body.trim() === '' ? undefined : JSON.parse(body);
  } catch {
    return { status: 400, text: 'The request body must be JSON.' };
  }
  try {
    const started = context.engine.startNew(name, input, instanceId);
    const payload = managementPayload(context.baseUrl, context.taskHub, context.systemKey, started.instanceId);
    return {
      status: 202,
      headers: { Location: payload.statusQueryGetUri!, 'Retry-After': '10' },
      json: payload,
    };
  } catch (error) {
    if (error instanceof UnknownFunctionError) return { status: 400, text: error.message };
    throw error;
  }
}

function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name);
  return value === null ? fallback : value.toLowerCase() === 'true';
}

function getStatus(instanceId: string, query: URLSearchParams, context: ApiContext): ApiResponse {
  const record = context.engine.get(instanceId);
  if (!record) return { status: 404, json: null };
  const json = statusPayload(record, {
    showInput: flag(query, 'showInput', true),
    showHistory: flag(query, 'showHistory', false),
    showHistoryOutput: flag(query, 'showHistoryOutput', false),
  });
  if (isActive(record)) {
    const location = `${context.baseUrl}${DURABLE_API_PREFIX}/instances/${encodeURIComponent(instanceId)}`;
    return { status: 202, headers: { Location: location, 'Retry-After': '5' }, json };
  }
  const failedAsError = record.runtimeStatus === 'Failed' && flag(query, 'returnInternalServerErrorOnFailure', false);
  return { status: failedAsError ? 500 : 200, json };
}

function matchesFilter(record: InstanceRecord, query: URLSearchParams): boolean {
  const from = query.get('createdTimeFrom');
  const to = query.get('createdTimeTo');
  const statuses = query.get('runtimeStatus');
  const prefix = query.get('instanceIdPrefix');
  if (from && record.createdTime < Date.parse(from)) return false;
  if (to && record.createdTime > Date.parse(to)) return false;
  if (statuses) {
    const wanted = new Set(statuses.split(',').map((status) => status.trim().toLowerCase()));
    if (!wanted.has(record.runtimeStatus.toLowerCase())) return false;
  }
  if (prefix && !record.instanceId.startsWith(prefix)) return false;
  return true;
}

function list(query: URLSearchParams, headers: Record<string, string>, context: ApiContext): ApiResponse {
  const matching = [...context.instances()]
    .filter((record) => matchesFilter(record, query))
    .sort((a, b) => a.createdTime - b.createdTime || a.instanceId.localeCompare(b.instanceId));
  const top = Number(query.get('top') ?? PAGE_SIZE) || PAGE_SIZE;
  const token = headers['x-ms-continuation-token'];
  const offset = token ? Number(Buffer.from(token, 'base64').toString('utf8')) || 0 : 0;
  const page = matching.slice(offset, offset + top);
  const responseHeaders: Record<string, string> = {};
  if (offset + top < matching.length) {
    responseHeaders['x-ms-continuation-token'] = Buffer.from(String(offset + top)).toString('base64');
  }
  const withInput = flag(query, 'showInput', true);
  return {
    status: 200,
    headers: responseHeaders,
    json: page.map((record) => statusPayload(record, { showInput: withInput })),
  };
}

function purgeMany(query: URLSearchParams, context: ApiContext): ApiResponse {
  const doomed = [...context.instances()].filter((record) => !isActive(record) && matchesFilter(record, query));
  for (const record of doomed) context.engine.purge(record.instanceId);
  return doomed.length > 0
    ? { status: 200, json: { instancesDeleted: doomed.length } }
    : { status: 404, json: { instancesDeleted: 0 } };
}
