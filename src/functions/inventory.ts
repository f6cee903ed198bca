import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import type { AppDeps } from '../deps';
import { apiAuth } from '../http/auth';
import {
  inventoryCaches,
  listSkusHandler,
  skuUsersHandler,
  type InventoryCaches,
  type InventoryHttpDeps,
} from '../inventory/http';
import type { SeatReservations } from '../inventory/reservations';
import { ledgerFor } from '../ledger';
import { resolveTenant } from '../tenants/resolve';

export interface InventoryOptions {
  /**
   * The seat ledger's reservations in a tenant's Graph: GET /api/skus then shows reserved seats. Given a tenant's
   * Graph layer, so each tenant's inventory shows the seats held in its own ledger only.
   */
  reservations?: (graph: AppDeps['graph']) => SeatReservations;
}

/** The reservations of each tenant's own ledger (the app's default). */
export function ledgerReservations(deps: Pick<AppDeps, 'store' | 'clock'>): InventoryOptions['reservations'] {
  return (graph) => ({
    reservedSeats: () => ledgerFor({ store: deps.store, graph, clock: deps.clock }).seatsReservedPerSku(),
  });
}

/**
 * `GET /api/skus` and `GET /api/skus/{sku}/users` in the tenant named by `?tenantId=` (absent: home). One cache per
 * tenant and app instance, shared by both routes: a tenant's answer is never served for another.
 */
export function registerInventoryRoutes(deps: AppDeps, options: InventoryOptions = {}): void {
  const { authLevel, guard } = apiAuth(deps.settings);
  const caches = new Map<string, InventoryCaches>();
  const scoped =
    (handler: (inventory: InventoryHttpDeps, request: HttpRequest) => Promise<HttpResponseInit>) =>
    async (request: HttpRequest, client: df.DurableClient): Promise<HttpResponseInit> => {
      const tenant = await resolveTenant(deps.tenants, request.query.get('tenantId'), {
        consequence: 'Nothing was read.',
      });
      if (!tenant.ok) return tenant.response;
      const key = tenant.record.tenantId;
      let tenantCaches = caches.get(key);
      if (!tenantCaches) caches.set(key, (tenantCaches = inventoryCaches(deps.clock)));
      const graph = tenant.tenantId === undefined ? deps.graph : deps.graphFor(tenant.tenantId, tenant.record.limits);
      return handler(
        {
          graph,
          client,
          store: deps.store,
          clock: deps.clock,
          caches: tenantCaches,
          homeTenantId: deps.tenants.homeTenantId,
          ...(tenant.tenantId !== undefined ? { tenantId: tenant.tenantId } : {}),
          ...(options.reservations ? { reservations: options.reservations(graph) } : {}),
        },
        request,
      );
    };
  df.app.client.http('listSkus', {
    route: 'skus',
    methods: ['GET'],
    authLevel,
    handler: guard(scoped(listSkusHandler)),
  });
  df.app.client.http('listSkuUsers', {
    route: 'skus/{sku}/users',
    methods: ['GET'],
    authLevel,
    handler: guard(scoped(skuUsersHandler)),
  });
}
