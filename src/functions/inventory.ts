import type { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import type { AppDeps } from '../deps';
import { apiAuth } from '../http/auth';
import { inventoryCaches, listSkusHandler, skuUsersHandler, type InventoryHttpDeps } from '../inventory/http';
import type { SeatReservations } from '../inventory/reservations';

export interface InventoryOptions {
  /** The seat ledger's reservations: GET /api/skus then shows reserved seats. */
  reservations?: SeatReservations;
}

/** `GET /api/skus` and `GET /api/skus/{sku}/users`: one cache per app instance, shared by both routes. */
export function registerInventoryRoutes(deps: AppDeps, options: InventoryOptions = {}): void {
  const { authLevel, guard } = apiAuth(deps.settings);
  const caches = inventoryCaches(deps.clock);
  const withClient = (client: df.DurableClient): InventoryHttpDeps => ({
    graph: deps.graph,
    client,
    store: deps.store,
    clock: deps.clock,
    caches,
    ...(options.reservations ? { reservations: options.reservations } : {}),
  });
  df.app.client.http('listSkus', {
    route: 'skus',
    methods: ['GET'],
    authLevel,
    handler: guard((request: HttpRequest, client: df.DurableClient) => listSkusHandler(withClient(client), request)),
  });
  df.app.client.http('listSkuUsers', {
    route: 'skus/{sku}/users',
    methods: ['GET'],
    authLevel,
    handler: guard((request: HttpRequest, client: df.DurableClient) => skuUsersHandler(withClient(client), request)),
  });
}
