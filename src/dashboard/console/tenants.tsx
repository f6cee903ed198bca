/**
 * Tenants: the switcher in the header (every call then carries the chosen tenant's id) and the all-tenants overview,
 * an MSP's first screen: each customer's runs by status, what waits for licenses or an approval, and free seats.
 */
import { useEffect, useState } from 'preact/hooks';
import { currentTenant, get } from './api';
import { formatNumber, statusWords } from './format';
import type { Tenant, TenantOverview } from './types';
import { Badge, ErrorNotice, TableScroll, useFocusHeading, usePoll } from './ui';

const CONSENT_WORDS: Record<Tenant['consent']['status'], [string, string]> = {
  granted: ['good', 'Consented'],
  notConsented: ['bad', 'No consent'],
  unknown: ['waiting', 'Consent not checked'],
};

/** The tenant picker: lists GET /api/tenants; nothing is shown while there is only the home tenant to pick. */
export function TenantSwitcher({ ready, onSwitch }: { ready: boolean; onSwitch: (id: string | null) => void }) {
  const [tenants, setTenants] = useState<Tenant[] | undefined>(undefined);
  useEffect(() => {
    if (!ready) return;
    get<{ tenants: Tenant[] }>('/api/tenants').then(
      (answer) => setTenants(answer.tenants),
      () => setTenants(undefined),
    );
  }, [ready]);
  if (!tenants || tenants.length < 2) return null;
  const chosen = currentTenant();
  const value = tenants.find((tenant) => tenant.tenantId === chosen && !tenant.home)?.tenantId ?? '';
  return (
    <label class="tenant-switcher">
      <span>Tenant</span>
      <select
        data-testid="tenant-switcher"
        value={value}
        onChange={(event) => onSwitch(event.currentTarget.value || null)}
      >
        {tenants.map((tenant) => (
          <option key={tenant.tenantId} value={tenant.home ? '' : tenant.tenantId}>
            {tenant.displayName}
            {tenant.defaultDomain ? ` (${tenant.defaultDomain})` : ''}
            {tenant.consent.status === 'granted' ? '' : ` – ${CONSENT_WORDS[tenant.consent.status][1].toLowerCase()}`}
          </option>
        ))}
      </select>
    </label>
  );
}

function runsText(byStatus: Record<string, number>): string {
  const parts = Object.entries(byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${formatNumber(count)} ${statusWords(status).toLowerCase()}`);
  return parts.length > 0 ? parts.join(', ') : 'None';
}

export function TenantsView({ onSwitch }: { onSwitch: (id: string | null) => void }) {
  const heading = useFocusHeading('tenants');
  const overview = usePoll(() => get<{ tenants: TenantOverview[] }>('/api/tenants/overview'), 'tenants', 15_000);
  return (
    <section aria-labelledby="tenants-title">
      <div class="view-head">
        <h1 id="tenants-title" tabIndex={-1} ref={heading}>
          All tenants
        </h1>
      </div>
      <ErrorNotice error={overview.error} />
      {overview.data ? (
        <TableScroll label="Tenants overview">
          <table class="data" data-testid="tenants-overview">
            <caption class="sr-only">Each tenant with its runs, waits and free seats</caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Consent</th>
                <th scope="col">Runs</th>
                <th scope="col" class="num">
                  Waiting for licenses
                </th>
                <th scope="col" class="num">
                  Awaiting approval
                </th>
                <th scope="col">Free seats</th>
                <th scope="col">Console</th>
              </tr>
            </thead>
            <tbody>
              {overview.data.tenants.map((tenant) => (
                <tr key={tenant.tenantId} data-tenant={tenant.tenantId}>
                  <th scope="row">
                    <span class="product">{tenant.displayName}</span>
                    <span class="part">{tenant.home ? 'Home tenant' : tenant.tenantId}</span>
                  </th>
                  <td>
                    <Badge tone={CONSENT_WORDS[tenant.consent][0]}>{CONSENT_WORDS[tenant.consent][1]}</Badge>
                  </td>
                  <td data-runs={tenant.runs.total}>{runsText(tenant.runs.byStatus)}</td>
                  <td class="num" data-waiting-licenses={tenant.waiting.forLicenses}>
                    {formatNumber(tenant.waiting.forLicenses)}
                  </td>
                  <td class="num" data-waiting-approval={tenant.waiting.forApproval}>
                    {formatNumber(tenant.waiting.forApproval)}
                  </td>
                  <td>
                    {tenant.seats ? (
                      <ul class="seats">
                        {tenant.seats.map((sku) => (
                          <li key={sku.skuId} data-sku={sku.skuPartNumber} data-free={sku.free}>
                            {sku.productName}: {formatNumber(sku.free)} free
                          </li>
                        ))}
                      </ul>
                    ) : (
                      <span class="hint">{tenant.seatsError ?? 'Unknown'}</span>
                    )}
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Open ${tenant.displayName}`}
                      onClick={() => onSwitch(tenant.home ? null : tenant.tenantId)}
                    >
                      Open
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : (
        !overview.error && <p aria-live="polite">Loading the tenants…</p>
      )}
    </section>
  );
}
