/**
 * The Graph access layer: credential, base URL, `$batch`, paging, pacing to the tenant's budgets, retries and
 * classified errors. Activities call `createLicensingGraph(loadGraphSettings(process.env))`. See README.md.
 */
import { errorMessage } from '../domain/values';
import { existsSync } from 'node:fs';
import {
  AzureAuthorityHosts,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { systemClock } from '../clock';
import { LicenseAssigner } from './assign';
import { GraphRequestError, invalidArgument, REQUIRED_PERMISSION } from './errors';
import { GroupGraph } from './groups';
import { rolesAllow } from './permissions';
import { DEFAULT_FLOW, pacerFor } from './pacing';
import { requireGuid } from './odata';
import { GraphReader } from './reads';
import { GraphConfigurationError, graphScopeFor, graphSettingsProblems, type GraphSettings } from './settings';
import { GraphTransport } from './transport';
import { UserWrites } from './user-writes';
import type { LicensingGraph, LicensingGraphDeps, MissingPermission, RetryPolicy, WriteAccessCheck } from './types';

export { DEFERRED_CODE } from './assign';
export { classifyGraphError, GraphRequestError, REQUIRED_PERMISSION } from './errors';
export type { GraphErrorInfo, GraphOperation } from './errors';
export { escapeODataString, odataStringLiteral } from './odata';
export type {
  GroupLicensingGraph,
  GroupMembers,
  MembershipOutcome,
  MembershipResult,
  MembershipWriteOptions,
} from './groups';
export {
  GRAPH_AUTH_MODES,
  GraphConfigurationError,
  graphScopeFor,
  graphSettingsProblems,
  isLoopbackUrl,
  loadGraphSettings,
} from './settings';
export type { GraphAuthMode, GraphSettings } from './settings';
export type {
  AssignLicenseItem,
  AssignLicenseResult,
  AssignLicensesOptions,
  DirectReadOptions,
  CompanySubscription,
  LicensingGraph,
  LicensingGraphDeps,
  MissingPermission,
  RetryPolicy,
  WriteAccessCheck,
} from './types';

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxTransientFailures: 8,
  maxThrottled: 30,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  defaultRetryAfterMs: 10_000,
};

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/**
 * Builds the layer. Throws GraphConfigurationError when the settings cannot work (checked before any request), so
 * a bad deployment fails at start-up with a message naming the setting to fix.
 */
