/**
 * One Graph layer per tenant. The home tenant is reached as before (GRAPH_AUTH); a customer tenant through the
 * multi-tenant app registration (GRAPH_MULTITENANT_APP_ID), whose credential in Azure is a federated identity
 * credential backed by the function app's managed identity: the identity's token for `api://AzureADTokenExchange`
 * is presented as the client assertion, so no secret exists anywhere. Each tenant gets its own pacer (keyed by base
 * URL and tenant), so one tenant's 429s never slow another.
 */
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { normalizeTenantId, type TenantLimits } from '../domain/tenancy';
import { authorityHostFor, createLicensingGraph } from './index';
import { GraphConfigurationError, type GraphSettings } from './settings';
import type { LicensingGraph, LicensingGraphDeps } from './types';

/**
 * With GRAPH_AUTH=none (loopback simulator only) there is no token to carry the tenant, so requests name it in this
 * header; the simulator routes by it (emulators/graph/README.md, "Several tenants").
 */
export const SIMULATOR_TENANT_HEADER = 'x-ms-simulator-tenant';

/** The audience a managed identity's token must have to be accepted as a federated credential. */
export const TOKEN_EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';

export type TenantGraphFactory = (tenantId: string | undefined, limits?: TenantLimits) => LicensingGraph;

export interface TenantGraphOptions {
  homeTenantId: string;
  /** Client id of the multi-tenant app registration (GRAPH_MULTITENANT_APP_ID). */
  multiTenantAppId?: string;
}

function withLimits(settings: GraphSettings, limits: TenantLimits | undefined): GraphSettings {
  return {
    ...settings,
    writeBudgetPer150s: limits?.writeBudgetPer150s ?? settings.writeBudgetPer150s,
    resourceUnitBudgetPer10s: limits?.resourceUnitBudgetPer10s ?? settings.resourceUnitBudgetPer10s,
    maxConcurrency: limits?.maxConcurrency ?? settings.maxConcurrency,
  };
}

/** Adds the simulator's tenant header to every request (loopback, no credential). */
function routedFetch(base: typeof fetch, tenantId: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set(SIMULATOR_TENANT_HEADER, tenantId);
    return base(input, { ...init, headers });
  };
}

/** The credential for a customer tenant, by GRAPH_AUTH; never a secret in Azure. */
export function customerTenantCredential(
  settings: GraphSettings,
  tenantId: string,
  appId: string | undefined,
): TokenCredential {
  const authorityHost = authorityHostFor(settings.baseUrl);
  const needApp = (): string => {
    if (!appId) {
      throw new GraphConfigurationError(
        `Tenant ${tenantId} is reached through the multi-tenant app registration: set GRAPH_MULTITENANT_APP_ID (infra/main.bicep sets it).`,
      );
    }
    return appId;
  };
  switch (settings.auth) {
    case 'managedIdentity': {
      const identity = settings.clientId
        ? new ManagedIdentityCredential({ clientId: settings.clientId })
        : new ManagedIdentityCredential();
      return new ClientAssertionCredential(
        tenantId,
        needApp(),
        async () => {
          const token = await identity.getToken(TOKEN_EXCHANGE_SCOPE);
          if (!token)
            throw new GraphConfigurationError('The managed identity returned no token for the token exchange.');
          return token.token;
        },
        { authorityHost },
      );
    }
    case 'defaultChain':
      return new DefaultAzureCredential({ authorityHost, tenantId });
    case 'clientSecret':
      // A dev multi-tenant app registration (local only): the same app, asked for a token in the customer tenant.
      return new ClientSecretCredential(tenantId, settings.clientId ?? '', settings.clientSecret ?? '', {
        authorityHost,
      });
    case 'clientCertificate':
      return new ClientCertificateCredential(
        tenantId,
        settings.clientId ?? '',
        { certificatePath: settings.certificatePath ?? '' },
        { authorityHost },
      );
    case 'none':
      throw new GraphConfigurationError('GRAPH_AUTH=none needs no credential.');
  }
}

/**
 * Builds (once per tenant and limits) the Graph layer for a tenant. `home` is used as is for the home tenant when
 * given (tests pass a fake there; its limits are its own).
 */
export function tenantGraphFactory(
  settings: GraphSettings,
  options: TenantGraphOptions,
  deps: LicensingGraphDeps = {},
  home?: LicensingGraph,
): TenantGraphFactory {
  const built = new Map<string, LicensingGraph>();
  const homeId = normalizeTenantId(options.homeTenantId);
  return (tenantId, limits) => {
    const id = tenantId === undefined ? homeId : normalizeTenantId(tenantId);
    const isHome = id === homeId;
    if (isHome && home) return home;
    const key = `${id}|${JSON.stringify(limits ?? {})}`;
    const existing = built.get(key);
    if (existing) return existing;
    let graph: LicensingGraph;
    if (isHome) {
      graph = createLicensingGraph(withLimits(settings, limits), deps);
    } else if (settings.auth === 'none') {
      graph = createLicensingGraph(
        { ...withLimits(settings, limits), tenantId: id },
        { ...deps, fetch: routedFetch(deps.fetch ?? fetch, id) },
      );
    } else {
      graph = createLicensingGraph(
        { ...withLimits(settings, limits), tenantId: id },
        { ...deps, credential: deps.credential ?? customerTenantCredential(settings, id, options.multiTenantAppId) },
      );
    }
    built.set(key, graph);
    return graph;
  };
}
