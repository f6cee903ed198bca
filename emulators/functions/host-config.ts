import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The parts of host.json this runtime reads (see README "host.json"). Everything else in the file is ignored.
 * Sources: azure-functions-host ScriptJobHostOptionsSetup.cs (functionTimeout), azure-functions-durable-extension
 * Options/DurableTaskOptions.cs, OverridableStates.cs and AzureStorageDurabilityProviderFactory.cs (durableTask).
 */
export type StorageBackend = 'azureManaged' | 'AzureStorage' | 'other';
export type OverridableStates = 'NonRunningStates' | 'AnyState';

export interface HostConfig {
  /** Where the settings came from: a file path, "options" (an object passed in) or "defaults" (no host.json). */
  source: string;
  /** undefined = no timeout ("-1"). */
  functionTimeoutMs: number | undefined;
  /** The timeout as .NET prints a TimeSpan ("00:10:00"), for the host's messages. */
  functionTimeoutText: string;
  /** extensions.durableTask.storageProvider.type; the extension's default provider is Azure Storage. */
  storageBackend: StorageBackend;
  storageProviderType: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  maxOrchestrationActions: number;
  overridableExistingInstanceStates: OverridableStates;
}

/** A host.json as parsed JSON. Values are read case-insensitively, as .NET configuration binding does. */
export type HostJson = Record<string, unknown>;

const MS_PER_SECOND = 1000;
/** ScriptJobHostOptionsSetup.DefaultFunctionTimeout (Premium / Dedicated; Consumption would be 5 minutes). */
const DEFAULT_FUNCTION_TIMEOUT_MS = 30 * 60 * MS_PER_SECOND;
const MIN_FUNCTION_TIMEOUT_MS = MS_PER_SECOND;
/** DurableTaskOptions.MaxOrchestrationActions default. */
const DEFAULT_MAX_ORCHESTRATION_ACTIONS = 100_000;

