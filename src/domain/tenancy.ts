/**
 * Tenants as the rest of the app sees them: the registry record's shape, and the run key that scopes every run,
 * document and orchestration instance to one tenant. Pure: no I/O, no clock.
 *
 * A run of the deployment's home tenant keeps its plain id (so runs and histories from before tenants existed stay
 * where they are); a run of any other tenant is keyed `{tenantId}~{id}`. `~` is not allowed in a run id
 * (`ID_PATTERN`), so a key can never be forged from a plain id, and two tenants' runs named alike never collide.
 */
import { z } from 'zod';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RUN_KEY = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})~([A-Za-z0-9][A-Za-z0-9_-]{0,255})$/i;
const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$/;
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** Used as the home tenant's id when the deployment does not know it (local runs without HOME_TENANT_ID). */
export const UNKNOWN_HOME_TENANT_ID = '00000000-0000-0000-0000-000000000000';

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** Tenant ids are compared and stored lower-case. */
export function normalizeTenantId(value: string): string {
  return value.trim().toLowerCase();
}

export type ConsentStatus = 'granted' | 'notConsented' | 'unknown';

export interface ConsentRecord {
  status: ConsentStatus;
  checkedAt?: string;
  /** What the last check saw when it failed (the Entra or Graph message, with its code). */
  detail?: string;
}

/** Per-tenant limits; each overrides the deployment's GRAPH_* setting for this tenant only. */
export interface TenantLimits {
  writeBudgetPer150s?: number;
  resourceUnitBudgetPer10s?: number;
  maxConcurrency?: number;
}

export interface TenantRecord {
  tenantId: string;
  displayName: string;
  defaultDomain?: string;
  /** The deployment's own tenant: reached with the managed identity, always present, never deleted. */
  home: boolean;
  consent: ConsentRecord;
  limits: TenantLimits;
  createdAt: string;
  updatedAt: string;
}

/** What PUT /api/tenants/{tenantId} accepts. Consent is recorded by the consent check, never sent by a caller. */
export const tenantBodySchema = z
  .object({
    tenantId: z.string().regex(GUID, { error: 'must be the tenant id (a GUID)' }).optional(),
    displayName: z.string().trim().min(1, { error: 'must not be empty' }).max(256),
    defaultDomain: z.string().trim().regex(DOMAIN_NAME, { error: 'must be a domain name' }).optional(),
    limits: z
      .object({
        writeBudgetPer150s: z.number().int().min(1).max(1_000_000).optional(),
        resourceUnitBudgetPer10s: z.number().int().min(1).max(10_000_000).optional(),
        maxConcurrency: z.number().int().min(1).max(64).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type TenantBody = z.infer<typeof tenantBodySchema>;

/** The run key of run `id` in `tenantId` (undefined or the home tenant: the plain id). */
export function runKey(id: string, tenantId: string | undefined, homeTenantId: string): string {
  if (tenantId === undefined) return id;
  const tenant = normalizeTenantId(tenantId);
  return tenant === normalizeTenantId(homeTenantId) ? id : `${tenant}~${id}`;
}

/** The tenant a run key belongs to (undefined: the home tenant) and the id within it. */
export function parseRunKey(key: string): { tenantId?: string; id: string } {
  const match = RUN_KEY.exec(key);
  if (!match) return { id: key };
  return { tenantId: normalizeTenantId(match[1] ?? ''), id: match[2] ?? '' };
}

export function tenantOfRunKey(key: string): string | undefined {
  return parseRunKey(key).tenantId;
}

/**
 * The run key a request for run `rawId` in `tenantId` may touch: the plain id scoped to the tenant, or a full key
 * that names this very tenant. Anything else (another tenant's key, an id that is no run id) is undefined, which the
 * API answers as "not found" so it says nothing about other tenants' runs.
 */
export function scopedRunKey(rawId: string, tenantId: string | undefined, homeTenantId: string): string | undefined {
  const parsed = parseRunKey(rawId);
  const wanted = tenantId === undefined ? undefined : normalizeTenantId(tenantId);
  const home = normalizeTenantId(homeTenantId);
  if (parsed.tenantId !== undefined) {
    if (parsed.tenantId === home) return undefined;
    return parsed.tenantId === wanted ? rawId : undefined;
  }
  if (!PLAIN_ID.test(rawId)) return undefined;
  return runKey(rawId, wanted, home);
}

/** True when the run key belongs to this tenant (undefined or home: the home tenant's plain ids). */
export function runBelongsTo(key: string, tenantId: string | undefined, homeTenantId: string): boolean {
  const owner = tenantOfRunKey(key);
  const wanted = tenantId === undefined ? undefined : normalizeTenantId(tenantId);
  const isHome = wanted === undefined || wanted === normalizeTenantId(homeTenantId);
  return isHome ? owner === undefined : owner === wanted;
}

/** Where a customer's global admin grants the app's permissions in their tenant, once. */
export function adminConsentUrl(
  tenantId: string,
  appId: string,
  authorityHost = 'https://login.microsoftonline.com',
): string {
  return `${authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/adminconsent?client_id=${encodeURIComponent(appId)}`;
}

/** The blob prefix of everything stored for a tenant other than home (home keeps the top-level prefixes). */
export function tenantPrefix(tenantId: string | undefined): string {
  return tenantId === undefined ? '' : `tenants/${normalizeTenantId(tenantId)}/`;
}
