/** Licenses: the tenant's inventory, seats against what unfinished runs need, and each SKU's plans and holders. */
import { useEffect, useState } from 'preact/hooks';
import { get, query } from './api';
import { formatInstant, formatNumber } from './format';
import { href } from './router';
import type { Inventory, InventorySku, SkuHolder, SkuUsersPage } from './types';
import { Badge, ErrorNotice, TableScroll, useFocusHeading, usePoll } from './ui';

export function LicensesView({ sku }: { sku?: string }) {
  const heading = useFocusHeading(`licenses${sku ?? ''}`);
  const [refresh, setRefresh] = useState(0);
  const inventory = usePoll(
    () => get<Inventory>(`/api/skus${query({ refresh: refresh > 0 ? 'true' : undefined })}`),
    `inv${refresh}`,
    30_000,
  );
  const skus = inventory.data?.skus ?? [];
  const selected = skus.find((item) => item.skuId === sku || item.skuPartNumber === sku);
  return (
    <section aria-labelledby="licenses-title">
      <div class="view-head">
        <h1 id="licenses-title" tabIndex={-1} ref={heading}>
          Licenses
        </h1>
        <button type="button" onClick={() => setRefresh((value) => value + 1)}>
          Refresh from Microsoft Graph
        </button>
      </div>
      <ErrorNotice error={inventory.error} />
      {inventory.data ? (
        <>
          <p class="hint">
            Read {formatInstant(inventory.data.readAt)}; kept for {inventory.data.maxAgeSeconds} s. "Needed" counts
            seats that unfinished runs still have to assign.
          </p>
          <InventoryTable skus={skus} />
        </>
      ) : (
        !inventory.error && <p aria-live="polite">Loading the inventory…</p>
      )}
      {selected && <SkuDetail sku={selected} />}
    </section>
  );
}

function InventoryTable({ skus }: { skus: InventorySku[] }) {
  // Reserved seats come with the seat ledger: the column appears as soon as the API reports them.
  const withReservations = skus.some((item) => item.seats.reserved !== undefined);
  return (
    <TableScroll label="License inventory">
      <table class="data" data-testid="inventory">
        <caption class="sr-only">Each license in the tenant with its seats</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Enabled
            </th>
            <th scope="col" class="num">
              Warning
            </th>
            <th scope="col" class="num">
              Suspended
            </th>
            <th scope="col" class="num">
              Consumed
            </th>
            <th scope="col" class="num">
              Free
            </th>
            {withReservations && (
              <th scope="col" class="num">
                Reserved
              </th>
            )}
            <th scope="col" class="num">
              Needed
            </th>
            <th scope="col">Holders</th>
          </tr>
        </thead>
        <tbody>
          {skus.map((item) => (
            <InventoryRow key={item.skuId} item={item} withReservations={withReservations} />
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function InventoryRow({ item, withReservations }: { item: InventorySku; withReservations: boolean }) {
  return (
    <tr data-sku={item.skuPartNumber} class={item.short ? 'short' : ''}>
      <th scope="row">
        <span class="product">{item.productName}</span>
        <span class="part">{item.skuPartNumber}</span>
      </th>
      <td>
        <Badge
          tone={item.capabilityStatus === 'Enabled' ? 'good' : item.capabilityStatus === 'Warning' ? 'waiting' : 'bad'}
        >
          {item.capabilityStatus}
        </Badge>
      </td>
      <td class="num">{formatNumber(item.seats.enabled)}</td>
      <td class="num">{formatNumber(item.seats.warning)}</td>
      <td class="num">{formatNumber(item.seats.suspended)}</td>
      <td class="num">{formatNumber(item.seats.consumed)}</td>
      <td class="num" data-free={item.seats.free}>
        {formatNumber(item.seats.free)}
      </td>
      {withReservations && <td class="num">{formatNumber(item.seats.reserved ?? 0)}</td>}
      <td class="num">
        {item.demand.seats > 0 ? formatNumber(item.demand.seats) : '—'}
        {item.short !== undefined && (
          <span class="short-by">
            <Badge tone="bad">short by {formatNumber(item.short)}</Badge>
          </span>
        )}
      </td>
      <td>
        {item.appliesTo === 'User' ? (
          <a href={href('licenses', item.skuId)} aria-label={`Users and plans of ${item.productName}`}>
            Users and plans
          </a>
        ) : (
          <span class="hint">company-wide</span>
        )}
      </td>
    </tr>
  );
}

function SkuDetail({ sku }: { sku: InventorySku }) {
  return (
    <section class="panel" aria-labelledby="sku-title" data-testid="sku-detail">
      <h2 id="sku-title">{sku.productName}</h2>
      {sku.demand.migrations.length > 0 && (
        <p>
          Unfinished runs need {formatNumber(sku.demand.seats)} seats:{' '}
          {sku.demand.migrations.map((run, index) => (
            <span key={run.id}>
              {index > 0 && ', '}
              <a href={href('runs', run.id)}>{run.id}</a> ({run.seats})
            </span>
          ))}
          .
        </p>
      )}
      <details>
        <summary>
          {sku.servicePlans.length} service plans, {sku.servicePlans.filter((plan) => plan.holdsData).length} holding
          user data
        </summary>
        <ul class="plans">
          {sku.servicePlans.map((plan) => (
            <li key={plan.servicePlanId}>
              {plan.friendlyName} <span class="part">{plan.servicePlanName}</span>
              {plan.holdsData && <Badge tone="waiting">holds data</Badge>}
            </li>
          ))}
        </ul>
      </details>
      <Holders sku={sku} />
    </section>
  );
}

const ASSIGNMENT_WORDS = { direct: 'Direct', group: 'Group', directAndGroup: 'Direct and group' };

function Holders({ sku }: { sku: InventorySku }) {
  const [pages, setPages] = useState<SkuUsersPage[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const load = async (token?: string) => {
    setBusy(true);
    try {
      const page = await get<SkuUsersPage>(
        `/api/skus/${encodeURIComponent(sku.skuId)}/users${query({ top: 50, continuationToken: token })}`,
      );
      setPages((earlier) => (token ? [...earlier, page] : [page]));
      setError(undefined);
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    setPages([]);
    void load();
    // Only a change of SKU starts the list over.
  }, [sku.skuId]);
  const users: SkuHolder[] = pages.flatMap((page) => page.users);
  const next = pages.at(-1)?.continuationToken;
  return (
    <>
      <h3>Holders</h3>
      <ErrorNotice error={error} />
      <TableScroll label={`Holders of ${sku.productName}`}>
        <table class="data stack" data-testid="holders">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Assigned</th>
              <th scope="col">Switched off</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id}>
                <td data-label="User">
                  {user.userPrincipalName}
                  {!user.accountEnabled && <Badge tone="muted">disabled</Badge>}
                </td>
                <td data-label="Assigned" data-assignment={user.assignment}>
                  {ASSIGNMENT_WORDS[user.assignment]}
                  {user.groups.length > 0 && <span class="part">{user.groups.join(', ')}</span>}
                </td>
                <td data-label="Switched off">{user.disabledPlans.join(', ') || '—'}</td>
                <td data-label="State">{user.error ? <Badge tone="bad">{user.error}</Badge> : 'OK'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p aria-live="polite" class="hint">
        {busy ? 'Loading…' : `${users.length} shown${next ? '' : ', all of them'}`}
      </p>
      {next && (
        <button type="button" disabled={busy} onClick={() => void load(next)}>
          Load more holders
        </button>
      )}
    </>
  );
}
