/**
 * Seats that unfinished migrations still need: a run awaiting approval or waiting for licenses needs every seat its
 * plan counted; a reassigning run needs what it has not assigned yet. The inventory sets this against the free seats,
 * so the console can say a product is short before anyone opens the run.
 */
import type { DurableClient } from 'durable-functions';
import type { Clock } from '../clock';
import { isFinished } from '../domain/status';
import { runBelongsTo, UNKNOWN_HOME_TENANT_ID } from '../domain/tenancy';
import { listMigrations, type MigrationView } from '../migrations/view';
import type { DocumentStore } from '../storage/document-store';
import { MigrationDocuments } from '../storage/migration-documents';
import { inParallel } from '../util/parallel';

export interface SeatDemand {
  /** Seats still needed per SKU id (lower case), summed over unfinished migrations. */
  bySku: Map<string, { seats: number; migrations: { id: string; status: string; seats: number }[] }>;
  /** The unfinished migrations and their statuses: when this changes, cached inventory is out of date. */
  fingerprint: string;
}

export interface DemandDeps {
  client: DurableClient;
  store: DocumentStore;
  clock: Pick<Clock, 'now'>;
  /** The tenant whose runs count (undefined: the home tenant); another tenant's runs never do. */
  tenantId?: string;
  homeTenantId?: string;
}

const WAITING: readonly string[] = ['awaitingApproval', 'waitingForLicenses'];
const ASSIGNING: readonly string[] = ['reassigning', 'verifying', 'cleaningUp'];

/** The unfinished migrations, as a cheap key (no Graph read): id, status and how far each is. */
export async function unfinishedMigrations(deps: DemandDeps): Promise<{ views: MigrationView[]; fingerprint: string }> {
  const home = deps.homeTenantId ?? UNKNOWN_HOME_TENANT_ID;
  const belongs = (key: string) => runBelongsTo(key, deps.tenantId, home);
  const views = (await listMigrations(deps, '', 500, belongs)).filter((view) => !isFinished(view.status));
  const fingerprint = views.map((view) => `${view.id}:${view.status}:${view.counts.done}`).join('|');
  return { views, fingerprint };
}

function pendingShare(view: MigrationView): number {
  if (WAITING.includes(view.status)) return 1;
  if (!ASSIGNING.includes(view.status) || view.counts.toChange === 0) return 0;
  const handled = Math.max(0, view.counts.done - (view.counts.total - view.counts.toChange));
  return Math.max(0, 1 - handled / view.counts.toChange);
}

export async function seatDemand(deps: DemandDeps, views: MigrationView[], fingerprint: string): Promise<SeatDemand> {
  const bySku: SeatDemand['bySku'] = new Map();
  const counted = views.filter((view) => pendingShare(view) > 0);
  const plans = await inParallel(
    counted.map((view) => () => new MigrationDocuments(deps.store, view.id).plan()),
    8,
  );
  counted.forEach((view, index) => {
    const plan = plans[index];
    if (!plan) return;
    for (const [skuId, needed] of Object.entries(plan.summary.seatsNeeded)) {
      const seats = Math.ceil(needed * pendingShare(view));
      if (seats <= 0) continue;
      const entry = bySku.get(skuId.toLowerCase()) ?? { seats: 0, migrations: [] };
      entry.seats += seats;
      entry.migrations.push({ id: view.id, status: view.status, seats });
      bySku.set(skuId.toLowerCase(), entry);
    }
  });
  return { bySku, fingerprint };
}
