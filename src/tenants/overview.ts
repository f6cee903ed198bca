/**
 * `GET /api/tenants/overview`: every registered tenant at a glance, for an MSP's first screen: its runs by status,
 * the runs waiting (for licenses, for an approval) and the free seats of each of its SKUs. A tenant whose SKUs cannot
 * be read (no consent yet, Graph refusing) still shows its runs, with the reason in `seatsError`: one customer's
 * trouble never hides the others.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { currentIso, type Clock } from '../clock';
import { freeSeats, skuName } from '../domain/skus';
import { normalizeTenantId, tenantOfRunKey, type TenantRecord } from '../domain/tenancy';
import type { TenantSku } from '../domain/types';
import { errorMessage } from '../domain/values';
import type { LicensingGraph, TenantGraphFactory } from '../graph';
import { TtlCache } from '../inventory/cache';
import { INVENTORY_TTL_MS } from '../inventory/http';
import { listMigrations } from '../migrations/view';
import type { DocumentStore } from '../storage/document-store';
import { inParallel } from '../util/parallel';
import type { TenantRegistry } from './registry';

export interface OverviewDeps {
  registry: TenantRegistry;
  graphFor: TenantGraphFactory;
  client: DurableClient;
  store: DocumentStore;
  clock: Pick<Clock, 'now'>;
  /** Seats held in a tenant's ledger for runs not yet assigned, per SKU id (lower case). */
  reservedSeats?: (graph: LicensingGraph) => Promise<Record<string, number>>;
  /** SKUs per tenant, kept as long as the inventory keeps them (reads are paced Graph calls). */
  skuCache: TtlCache<TenantSku[]>;
}

export interface TenantOverview {
  tenantId: string;
  displayName: string;
  home: boolean;
  consent: TenantRecord['consent']['status'];
  runs: { total: number; byStatus: Record<string, number> };
  waiting: { forLicenses: number; forApproval: number; runs: { id: string; status: string }[] };
  seats?: {
    skuId: string;
    skuPartNumber: string;
    productName: string;
    enabled: number;
    consumed: number;
    free: number;
    reserved?: number;
  }[];
  seatsError?: string;
}

export function overviewCache(clock: Pick<Clock, 'now'>): TtlCache<TenantSku[]> {
  return new TtlCache(clock, INVENTORY_TTL_MS);
}

async function seatsOf(
  deps: OverviewDeps,
  record: TenantRecord,
): Promise<Pick<TenantOverview, 'seats' | 'seatsError'>> {
  if (!record.home && record.consent.status !== 'granted') {
    return { seatsError: `Consent is ${record.consent.status}: POST /api/tenants/${record.tenantId}/consent-check.` };
  }
  try {
    const graph = deps.graphFor(record.home ? undefined : record.tenantId, record.limits);
    const [skus, reserved] = await Promise.all([
      deps.skuCache.get(record.tenantId, () => graph.listSubscribedSkus()),
      deps.reservedSeats?.(graph),
    ]);
    const seats = skus
      .filter((sku) => sku.appliesTo !== 'Company')
      .map((sku) => {
        const held = reserved?.[sku.skuId.toLowerCase()];
        return {
          skuId: sku.skuId,
          skuPartNumber: sku.skuPartNumber,
          productName: skuName(sku),
          enabled: sku.prepaidUnits.enabled,
          consumed: sku.consumedUnits,
          free: freeSeats(sku),
          ...(reserved ? { reserved: held ?? 0 } : {}),
        };
      })
      .sort((a, b) => a.productName.localeCompare(b.productName));
    return { seats };
  } catch (error) {
    return { seatsError: errorMessage(error).slice(0, 500) };
  }
}

export async function tenantOverviewHandler(deps: OverviewDeps): Promise<HttpResponseInit> {
  const [tenants, views] = await Promise.all([deps.registry.list(), listMigrations(deps, '', 5_000)]);
  const home = deps.registry.homeTenantId;
  const runsOf = new Map<string, typeof views>();
  for (const view of views) {
    const owner = tenantOfRunKey(view.id);
    const key = owner === undefined ? home : normalizeTenantId(owner);
    runsOf.set(key, [...(runsOf.get(key) ?? []), view]);
  }
  const seats = await inParallel(
    tenants.map((record) => () => seatsOf(deps, record)),
    4,
  );
  const overview = tenants.map((record, index): TenantOverview => {
    const runs = runsOf.get(record.tenantId) ?? [];
    const byStatus: Record<string, number> = {};
    for (const run of runs) byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
    const waiting = runs.filter((run) => run.status === 'waitingForLicenses' || run.status === 'awaitingApproval');
    return {
      tenantId: record.tenantId,
      displayName: record.displayName,
      home: record.home,
      consent: record.consent.status,
      runs: { total: runs.length, byStatus },
      waiting: {
        forLicenses: byStatus.waitingForLicenses ?? 0,
        forApproval: byStatus.awaitingApproval ?? 0,
        runs: waiting.map((run) => ({ id: run.id, status: run.status })),
      },
      ...seats[index],
    };
  });
  return { status: 200, jsonBody: { tenants: overview, readAt: currentIso(deps.clock) } };
}
