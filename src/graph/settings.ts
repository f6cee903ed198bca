import { readSetting } from '../config/settings';

/** How the layer authenticates to Graph. `none` is only accepted for a loopback base URL (the simulator). */
export type GraphAuthMode = 'managedIdentity' | 'defaultChain' | 'clientSecret' | 'clientCertificate' | 'none';

export const GRAPH_AUTH_MODES: readonly GraphAuthMode[] = [
  'managedIdentity',
  'defaultChain',
  'clientSecret',
  'clientCertificate',
  'none',
];

export interface GraphSettings {
  /** Graph base URL including the version, e.g. `https://graph.microsoft.com/v1.0`. */
  baseUrl: string;
  auth: GraphAuthMode;
  /** User-assigned managed identity or app registration client id. */
  clientId?: string;
  /** Tenant to act in (app registrations; MSPs: the customer tenant). */
  tenantId?: string;
  clientSecret?: string;
  certificatePath?: string;
  /** Writes per 150 s this app may spend in the tenant (Graph allows 3,000). */
  writeBudgetPer150s: number;
  /** Resource units per 10 s this app may spend in the tenant. */
  resourceUnitBudgetPer10s: number;
  /** Most Graph requests in flight at once against the tenant from this process. */
  maxConcurrency: number;
}

/** A configuration that cannot work; thrown at start-up so the operator sees it before any user is touched. */
export class GraphConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphConfigurationError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts that may be reached without credentials. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The token scope for a Graph base URL: national clouds have their own host, so the scope follows the URL. */
export function graphScopeFor(baseUrl: string): string {
  return `${new URL(baseUrl).origin}/.default`;
}

/** Reads and validates the Graph settings; every problem is reported at once, in words an operator can act on. */
export function loadGraphSettings(env: NodeJS.ProcessEnv): GraphSettings {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = readSetting(env, name)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const positiveInteger = (name: string, max: number): number => {
    const raw = text(name);
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value < 1 || value > max) {
      problems.push(`${name} must be a whole number between 1 and ${max} (got ${JSON.stringify(raw ?? '')}).`);
      return 1;
    }
    return value;
  };

  const auth = text('GRAPH_AUTH') as GraphAuthMode | undefined;
  const settings: GraphSettings = {
    baseUrl: text('GRAPH_BASE_URL') ?? '',
    auth: auth ?? 'managedIdentity',
    clientId: text('AZURE_CLIENT_ID'),
    tenantId: text('AZURE_TENANT_ID'),
    clientSecret: text('AZURE_CLIENT_SECRET'),
    certificatePath: text('AZURE_CLIENT_CERTIFICATE_PATH'),
    writeBudgetPer150s: positiveInteger('GRAPH_WRITE_BUDGET', 1_000_000),
    resourceUnitBudgetPer10s: positiveInteger('GRAPH_RESOURCE_UNIT_BUDGET', 10_000_000),
    maxConcurrency: positiveInteger('GRAPH_MAX_CONCURRENCY', 64),
  };
  problems.push(...graphSettingsProblems(settings));
  if (problems.length > 0) {
    throw new GraphConfigurationError(`Graph configuration is not usable:\n- ${problems.join('\n- ')}`);
  }
  return settings;
}

/** Checks settings however they were built (from the environment or by a test or bench). */
export function graphSettingsProblems(settings: GraphSettings): string[] {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(settings.baseUrl);
  } catch {
    problems.push(
      `GRAPH_BASE_URL ${JSON.stringify(settings.baseUrl)} is not a URL; use e.g. https://graph.microsoft.com/v1.0.`,
    );
  }
  if (url) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      problems.push(`GRAPH_BASE_URL must be an http(s) URL (got ${url.protocol}).`);
    } else if (url.protocol === 'http:' && !isLoopbackUrl(url)) {
      problems.push(`GRAPH_BASE_URL ${settings.baseUrl} uses plain http: only a loopback simulator may; use https.`);
    }
    if (url.search !== '' || url.hash !== '') problems.push('GRAPH_BASE_URL must not carry a query or fragment.');
    if (url.pathname.replace(/\/+$/, '') === '') {
      problems.push(`GRAPH_BASE_URL ${settings.baseUrl} lacks the API version; use e.g. ${url.origin}/v1.0.`);
    }
  }
  if (!GRAPH_AUTH_MODES.includes(settings.auth)) {
    problems.push(`GRAPH_AUTH ${JSON.stringify(settings.auth)} is not one of ${GRAPH_AUTH_MODES.join(', ')}.`);
  }
  if (settings.clientId !== undefined && !GUID.test(settings.clientId)) {
    problems.push(`AZURE_CLIENT_ID ${JSON.stringify(settings.clientId)} is not a GUID (the client/application id).`);
  }
  if (settings.tenantId !== undefined && !GUID.test(settings.tenantId) && !DOMAIN_NAME.test(settings.tenantId)) {
    problems.push(`AZURE_TENANT_ID ${JSON.stringify(settings.tenantId)} is neither a tenant GUID nor a domain name.`);
  }
  switch (settings.auth) {
    case 'none':
      if (url && !isLoopbackUrl(url)) {
        problems.push(
          `GRAPH_AUTH=none only works with a loopback simulator URL; ${settings.baseUrl} needs credentials (managedIdentity in Azure).`,
        );
      }
      break;
    case 'clientSecret':
      if (settings.clientSecret === undefined) problems.push('GRAPH_AUTH=clientSecret needs AZURE_CLIENT_SECRET.');
      if (settings.clientId === undefined) problems.push('GRAPH_AUTH=clientSecret needs AZURE_CLIENT_ID.');
      if (settings.tenantId === undefined) problems.push('GRAPH_AUTH=clientSecret needs AZURE_TENANT_ID.');
      break;
    case 'clientCertificate':
      if (settings.certificatePath === undefined) {
        problems.push('GRAPH_AUTH=clientCertificate needs AZURE_CLIENT_CERTIFICATE_PATH (a PEM with the private key).');
      }
      if (settings.clientId === undefined) problems.push('GRAPH_AUTH=clientCertificate needs AZURE_CLIENT_ID.');
      if (settings.tenantId === undefined) problems.push('GRAPH_AUTH=clientCertificate needs AZURE_TENANT_ID.');
      break;
    default:
      break;
  }
  if (settings.auth !== 'none' && url?.protocol === 'http:') {
    problems.push('Graph credentials are only sent over https; use GRAPH_AUTH=none for the loopback simulator.');
  }
  for (const [name, value] of [
    ['writeBudgetPer150s', settings.writeBudgetPer150s],
    ['resourceUnitBudgetPer10s', settings.resourceUnitBudgetPer10s],
    ['maxConcurrency', settings.maxConcurrency],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number (got ${value}).`);
  }
  return problems;
}
