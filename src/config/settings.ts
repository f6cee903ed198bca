import { approverList } from '../domain/approval';
import { parseNotifyList, type NotifyTarget } from '../domain/notify';

/**
 * The one list of every app setting license-shift reads. The README's settings table, the
 * `local.settings.sample.json` file and the infra test (every setting the code reads is set by the
 * Bicep template) are all derived from or checked against this list, so it must stay complete.
 */
export interface AppSetting {
  readonly name: string;
  readonly description: string;
  /** Value used when the setting is absent. `undefined` means "no default". */
  readonly defaultValue?: string;
  /** Safe value for `local.settings.sample.json` (never a secret). */
  readonly localValue: string;
  /**
   * Where the setting is expected:
   * - `azure`: the Bicep template must set it on the function app;
   * - `optional`: read when present, left to the operator (may be set in Azure by hand);
   * - `local`: only meaningful off Azure (e.g. a client secret for a dev app registration) and never set by the template.
   */
  readonly scope: 'azure' | 'optional' | 'local';
  /** Secrets are never written to samples or templates. */
  readonly secret?: boolean;
}

export const APP_SETTINGS: readonly AppSetting[] = [
  {
    name: 'AzureWebJobsStorage',
    description:
      'Storage for plans, reports and schedules (and the Functions host). In Azure an identity-based connection (AzureWebJobsStorage__blobServiceUri, __credential, __clientId); locally Azurite.',
    localValue: 'UseDevelopmentStorage=true',
    scope: 'optional',
  },
  {
    name: 'AzureWebJobsStorage__blobServiceUri',
    description: 'Blob endpoint of the storage account, for the identity-based connection used in Azure.',
    localValue: '',
    scope: 'azure',
  },
  {
    name: 'AzureWebJobsStorage__credential',
    description: 'Set to "managedidentity" in Azure so storage is reached with the managed identity.',
    localValue: '',
    scope: 'azure',
  },
  {
    name: 'AzureWebJobsStorage__clientId',
    description: 'Client id of the user-assigned managed identity used for storage.',
    localValue: '',
    scope: 'azure',
  },
  {
    name: 'TASKHUB_NAME',
    description: 'Durable task hub name (host.json reads it as %TASKHUB_NAME%).',
    defaultValue: 'licenseshift',
    localValue: 'licenseshift',
    scope: 'azure',
  },
  {
    name: 'GRAPH_BASE_URL',
    description:
      'Microsoft Graph base URL including the version. National clouds: change the host. A loopback URL points at the Graph simulator.',
    defaultValue: 'https://graph.microsoft.com/v1.0',
    localValue: 'http://127.0.0.1:4000/v1.0',
    scope: 'azure',
  },
  {
    name: 'GRAPH_AUTH',
    description:
      'How to authenticate to Graph: managedIdentity (Azure), defaultChain (DefaultAzureCredential), clientSecret, clientCertificate, or none (loopback simulator only).',
    defaultValue: 'managedIdentity',
    localValue: 'none',
    scope: 'azure',
  },
  {
    name: 'AZURE_CLIENT_ID',
    description:
      'Client id of the user-assigned managed identity (Azure) or of the app registration (clientSecret / clientCertificate).',
    localValue: '',
    scope: 'azure',
  },
  {
    name: 'AZURE_TENANT_ID',
    description: 'Tenant to act in, for an app registration (MSPs: the customer tenant).',
    localValue: '',
    scope: 'optional',
  },
  {
    name: 'HOME_TENANT_ID',
    description:
      "The deployment's own tenant (the managed identity's): runs that name no tenantId act here. Empty locally: AZURE_TENANT_ID when it is a GUID, else the all-zero GUID.",
    localValue: '',
    scope: 'azure',
  },
  {
    name: 'GRAPH_MULTITENANT_APP_ID',
    description:
      'Client id of the multi-tenant app registration used for customer tenants (its credential is a federated credential of the managed identity, no secret). Customers grant it admin consent once (docs/deploy.md).',
    localValue: '',
    scope: 'azure',
  },
  {
    name: 'AZURE_CLIENT_SECRET',
    description: 'Client secret of a dev app registration. Never used in Azure: production uses managed identity.',
    localValue: '',
    scope: 'local',
    secret: true,
  },
  {
    name: 'AZURE_CLIENT_CERTIFICATE_PATH',
    description: 'PEM certificate (with private key) of an app registration, for clientCertificate.',
    localValue: '',
    scope: 'local',
  },
  {
    name: 'GRAPH_WRITE_BUDGET',
    description:
      'Writes per 150 s this app may spend in one tenant (Graph allows 3,000 per app and tenant; the default keeps a margin).',
    defaultValue: '2850',
    localValue: '2850',
    scope: 'azure',
  },
  {
    name: 'GRAPH_RESOURCE_UNIT_BUDGET',
    description:
      'Resource units per 10 s this app may spend in one tenant (3,500 small / 5,000 medium / 8,000 large tenants).',
    defaultValue: '3300',
    localValue: '3300',
    scope: 'azure',
  },
  {
    name: 'GRAPH_MAX_CONCURRENCY',
    description: 'Most Graph requests in flight at once from one activity.',
    defaultValue: '8',
    localValue: '8',
    scope: 'optional',
  },
  {
    name: 'MIGRATION_SCHEDULE',
    description: 'NCRONTAB (6 fields) of the timer that starts due scheduled bulk moves.',
    defaultValue: '0 */5 * * * *',
    localValue: '0 */5 * * * *',
    scope: 'azure',
  },
  {
    name: 'LICENSE_SHIFT_CONTAINER',
    description: 'Blob container for plans, reports and schedule definitions.',
    defaultValue: 'license-shift',
    localValue: 'license-shift',
    scope: 'optional',
  },
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
    description: 'Application Insights connection string. Empty: telemetry is off (one log line says so).',
    localValue: '',
    scope: 'azure',
  },
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    description: 'Entra authentication for the host telemetry: ClientId=<identity client id>;Authorization=AAD.',
    localValue: '',
    scope: 'azure',
  },
  {
    name: 'API_AUTH',
    description:
      'How API callers are authenticated: functionKey (a function or host key on every call) or appService (App Service authentication signs users in; the API then needs no key and refuses calls without a signed-in user; the app refuses to start unless App Service authentication is enabled).',
    defaultValue: 'functionKey',
    localValue: 'functionKey',
    scope: 'optional',
  },
  {
    name: 'TELEMETRY_INCLUDE_UPN',
    description: 'When true, user-failed events carry the UPN; otherwise only the object id.',
    defaultValue: 'false',
    localValue: 'false',
    scope: 'optional',
  },
  {
    name: 'NOTIFY_DEFAULT',
    description:
      'Notification targets of runs that name no notify: a JSON list like the request field ([{"url":"https://…","events":["completed"],"format":"teams"}]). Empty: none. A run with notify: [] opts out.',
    localValue: '',
    scope: 'optional',
  },
  {
    name: 'NOTIFY_ALLOWED_HOSTS',
    description:
      'Hosts notifications may go to, comma-separated; *.example.com allows every host under example.com. Empty: none, so a run naming notify is refused. Plain http only to a listed loopback host (127.0.0.1, localhost).',
    localValue: '127.0.0.1,localhost',
    scope: 'optional',
  },
  {
    name: 'NOTIFY_SIGNING_SECRET',
    description:
      'Key of the HMAC-SHA256 signature of json notifications (X-License-Shift-Signature). In Azure a Key Vault reference (@Microsoft.KeyVault(SecretUri=…)); never in a request, a sample or the template. Without it json targets are refused.',
    localValue: '',
    scope: 'optional',
    secret: true,
  },
  {
    name: 'PUBLIC_BASE_URL',
    description:
      'Base URL of the API for links in notifications of scheduled runs (https://<app>.azurewebsites.net). Runs started over HTTP link to the URL they were started through.',
    localValue: '',
    scope: 'optional',
  },
  {
    name: 'APPROVERS',
    description:
      'Who may approve or reject any run: UPNs and Entra group object ids, comma-separated. Empty: anyone who can call the API. Needs App Service authentication (docs/deploy.md, "Sign-in for approvals").',
    localValue: '',
    scope: 'optional',
  },
  {
    name: 'REQUIRE_DIFFERENT_APPROVER',
    description:
      'When true, the signed-in principal who started a run may not approve it (a run may also ask for this with requireDifferentApprover).',
    defaultValue: 'false',
    localValue: 'false',
    scope: 'optional',
  },
  {
    name: 'WEBSITE_AUTH_ENABLED',
    description:
      'Set by the platform when App Service authentication is on. Only then are the x-ms-client-principal headers trusted (without it anyone could send them); never set it by hand in Azure.',
    localValue: '',
    scope: 'optional',
  },
];

