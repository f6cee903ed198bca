/**
 * How `npm start` decides what to run: pure functions over the settings (local.settings.json `Values`, then the
 * environment, which wins), so the decisions are unit-tested without starting anything.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APP_SETTINGS } from '../../src/config/settings';

export type Settings = Record<string, string>;

/** The connection string Core Tools and the samples use for "Azurite on this machine". */
export const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

/** Reads `Values` of `<directory>/local.settings.json`; an absent file means no values. */
export function readLocalSettingsFile(directory: string): Settings {
  const file = path.join(directory, 'local.settings.json');
  if (!fs.existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const values = (parsed as { Values?: unknown } | null)?.Values;
  if (values === undefined) return {};
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new Error(`${file}: "Values" must be an object of setting names to values.`);
  }
  return Object.fromEntries(
    Object.entries(values as Record<string, unknown>).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}

/** local.settings.json first, then the environment on top: an exported variable always wins. */
export function mergeSettings(fileValues: Settings, environment: NodeJS.ProcessEnv): Settings {
  const merged: Settings = { ...fileValues };
  for (const [name, value] of Object.entries(environment)) if (value !== undefined) merged[name] = value;
  return merged;
}

const isBlank = (value: string | undefined): boolean => value === undefined || value.trim() === '';

export type StorageChoice = { kind: 'azurite' } | { kind: 'external'; description: string };

/**
 * Azurite unless storage points somewhere real: a connection string other than `UseDevelopmentStorage=true`, or an
 * identity-based connection (`AzureWebJobsStorage__blobServiceUri`).
 */
export function chooseStorage(settings: Settings): StorageChoice {
  const connection = settings.AzureWebJobsStorage;
  if (!isBlank(connection) && connection!.trim() !== DEVELOPMENT_STORAGE) {
    const account = /AccountName=([^;]+)/i.exec(connection!)?.[1];
    const endpoint = /BlobEndpoint=([^;]+)/i.exec(connection!)?.[1];
    return {
      kind: 'external',
      description: `AzureWebJobsStorage (${endpoint ?? (account ? `account ${account}` : 'connection string')})`,
    };
  }
  const serviceUri = settings.AzureWebJobsStorage__blobServiceUri;
  if (isBlank(connection) && !isBlank(serviceUri)) {
    return { kind: 'external', description: `${serviceUri!.trim()} (identity-based connection)` };
  }
  return { kind: 'azurite' };
}

export type GraphChoice =
  { kind: 'embedded'; notes: string[] } | { kind: 'external'; baseUrl: string; loopback: boolean };

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The embedded demo tenant unless `GRAPH_BASE_URL` names a Graph to use (a real tenant with credentials, or a
 * simulator started separately). Credentials given without a URL are ignored, and the notes say how to use them.
 */
export function chooseGraph(settings: Settings): GraphChoice {
  const baseUrl = settings.GRAPH_BASE_URL?.trim();
  if (baseUrl) return { kind: 'external', baseUrl, loopback: isLoopbackHost(baseUrl) };
  const notes: string[] = [];
  const auth = settings.GRAPH_AUTH?.trim();
  if (auth && auth !== 'none') {
    notes.push(
      `GRAPH_AUTH=${auth} is ignored because GRAPH_BASE_URL is not set: set GRAPH_BASE_URL=https://graph.microsoft.com/v1.0 to use a real tenant.`,
    );
  }
  return { kind: 'embedded', notes };
}

export interface LauncherOptions {
  port: number;
  /** Absolute folder holding `azurite/` and `runtime/`. */
  dataDir: string;
  /** Absolute path of the app's entry module, when given on the command line. */
  appEntry?: string;
}

/**
 * Port from `--port`, else `PORT`, else 7071 (0 picks a free port); data folder from `--data`, else
 * `LICENSE_SHIFT_DATA_DIR`, else `.data` under the working directory.
 */
export function launcherOptions(
  args: { port?: string; data?: string; app?: string },
  settings: Settings,
  cwd: string,
): LauncherOptions {
  const portText = args.port ?? settings.PORT ?? '7071';
  const port = Number(portText);
  if (!/^\d+$/.test(portText.trim()) || !Number.isInteger(port) || port > 65535) {
    throw new Error(`Invalid port ${JSON.stringify(portText)}: use a number from 0 (any free port) to 65535.`);
  }
  const data = args.data ?? (isBlank(settings.LICENSE_SHIFT_DATA_DIR) ? '.data' : settings.LICENSE_SHIFT_DATA_DIR!);
  return {
    port,
    dataDir: path.resolve(cwd, data),
    ...(args.app ? { appEntry: path.resolve(cwd, args.app) } : {}),
  };
}

/**
 * The app settings handed to the runtime: the ones given, and the default of every other setting that has one
 * (APP_SETTINGS). The app falls back to those defaults when it reads a setting itself, but a binding that names a
 * setting (the timer's `%MIGRATION_SCHEDULE%`) is resolved by the host from app settings only, and an unresolved one
 * keeps that function from being indexed, as on the Functions host. In Azure the template sets them all.
 */
export function withAppDefaults(settings: Settings): Settings {
  const filled: Settings = { ...settings };
  for (const setting of APP_SETTINGS) {
    if (setting.defaultValue !== undefined && isBlank(filled[setting.name]))
      filled[setting.name] = setting.defaultValue;
  }
  return filled;
}

/** The setting that fixes the local function key (for scripts); without it each start makes a new one. */
export const LOCAL_KEY_SETTING = 'LICENSE_SHIFT_LOCAL_KEY';
const KEY_PATTERN = /^[A-Za-z0-9._~-]{16,}$/;

export type LocalAuth =
  { kind: 'key'; key: string; source: 'generated' | typeof LOCAL_KEY_SETTING } | { kind: 'none'; ignoredKey: boolean };

/** A fresh function key: 256 random bits, URL-safe so it works as `?code=` as is. */
export function generateLocalKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The function key the local runtime requires on `authLevel: function` routes: LICENSE_SHIFT_LOCAL_KEY when set (for
 * scripts), else a new random one each start. Only `--no-auth` turns the check off.
 */
export function chooseLocalAuth(settings: Settings, options: { noAuth: boolean }): LocalAuth {
  const fixed = settings[LOCAL_KEY_SETTING]?.trim();
  if (options.noAuth) return { kind: 'none', ignoredKey: !isBlank(fixed) };
  if (isBlank(fixed)) return { kind: 'key', key: generateLocalKey(), source: 'generated' };
  if (!KEY_PATTERN.test(fixed!)) {
    throw new Error(
      `${LOCAL_KEY_SETTING} must be at least 16 characters from A-Z a-z 0-9 . _ ~ - (it is sent as ?code= too). ` +
        'Make one with: node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))"',
    );
  }
  return { kind: 'key', key: fixed!, source: LOCAL_KEY_SETTING };
}