export function createLicensingGraph(settings: GraphSettings, deps: LicensingGraphDeps = {}): LicensingGraph {
  const problems = graphSettingsProblems(settings);
  if (problems.length > 0) {
    throw new GraphConfigurationError(`Graph configuration is not usable:\n- ${problems.join('\n- ')}`);
  }
  const credential = deps.credential ?? (settings.auth === 'none' ? undefined : createCredential(settings));
  // Graph's budgets are real seconds at the service, so pacing reads the system clock unless a test passes its own.
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? (() => undefined);
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
  const baseUrl = settings.baseUrl.replace(/\/+$/, '');
  // One pacer per tenant (base URL and tenant id): every LicensingGraph of the process spending that tenant's budget
  // shares it.
  const tenantKey = `${baseUrl.toLowerCase()}|${(settings.tenantId ?? '').toLowerCase()}`;
  const pacer = pacerFor(
    tenantKey,
    clock,
    {
      writeBudgetPer150s: settings.writeBudgetPer150s,
      resourceUnitBudgetPer10s: settings.resourceUnitBudgetPer10s,
      maxConcurrency: settings.maxConcurrency,
    },
    log,
  );
  const transport = new GraphTransport({
    baseUrl,
    credential,
    scope: graphScopeFor(baseUrl),
    fetch: deps.fetch ?? fetch,
    requestTimeoutMs: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    clock,
    random: deps.random ?? Math.random,
    pacer,
    retry,
  });
  const bind = (flow: string): LicensingGraph => {
    const reader = new GraphReader(transport, retry, flow);
    const assigner = new LicenseAssigner(transport, reader, retry, log, flow);
    const groups = new GroupGraph(transport, reader, retry);
    const userWrites = new UserWrites(transport, reader);
    return {
      tenantKey,
      listSubscribedSkus: () => reader.listSubscribedSkus(),
      listSubscriptions: () => reader.listSubscriptions(),
      listVerifiedDomains: () => reader.listVerifiedDomains(),
      listUsersHoldingSku: (skuId) => reader.listUsersHoldingSku(skuId),
      listUsersHoldingSkuPage: (skuId, options) => reader.listUsersHoldingSkuPage(skuId, options),
      getUsersByIds: (ids) => reader.getUsersByIds(ids),
      getUsersDirect: (ids, options) => reader.getUsersDirect(ids, options),
      getUsersByUpns: (upns) => reader.getUsersByUpns(upns),
      listGroupUserMembers: (groupId) => reader.listGroupUserMembers(groupId),
      setUsageLocation: (userId, countryCode) => userWrites.setUsageLocation(userId, countryCode),
      reprocessLicenseAssignment: (userId) => userWrites.reprocessLicenseAssignment(userId),
      assignLicenses: (items, opts) => assigner.assign(items, opts),
      getGroup: (groupId) => groups.getGroup(groupId),
      listGroupMembers: (groupId) => groups.listGroupMembers(groupId),
      listMembersWithLicenseErrors: (groupId) => groups.listMembersWithLicenseErrors(groupId),
      addGroupMembers: (groupId, userIds, options) => groups.addGroupMembers(groupId, userIds, options),
      removeGroupMembers: (groupId, userIds, options) => groups.removeGroupMembers(groupId, userIds, options),
      assignGroupLicense: (groupId, add, remove) => groups.assignGroupLicense(groupId, add, remove),
      checkWriteAccess: (checks) => checkWriteAccess(transport, reader, groups, checks, log),
      holdBudgetShare: (share) => {
        const lease = pacer.lease(share);
        return () => lease.release();
      },
      forRun: (runId) => bind(runId),
    };
  };
  return bind(DEFAULT_FLOW);
}

/**
 * Which of these writes the app may not make. From the token's roles when it has any; otherwise (a Graph reached
 * without a token) each check is sent as a write that changes nothing, and a 403 means the role is missing. Any other
 * refusal says nothing about permissions, so the write is assumed allowed and the real one will tell.
 */
async function checkWriteAccess(
  transport: GraphTransport,
  reader: GraphReader,
  groups: GroupGraph,
  checks: WriteAccessCheck[],
  log: (msg: string) => void,
): Promise<MissingPermission[]> {
  const roles = await transport.tokenRoles();
  if (roles) {
    return checks
      .filter((check) => !rolesAllow(roles, check.operation))
      .map((check) => ({ operation: check.operation, permission: REQUIRED_PERMISSION[check.operation] }));
  }
  const missing: MissingPermission[] = [];
  for (const check of checks) {
    if (isMembershipCheck(check)) {
      const found = await probeMembershipWrite(groups, check);
      if (found) missing.push(found);
      continue;
    }
    const request = noChangeWrite(reader, check);
    try {
      await transport.request({
        ...request,
        operation: check.operation,
        resourceUnits: 1,
        writes: 1,
        flow: reader.flow,
      });
    } catch (error) {
      if (error instanceof GraphRequestError && error.info.status === 403) {
        const found: MissingPermission = {
          operation: check.operation,
          permission: REQUIRED_PERMISSION[check.operation],
        };
        if (error.info.requestId) found.requestId = error.info.requestId;
        missing.push(found);
      } else {
        log(`graph: the ${check.operation} permission check was inconclusive: ${errorMessage(error)}`);
      }
    }
  }
  return missing;
}

type MembershipCheck = Extract<WriteAccessCheck, { operation: 'addGroupMember' | 'removeGroupMember' }>;

