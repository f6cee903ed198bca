/**
 * What the console shows about a run beyond its status: its moves in product names, who started it and how (HTTP or a
 * schedule), whether it is a dry run, who approved it, its plan summary and its stage timeline. Read from the run's
 * stored documents; those that never change once written (the request, the approval, the plan) are kept in memory.
 */
import { catalogProduct, servicePlanFriendlyName } from '../domain/product-catalog';
import { seatNeeds } from '../domain/skus';
import type { MigrationRequest, UserSelector } from '../domain/types';
import type { DocumentStore } from '../storage/document-store';
import {
  MigrationDocuments,
  type ApprovalRecord,
  type StageEntry,
  type StoredPlan,
  type StoredRequest,
} from '../storage/migration-documents';

export interface ProductRef {
  /** As the request wrote it (part number or SKU id). */
  ref: string;
  skuPartNumber?: string;
  productName: string;
}

export interface RunMove {
  from?: ProductRef;
  to: ProductRef;
  /** "Microsoft 365 Business Standard → Microsoft 365 Business Premium". */
  label: string;
  users: { kind: 'all' | 'upns' | 'ids' | 'groupId'; count?: number; groupId?: string };
}

/** How a run was asked for: `GET /api/migrations` and `GET /api/migrations/{id}` carry it as `run`. */
export interface RunSummary {
  moves: RunMove[];
  origin: 'http' | 'schedule';
  scheduleName?: string;
  startedBy?: string;
  /** A rollback has no moves of its own: it restores what this run changed. */
  rollbackOf?: string;
  /** A retry of this run's failed users. */
  retryOf?: string;
  dryRun: boolean;
  requireApproval: boolean;
  mode: MigrationRequest['mode'];
  strategy: MigrationRequest['strategy'];
}

export function productRef(ref: string): ProductRef {
  const product = catalogProduct(ref);
  return product
    ? { ref, skuPartNumber: product.skuPartNumber, productName: product.displayName }
    : { ref, productName: ref };
}

function usersOf(selector: UserSelector): RunMove['users'] {
  if ('upns' in selector) return { kind: 'upns', count: selector.upns.length };
  if ('ids' in selector) return { kind: 'ids', count: selector.ids.length };
  if ('groupId' in selector) return { kind: 'groupId', groupId: selector.groupId };
  return { kind: 'all' };
}

export function runSummary(stored: StoredRequest): RunSummary {
  const { request } = stored;
  const summary: RunSummary = {
    moves: request.moves.map((move) => {
      const to = productRef(move.to);
      const from = move.from === undefined ? undefined : productRef(move.from);
      return {
        ...(from ? { from } : {}),
        to,
        label: from ? `${from.productName} → ${to.productName}` : `replace with ${to.productName}`,
        users: usersOf(move.users),
      };
    }),
    origin: stored.origin,
    dryRun: request.dryRun,
    requireApproval: request.requireApproval,
    mode: request.mode,
    strategy: request.strategy,
  };
  if (stored.scheduleName) summary.scheduleName = stored.scheduleName;
  if (stored.rollback) summary.rollbackOf = stored.rollback.of;
  if (stored.retryOf) summary.retryOf = stored.retryOf;
  // Only a signed-in principal App Service authentication vouched for; a label in the request proves nothing.
  const requester = stored.requestedBy?.verified ? (stored.requestedBy.name ?? stored.requestedBy.id) : undefined;
  if (requester) summary.startedBy = requester;
  return summary;
}

/** The plan as the run detail shows it: counts, seats against the tenant's free ones when planned, plans lost. */
export function planSummary(plan: StoredPlan) {
  const { summary } = plan;
  return {
    plannedAt: plan.plannedAt,
    total: summary.total,
    toChange: summary.toChange,
    skipped: summary.skipped,
    blocked: summary.blocked,
    remaining: plan.remaining,
    needsDataLossAcknowledgement: summary.needsDataLossAcknowledgement,
    seats: seatNeeds(summary.seatsNeeded, plan.skus).map(({ skuId, skuPartNumber, productName, needed, free }) => ({
      skuId,
      skuPartNumber,
      productName,
      needed,
      freeWhenPlanned: free,
    })),
    downgrades: summary.downgrades.map((downgrade) => ({
      move: downgrade.move,
      from: productRef(downgrade.fromSkuPartNumber),
      to: productRef(downgrade.toSkuPartNumber),
      lostPlans: downgrade.lostPlans.map((lost) => ({ ...lost, friendlyName: servicePlanFriendlyName(lost) })),
    })),
  };
}

export type PlanSummaryView = ReturnType<typeof planSummary>;

/** Documents that never change once written, per store, shared by every request this instance answers. */
const settled = new WeakMap<DocumentStore, Map<string, unknown>>();
const SETTLED_LIMIT = 2_000;

async function once<T>(store: DocumentStore, key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
  let cache = settled.get(store);
  if (!cache) settled.set(store, (cache = new Map<string, unknown>()));
  if (cache.has(key)) return cache.get(key) as T;
  const value = await read();
  if (value !== undefined) {
    if (cache.size >= SETTLED_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
  }
  return value;
}

export interface RunDocuments {
  request?: StoredRequest;
  approval?: ApprovalRecord;
  plan?: StoredPlan;
  stages?: StageEntry[];
}

/** The stored request (for lists), and for one run's detail also its approval, plan and stages. */
export async function runDocuments(store: DocumentStore, id: string, detail: boolean): Promise<RunDocuments> {
  const docs = new MigrationDocuments(store, id);
  const request = await once(store, `${id}|request`, () => docs.request());
  if (!detail) return request ? { request } : {};
  const [approval, plan, stages] = await Promise.all([
    once(store, `${id}|approval`, () => docs.approval()),
    once(store, `${id}|plan`, () => docs.plan()),
    docs.stages(),
  ]);
  return {
    ...(request ? { request } : {}),
    ...(approval ? { approval } : {}),
    ...(plan ? { plan } : {}),
    stages,
  };
}

/** `GET /api/migrations` filters, as the console and the CLI send them. */
export interface RunFilters {
  statuses?: string[];
  since?: number;
  until?: number;
  startedBy?: string;
  dryRun?: boolean;
  origin?: 'http' | 'schedule';
}

/** Whether a run passes the filters (created within since/until, started by someone whose name contains the text). */
export function matchesFilters(
  view: { status: string; createdAt: string },
  run: RunSummary | undefined,
  filters: RunFilters,
): boolean {
  if (filters.statuses && !filters.statuses.includes(view.status)) return false;
  const created = Date.parse(view.createdAt);
  if (filters.since !== undefined && created < filters.since) return false;
  if (filters.until !== undefined && created > filters.until) return false;
  if (filters.dryRun !== undefined && run?.dryRun !== filters.dryRun) return false;
  if (filters.origin !== undefined && run?.origin !== filters.origin) return false;
  if (filters.startedBy !== undefined) {
    const wanted = filters.startedBy.toLowerCase();
    if (!(run?.startedBy ?? '').toLowerCase().includes(wanted)) return false;
  }
  return true;
}