/** Reads one known setting; unknown names are a programming error. */
export function readSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const setting = APP_SETTINGS.find((s) => s.name === name);
  if (!setting) throw new Error(`Unknown app setting ${name}: add it to APP_SETTINGS in src/config/settings.ts`);
  const value = env[name];
  return value === undefined || value === '' ? setting.defaultValue : value;
}

export const API_AUTH_MODES = ['functionKey', 'appService'] as const;
export type ApiAuthMode = (typeof API_AUTH_MODES)[number];

/** The settings the app reads beyond Graph and storage (which their own modules read), typed. */
export interface AppSettings {
  /** TELEMETRY_INCLUDE_UPN: user-failed events may carry the UPN. */
  includeUpnInTelemetry: boolean;
  /** API_AUTH: function keys (default), or App Service authentication's signed-in users. */
  apiAuth?: ApiAuthMode;
  notify: NotifySettings;
  approvals: ApprovalSettings;
  tenants: TenantSettings;
}

export interface TenantSettings {
  /** HOME_TENANT_ID (lower-case), else AZURE_TENANT_ID when a GUID, else the all-zero GUID. */
  homeTenantId: string;
  /** GRAPH_MULTITENANT_APP_ID. */
  multiTenantAppId?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readTenantSettings(env: NodeJS.ProcessEnv): TenantSettings {
  const home = readSetting(env, 'HOME_TENANT_ID')?.trim();
  if (home && !GUID.test(home))
    throw new SettingError(`HOME_TENANT_ID ${JSON.stringify(home)} is not a tenant id (a GUID).`);
  const fallback = readSetting(env, 'AZURE_TENANT_ID')?.trim();
  const appId = readSetting(env, 'GRAPH_MULTITENANT_APP_ID')?.trim();
  if (appId && !GUID.test(appId)) {
    throw new SettingError(`GRAPH_MULTITENANT_APP_ID ${JSON.stringify(appId)} is not a client id (a GUID).`);
  }
  return {
    homeTenantId: (
      home || (fallback && GUID.test(fallback) ? fallback : '00000000-0000-0000-0000-000000000000')
    ).toLowerCase(),
    ...(appId ? { multiTenantAppId: appId.toLowerCase() } : {}),
  };
}

export interface NotifySettings {
  /** NOTIFY_DEFAULT, validated. */
  defaults: NotifyTarget[];
  /** NOTIFY_ALLOWED_HOSTS. */
  allowedHosts: string[];
  /** NOTIFY_SIGNING_SECRET. */
  signingSecret?: string;
  /** PUBLIC_BASE_URL, without a trailing slash. */
  publicBaseUrl?: string;
}

export interface ApprovalSettings {
  /** APPROVERS, lower-cased. */
  approvers: string[];
  requireDifferentApprover: boolean;
  /** WEBSITE_AUTH_ENABLED: App Service authentication puts the principal headers there (and strips forged ones). */
  trustPrincipalHeaders: boolean;
}

export class SettingError extends Error {
  override readonly name = 'SettingError';
}

function readNotifyDefaults(env: NodeJS.ProcessEnv): NotifyTarget[] {
  const text = readSetting(env, 'NOTIFY_DEFAULT')?.trim();
  if (!text) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SettingError(
      `NOTIFY_DEFAULT is not valid JSON (${(error as Error).message}): give a list like [{"url":"https://…"}].`,
    );
  }
  const parsed = parseNotifyList(value, 'NOTIFY_DEFAULT');
  if (!parsed.ok) {
    throw new SettingError(
      `NOTIFY_DEFAULT is not valid: ${parsed.problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
    );
  }
  return parsed.value;
}

export function readAppSettings(env: NodeJS.ProcessEnv): AppSettings {
  const flag = (name: string) => readSetting(env, name)?.trim().toLowerCase() === 'true';
  const list = (name: string) =>
    (readSetting(env, name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const secret = readSetting(env, 'NOTIFY_SIGNING_SECRET');
  const base = readSetting(env, 'PUBLIC_BASE_URL')?.trim().replace(/\/+$/, '');
  return {
    includeUpnInTelemetry: flag('TELEMETRY_INCLUDE_UPN'),
    apiAuth: readApiAuth(env),
    notify: {
      defaults: readNotifyDefaults(env),
      allowedHosts: list('NOTIFY_ALLOWED_HOSTS'),
      ...(secret ? { signingSecret: secret } : {}),
      ...(base ? { publicBaseUrl: base } : {}),
    },
    approvals: {
      approvers: approverList(readSetting(env, 'APPROVERS')),
      requireDifferentApprover: flag('REQUIRE_DIFFERENT_APPROVER'),
      trustPrincipalHeaders: flag('WEBSITE_AUTH_ENABLED'),
    },
    tenants: readTenantSettings(env),
  };
}

/**
 * API_AUTH. `appService` drops the function key and trusts the user App Service authentication signed in (its
 * `x-ms-client-principal` headers), which is safe only where App Service authentication is on: it removes those
 * headers from what clients send. App Service sets WEBSITE_AUTH_ENABLED=True then; without it the app refuses to start.
 */
function readApiAuth(env: NodeJS.ProcessEnv): ApiAuthMode {
  const value = readSetting(env, 'API_AUTH') ?? 'functionKey';
  const mode = API_AUTH_MODES.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (!mode) throw new Error(`API_AUTH is "${value}"; expected one of ${API_AUTH_MODES.join(', ')}.`);
  if (mode === 'appService' && readSetting(env, 'WEBSITE_AUTH_ENABLED')?.trim().toLowerCase() !== 'true') {
    throw new Error(
      'API_AUTH is appService, but App Service authentication is not enabled on this app (WEBSITE_AUTH_ENABLED is not True): ' +
        'without it anyone could call the API. Enable authentication (docs/deploy.md, "Signing in to the console") or remove API_AUTH.',
    );
  }
  return mode;
}
