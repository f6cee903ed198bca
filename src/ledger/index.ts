/** The tenant ledger: budget shares of batch activities on every instance, and seats reserved per run. */
import type { AppDeps } from '../deps';
import { tenantLedger, type TenantLedger } from './tenant-ledger';

export type { LedgerHold } from './tenant-ledger';
export { TenantLedger } from './tenant-ledger';

/** The key of the tenant whose budgets the app's Graph spends (one tenant per app today). */
export function tenantKeyOf(graph: Pick<AppDeps['graph'], 'tenantKey'>): string {
  return graph.tenantKey ?? 'default';
}

/** The process's ledger for the app's tenant. */
export function ledgerFor(
  deps: Pick<AppDeps, 'store' | 'clock'> & { graph: Pick<AppDeps['graph'], 'tenantKey'> },
): TenantLedger {
  return tenantLedger(deps.store, tenantKeyOf(deps.graph), deps.clock);
}
