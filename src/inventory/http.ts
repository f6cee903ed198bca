/**
 * `GET /api/skus` (the tenant's license inventory) and `GET /api/skus/{sku}/users` (the holders of one SKU, a page at
 * a time). Reads go through the Graph layer (paced like every read) and are cached in this process for 30 s; the
 * cache is dropped when an unfinished migration appears, moves on or ends, and `?refresh=true` skips it.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { z } from 'zod';
import type { Clock } from '../clock';
import { skuName } from '../domain/skus';
import type { TenantSku } from '../domain/types';
import type { LicensingGraph } from '../graph';
import { graphProblem } from '../http/graph-problem';
import { requestOrigin } from '../http/body';
import { problemResponse, validationProblemResponse } from '../http/problem';
import { INVALID_QUERY_TYPE, parseQuery } from '../http/query';
import type { DocumentStore } from '../storage/document-store';
import { TtlCache } from './cache';
import { seatDemand, unfinishedMigrations } from './demand';
import { inventorySku, servicePlansOf, skuHolder, type InventorySku, type SkuHolder } from './inventory';
import type { SeatReservations } from './reservations';

export const INVENTORY_TTL_MS = 30_000;

export interface InventoryCaches {
  skus: TtlCache<TenantSku[]>;
  pages: TtlCache<{ users: SkuHolder[]; next?: string }>;
  /** The unfinished migrations when the caches were filled. */
  fingerprint?: string;
}

export function inventoryCaches(clock: Pick<Clock, 'now'>): InventoryCaches {
  return { skus: new TtlCache(clock, INVENTORY_TTL_MS), pages: new TtlCache(clock, INVENTORY_TTL_MS) };
}

export interface InventoryHttpDeps {
  graph: LicensingGraph;
  client: DurableClient;
  store: DocumentStore;
  clock: Pick<Clock, 'now'>;
  caches: InventoryCaches;
  reservations?: SeatReservations;
  /** The tenant read (undefined: home): its runs' demand only; `graph` and `caches` are its own. */
  tenantId?: string;
  homeTenantId?: string;
}

/** Query strings arrive as text; unknown parameters (the function key's `code`, say) are left alone. */
const refreshParam = z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).optional();
const skusQuery = z.object({ refresh: refreshParam });
const usersQuery = z.object({
  refresh: refreshParam,
  top: z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(999, { error: 'must be at most 999 (Graph pages hold at most 999 users)' })
    .default(100),
  continuationToken: z.string().max(8_000, { error: 'is too long to be a continuation token' }).optional(),
});
export const INVENTORY_QUERY_SCHEMAS = { skusQuery, usersQuery };

const wantsRefresh = (value: string | undefined) => value === 'true' || value === '1';

/** Drops the caches when the unfinished migrations changed (a run started, moved on or ended) or when asked to. */
async function freshness(deps: InventoryHttpDeps, refresh: boolean) {
  const unfinished = await unfinishedMigrations(deps);
  if (refresh || unfinished.fingerprint !== deps.caches.fingerprint) {
    deps.caches.skus.clear();
    deps.caches.pages.clear();
    deps.caches.fingerprint = unfinished.fingerprint;
  }
  return unfinished;
}

export async function listSkusHandler(deps: InventoryHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const query = parseQuery(skusQuery, request);
  if (!query.ok) return query.response;
  try {
    const unfinished = await freshness(deps, wantsRefresh(query.value.refresh));
    const [skus, demand, reserved] = await Promise.all([
      deps.caches.skus.get('skus', () => deps.graph.listSubscribedSkus()),
      seatDemand(deps, unfinished.views, unfinished.fingerprint),
      deps.reservations?.reservedSeats(),
    ]);
    const baseUrl = requestOrigin(request);
    const items: InventorySku[] = skus
      .map((sku) => inventorySku(sku, { baseUrl, demand, ...(reserved ? { reserved } : {}) }))
      .sort(
        (a, b) =>
          Number(b.appliesTo === 'User') - Number(a.appliesTo === 'User') || a.productName.localeCompare(b.productName),
      );
    const loadedAt = deps.caches.skus.loadedAt('skus') ?? deps.clock.now();
    return {
      status: 200,
      jsonBody: { skus: items, readAt: new Date(loadedAt).toISOString(), maxAgeSeconds: INVENTORY_TTL_MS / 1000 },
    };
  } catch (error) {
    return graphProblem(error);
  }
}

interface Continuation {
  skuId: string;
  next: string;
}

const encodeToken = (token: Continuation) => Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');

function decodeToken(text: string): Continuation | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Continuation>;
    return typeof value.skuId === 'string' && typeof value.next === 'string'
      ? { skuId: value.skuId, next: value.next }
      : undefined;
  } catch {
    return undefined;
  }
}

const badToken = (request: HttpRequest, message: string) =>
  validationProblemResponse([{ field: 'continuationToken', message }], {
    type: INVALID_QUERY_TYPE,
    title: 'The query is not valid',
    consequence: 'Nothing was read.',
    instance: request.url,
  });

export async function skuUsersHandler(deps: InventoryHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const query = parseQuery(usersQuery, request);
  if (!query.ok) return query.response;
  const ref = request.params.sku ?? '';
  try {
    await freshness(deps, wantsRefresh(query.value.refresh));
    const skus = await deps.caches.skus.get('skus', () => deps.graph.listSubscribedSkus());
    const sku = skus.find(
      (candidate) =>
        candidate.skuId.toLowerCase() === ref.toLowerCase() ||
        candidate.skuPartNumber.toLowerCase() === ref.toLowerCase(),
    );
    if (!sku) {
      return problemResponse(
        404,
        'SKU not found',
        `This tenant has no SKU "${ref}". GET /api/skus lists the ones it has.`,
      );
    }
    const token = query.value.continuationToken ? decodeToken(query.value.continuationToken) : undefined;
    if (query.value.continuationToken && !token) return badToken(request, 'is not a token this API gave out');
    if (token && token.skuId !== sku.skuId)
      return badToken(request, `continues the holders of another SKU (${token.skuId})`);
    const { top } = query.value;
    const page = await deps.caches.pages.get(`${sku.skuId}|${top}|${token?.next ?? ''}`, async () => {
      const read = await deps.graph.listUsersHoldingSkuPage(sku.skuId, { top, ...(token ? { next: token.next } : {}) });
      const users = read.users.map((user) => skuHolder(user, sku));
      return read.next ? { users, next: read.next } : { users };
    });
    return { status: 200, jsonBody: usersPage(request, sku, page, top) };
  } catch (error) {
    return graphProblem(error);
  }
}

function usersPage(request: HttpRequest, sku: TenantSku, page: { users: SkuHolder[]; next?: string }, top: number) {
  const self = `${requestOrigin(request)}/api/skus/${encodeURIComponent(sku.skuId)}/users`;
  const continuationToken = page.next ? encodeToken({ skuId: sku.skuId, next: page.next }) : undefined;
  return {
    sku: {
      skuId: sku.skuId,
      skuPartNumber: sku.skuPartNumber,
      productName: skuName(sku),
      servicePlans: servicePlansOf(sku),
    },
    users: page.users,
    ...(continuationToken
      ? { continuationToken, links: { next: `${self}?top=${top}&continuationToken=${continuationToken}` } }
      : { links: {} }),
  };
}
