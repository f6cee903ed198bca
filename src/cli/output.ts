/** Plain-text views of the API's answers for a terminal: aligned tables and short sentences. */
import type { RunView } from './watch';

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const numeric = header.map((_, column) => rows.length > 0 && rows.every((row) => typeof row[column] === 'number'));
  return cells
    .map((row) =>
      row
        .map((cell, column) => {
          const width = widths[column] ?? 0;
          return numeric[column] ? cell.padStart(width) : cell.padEnd(width);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

interface InventoryAnswer {
  skus: {
    skuPartNumber: string;
    productName: string;
    capabilityStatus: string;
    seats: { enabled: number; consumed: number; free: number };
    short?: number;
  }[];
  readAt: string;
}

export function describeInventory(inventory: InventoryAnswer): string {
  const rows = inventory.skus.map((sku) => [
    sku.skuPartNumber,
    sku.productName,
    sku.capabilityStatus,
    sku.seats.enabled,
    sku.seats.consumed,
    sku.seats.free,
    sku.short ? `short by ${sku.short}` : '',
  ]);
  return `${table(['SKU', 'Product', 'Status', 'Enabled', 'Consumed', 'Free', 'Unfinished runs'], rows)}\nRead at ${inventory.readAt}`;
}

interface PreviewAnswer {
  mode: 'preview' | 'dryRun';
  id?: string;
  statusUrl?: string;
  total?: number;
  toChange?: number;
  skipped?: number;
  blocked?: number;
  ready?: boolean;
  reasons?: string[];
  notes?: string[];
  seats?: { productName: string; needed: number; free: number; short: number }[];
  moves?: { label: string; lostPlans: { friendlyName?: string; servicePlanName?: string; holdsData?: boolean }[] }[];
  users?: { userPrincipalName: string; decision: string; reason: string }[];
  usersTruncated?: boolean;
}

export function describePreview(preview: PreviewAnswer): string {
  if (preview.mode === 'dryRun') {
    return `Too many users to preview at once: started dry run ${preview.id ?? ''}. Follow it with: license-shift status ${preview.id ?? '<id>'} --watch`;
  }
  const lines = [
    `${preview.toChange ?? 0} to change, ${preview.skipped ?? 0} to skip, ${preview.blocked ?? 0} blocked (of ${preview.total ?? 0})`,
  ];
  for (const move of preview.moves ?? []) {
    lines.push(`Move: ${move.label}`);
    const lost = move.lostPlans.map(
      (plan) => `${plan.friendlyName ?? plan.servicePlanName ?? '?'}${plan.holdsData ? ' (holds data)' : ''}`,
    );
    if (lost.length > 0) lines.push(`  plans lost: ${lost.join(', ')}`);
  }
  for (const seat of preview.seats ?? []) {
    lines.push(
      `Seats: ${seat.productName}: need ${seat.needed}, ${seat.free} free${seat.short > 0 ? `, buy ${seat.short} more` : ''}`,
    );
  }
  for (const reason of preview.reasons ?? []) lines.push(`Would wait: ${reason}`);
  for (const note of preview.notes ?? []) lines.push(`Note: ${note}`);
  const blocked = (preview.users ?? []).filter((user) => user.decision === 'blocked');
  if (blocked.length > 0) {
    lines.push(
      'Blocked users:',
      table(
        ['User', 'Reason'],
        blocked.map((user) => [user.userPrincipalName, user.reason]),
      ),
    );
  }
  if (preview.usersTruncated) lines.push('(the user list is cut short; see --json or a dry run for everyone)');
  lines.push(
    preview.ready ? 'Ready: a run started now would go ahead.' : 'Not ready: a run started now would wait (see above).',
  );
  return lines.join('\n');
}

function labelOf(run: RunView): string {
  const moves = run.run?.moves.map((move) => move.label).join('; ');
  // A rollback has no moves of its own.
  return moves || (run.run?.rollbackOf ? `Rollback of ${run.run.rollbackOf}` : '');
}

export function describeRun(run: RunView): string {
  const counts = run.counts;
  const lines = [
    `${run.id}  ${run.status}${run.run?.dryRun ? ' (dry run)' : ''}  ${labelOf(run)}`.trimEnd(),
    `  stage ${run.stage}, ${run.progress}% — ${counts.toChange} to change: ${counts.moved} moved, ${counts.failed} failed; ${counts.skipped} skipped, ${counts.blocked} blocked`,
  ];
  if (run.etaSeconds !== undefined) lines.push(`  about ${Math.ceil(run.etaSeconds)} s left`);
  if (run.waitingFor) lines.push(`  waiting: ${run.waitingFor.reason}`);
  if (run.message) lines.push(`  ${run.message}`);
  return lines.join('\n');
}

export function describeRuns(runs: RunView[]): string {
  if (runs.length === 0) return 'No runs.';
  return table(
    ['Id', 'Status', 'Moves', 'Started by', 'Created'],
    runs.map((run) => [
      run.id,
      `${run.status}${run.run?.dryRun ? ' (dry run)' : ''}`,
      labelOf(run),
      run.run?.startedBy ?? (run.run?.origin === 'schedule' ? 'schedule' : ''),
      run.createdAt,
    ]),
  );
}

/** One line per change while watching without a terminal. */
export function progressLine(run: RunView): string {
  const eta = run.etaSeconds !== undefined ? `, about ${Math.ceil(run.etaSeconds)} s left` : '';
  const waiting = run.waitingFor ? ` — ${run.waitingFor.reason}` : '';
  return `${run.status} ${run.progress}% (${run.counts.done}/${run.counts.toChange} users handled${eta})${waiting}`;
}

/** A tenant as GET /api/tenants/{id} answers it (the fields the CLI shows). */
export interface TenantLine {
  tenantId: string;
  displayName: string;
  defaultDomain?: string;
  home: boolean;
  consent: { status: string; checkedAt?: string; detail?: string };
  consentUrl?: string;
  limits?: Record<string, number>;
}

export interface TenantOverviewLine {
  tenantId: string;
  displayName: string;
  home: boolean;
  consent: string;
  runs: { total: number; byStatus: Record<string, number> };
  waiting: { forLicenses: number; forApproval: number };
  seats?: { skuPartNumber: string; productName: string; free: number }[];
  seatsError?: string;
}

export function describeTenants(tenants: TenantLine[]): string {
  return tenants
    .map(
      (tenant) =>
        `${tenant.tenantId}  ${tenant.displayName}${tenant.defaultDomain ? ` (${tenant.defaultDomain})` : ''}` +
        `  ${tenant.home ? 'home' : `consent ${tenant.consent.status}`}`,
    )
    .join('\n');
}

export function describeTenant(tenant: TenantLine): string {
  const limits = Object.entries(tenant.limits ?? {}).map(([name, value]) => `${name}=${value}`);
  return [
    `${tenant.displayName} (${tenant.tenantId})${tenant.home ? ', the home tenant' : ''}`,
    ...(tenant.defaultDomain ? [`Domain: ${tenant.defaultDomain}`] : []),
    `Consent: ${tenant.consent.status}${tenant.consent.checkedAt ? `, checked ${tenant.consent.checkedAt}` : ''}`,
    ...(tenant.consent.detail && tenant.consent.status !== 'granted' ? [`  ${tenant.consent.detail}`] : []),
    ...(tenant.consentUrl ? [`Send this URL to one of the tenant's global admins: ${tenant.consentUrl}`] : []),
    ...(limits.length > 0 ? [`Limits: ${limits.join(', ')}`] : []),
  ].join('\n');
}

export function describeTenantOverview(tenants: TenantOverviewLine[]): string {
  return tenants
    .map((tenant) => {
      const runs = Object.entries(tenant.runs.byStatus)
        .map(([status, count]) => `${count} ${status}`)
        .join(', ');
      const seats = tenant.seats
        ? tenant.seats.map((sku) => `${sku.skuPartNumber} ${sku.free} free`).join(', ') || 'no SKUs'
        : `seats unknown: ${tenant.seatsError ?? ''}`;
      return [
        `${tenant.displayName} (${tenant.tenantId})${tenant.home ? ' home' : ''}, consent ${tenant.consent}`,
        `  runs: ${runs || 'none'}; waiting for licenses ${tenant.waiting.forLicenses}, for approval ${tenant.waiting.forApproval}`,
        `  ${seats}`,
      ].join('\n');
    })
    .join('\n');
}