/** The app's host.json: the one next to the package.json that owns the app entry (the function app root). */
export function findHostJson(appEntry: string): string | undefined {
  let directory = path.dirname(path.resolve(appEntry));
  for (;;) {
    if (fs.existsSync(path.join(directory, 'package.json'))) {
      const candidate = path.join(directory, 'host.json');
      return fs.existsSync(candidate) ? candidate : undefined;
    }
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/** Reads and validates host.json (a path, an object, or the app's own when `given` is undefined). Throws like a host that refuses to start. */
export function loadHostConfig(appEntry: string, given: string | HostJson | undefined): HostConfig {
  let json: HostJson = {};
  let source = 'defaults';
  if (typeof given === 'object') {
    json = given;
    source = 'options';
  } else {
    const file = given ?? findHostJson(appEntry);
    if (file !== undefined) {
      const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error(`${file} must contain a JSON object.`);
      json = parsed as HostJson;
      source = file;
    }
  }
  const durableTask = objectAt(json, 'extensions', 'durableTask');
  const storageProviderType = stringAt(objectAt(durableTask, 'storageProvider'), 'type') ?? 'AzureStorage';
  const timeout = functionTimeout(json);
  return {
    source,
    ...timeout,
    storageBackend: backendOf(storageProviderType),
    storageProviderType,
    // AzureStorageDurabilityProviderFactory: 10 × processors outside Consumption; the DTS provider's defaults are not public.
    maxConcurrentActivityFunctions:
      positiveInteger(durableTask, 'maxConcurrentActivityFunctions') ?? 10 * os.availableParallelism(),
    maxConcurrentOrchestratorFunctions:
      positiveInteger(durableTask, 'maxConcurrentOrchestratorFunctions') ?? 10 * os.availableParallelism(),
    maxOrchestrationActions:
      positiveInteger(durableTask, 'maxOrchestrationActions', true) ?? DEFAULT_MAX_ORCHESTRATION_ACTIONS,
    overridableExistingInstanceStates: overridableStates(stringAt(durableTask, 'overridableExistingInstanceStates')),
  };
}

function backendOf(type: string): StorageBackend {
  const lower = type.toLowerCase();
  if (lower === 'azuremanaged') return 'azureManaged';
  if (lower === 'azurestorage') return 'AzureStorage';
  return 'other';
}

function functionTimeout(json: HostJson): { functionTimeoutMs: number | undefined; functionTimeoutText: string } {
  const raw = valueAt(json, 'functionTimeout');
  if (raw === undefined || raw === null) {
    return {
      functionTimeoutMs: DEFAULT_FUNCTION_TIMEOUT_MS,
      functionTimeoutText: formatTimeSpan(DEFAULT_FUNCTION_TIMEOUT_MS),
    };
  }
  const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : JSON.stringify(raw);
  const ms = parseTimeSpan(text);
  if (ms === undefined) throw new Error(`host.json functionTimeout '${text}' is not a TimeSpan (like "00:10:00").`);
  // "-1" (one negative day) means no timeout on plans that allow it.
  if (ms === -24 * 3600 * MS_PER_SECOND) return { functionTimeoutMs: undefined, functionTimeoutText: '-1.00:00:00' };
  if (ms < MIN_FUNCTION_TIMEOUT_MS) {
    throw new Error('FunctionTimeout must be greater than 00:00:01 and less than 10675199.02:48:05.4775807.');
  }
  return { functionTimeoutMs: ms, functionTimeoutText: formatTimeSpan(ms) };
}

function overridableStates(value: string | undefined): OverridableStates {
  if (value === undefined) return 'NonRunningStates';
  if (value.toLowerCase() === 'anystate') return 'AnyState';
  if (value.toLowerCase() === 'nonrunningstates') return 'NonRunningStates';
  throw new Error(`host.json overridableExistingInstanceStates must be AnyState or NonRunningStates, not '${value}'.`);
}

/** DurableTaskOptions.Validate rejects zero and negative concurrency limits. */
function positiveInteger(section: HostJson | undefined, key: string, zeroAllowed = false): number | undefined {
  const raw = valueAt(section, key);
  if (raw === undefined || raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    const name = key.charAt(0).toUpperCase() + key.slice(1);
    throw new Error(`${name} must be a positive integer value.`);
  }
  return value;
}

/** .NET TimeSpan text: "[-][d.]hh:mm[:ss[.fffffff]]", or a whole number of days. */
export function parseTimeSpan(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^-?\d+$/.test(trimmed)) return Number(trimmed) * 24 * 3600 * MS_PER_SECOND;
  const match = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(trimmed);
  if (!match) return undefined;
  const [, sign, days, hours, minutes, seconds, fraction] = match;
  const ms =
    ((Number(days ?? 0) * 24 + Number(hours)) * 3600 + Number(minutes) * 60 + Number(seconds ?? 0)) * MS_PER_SECOND +
    Math.round(Number(`0.${fraction ?? '0'}`) * MS_PER_SECOND);
  return sign ? -ms : ms;
}

/** TimeSpan.ToString(): "hh:mm:ss", with "d." for days and ".fffffff" for fractions of a second. */
export function formatTimeSpan(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${sign}${days > 0 ? `${days}.` : ''}${two(hours)}:${two(minutes)}:${two(seconds)}` +
    (millis > 0 ? `.${String(millis * 10_000).padStart(7, '0')}` : '')
  );
}

function valueAt(section: HostJson | undefined, key: string): unknown {
  if (section === undefined) return undefined;
  const lower = key.toLowerCase();
  const found = Object.keys(section).find((candidate) => candidate.toLowerCase() === lower);
  return found === undefined ? undefined : section[found];
}

function objectAt(section: HostJson | undefined, ...keys: string[]): HostJson | undefined {
  let current: unknown = section;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = valueAt(current as HostJson, key);
  }
  return typeof current === 'object' && current !== null ? (current as HostJson) : undefined;
}

function stringAt(section: HostJson | undefined, key: string): string | undefined {
  const value = valueAt(section, key);
  return typeof value === 'string' ? value : undefined;
}