function isMembershipCheck(check: WriteAccessCheck): check is MembershipCheck {
  return check.operation === 'addGroupMember' || check.operation === 'removeGroupMember';
}

/** A write of this kind that changes nothing, sent to learn whether the identity may make it. */
function noChangeWrite(
  reader: GraphReader,
  check: Exclude<WriteAccessCheck, MembershipCheck>,
): { method: 'POST' | 'PATCH'; path: string; body: unknown } {
  const none = { addLicenses: [], removeLicenses: [] };
  if (check.operation === 'assignGroupLicense') {
    return { method: 'POST', path: `/groups/${requireGuidOrThrow(check.groupId)}/assignLicense`, body: none };
  }
  const path = reader.userPath(check.userId).replace(/\?.*$/, '');
  if (check.operation === 'assignLicense') return { method: 'POST', path: `${path}/assignLicense`, body: none };
  return { method: 'PATCH', path, body: { usageLocation: check.usageLocation } };
}

/**
 * A membership write that changes nothing: adding someone already a member (Graph answers "already exist"), or
 * removing someone who is not (404). Only a 403 says the role is missing.
 */
async function probeMembershipWrite(
  groups: GroupGraph,
  check: MembershipCheck,
): Promise<MissingPermission | undefined> {
  const [result] = check.isMember
    ? await groups.addGroupMembers(check.groupId, [check.memberId])
    : await groups.removeGroupMembers(check.groupId, [check.memberId]);
  if (!result || result.ok || result.error.status !== 403) return undefined;
  const found: MissingPermission = { operation: check.operation, permission: REQUIRED_PERMISSION[check.operation] };
  if (result.error.requestId) found.requestId = result.error.requestId;
  return found;
}

function requireGuidOrThrow(value: string): string {
  try {
    return requireGuid(value, 'groupId');
  } catch (error) {
    throw invalidArgument(errorMessage(error));
  }
}

/** Sign-in host of the cloud a Graph host belongs to (national clouds sign in elsewhere). */
export function authorityHostFor(baseUrl: string): string {
  const host = new URL(baseUrl).hostname.toLowerCase();
  if (host.endsWith('.microsoft.us')) return AzureAuthorityHosts.AzureGovernment;
  if (host.endsWith('.chinacloudapi.cn')) return AzureAuthorityHosts.AzureChina;
  return AzureAuthorityHosts.AzurePublicCloud;
}

function createCredential(settings: GraphSettings): TokenCredential {
  const authorityHost = authorityHostFor(settings.baseUrl);
  const { clientId, tenantId } = settings;
  switch (settings.auth) {
    case 'managedIdentity':
      // User-assigned identity by client id; without one, the system-assigned identity.
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    case 'defaultChain':
      return new DefaultAzureCredential({
        authorityHost,
        ...(clientId ? { managedIdentityClientId: clientId } : {}),
        ...(tenantId ? { tenantId } : {}),
      });
    case 'clientSecret':
      return new ClientSecretCredential(tenantId ?? '', clientId ?? '', settings.clientSecret ?? '', { authorityHost });
    case 'clientCertificate': {
      const certificatePath = settings.certificatePath ?? '';
      if (!existsSync(certificatePath)) {
        throw new GraphConfigurationError(
          `Graph configuration is not usable:\n- AZURE_CLIENT_CERTIFICATE_PATH ${certificatePath} does not exist (a PEM with the private key is needed).`,
        );
      }
      return new ClientCertificateCredential(tenantId ?? '', clientId ?? '', { certificatePath }, { authorityHost });
    }
    case 'none':
      throw new GraphConfigurationError('GRAPH_AUTH=none needs no credential.');
  }
}

export {
  customerTenantCredential,
  SIMULATOR_TENANT_HEADER,
  TOKEN_EXCHANGE_SCOPE,
  tenantGraphFactory,
  type TenantGraphFactory,
  type TenantGraphOptions,
} from './tenants';
