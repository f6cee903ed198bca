/** Runs: every migration, labelled by its moves in product names, with who started it, filtered as the admin asks. */
import { useState } from 'preact/hooks';
import { get, query } from './api';
import { formatInstant, formatNumber, statusWords } from './format';
import { href } from './router';
import type { Migration } from './types';
import { Badge, ErrorNotice, Progress, StatusBadge, useFocusHeading, usePoll, Field } from './ui';

interface Filters {
  status: string;
  since: string;
  until: string;
  startedBy: string;
  dryRun: string;
}

const ACTIVE = 'pending,planning,awaitingApproval,waitingForLicenses,reassigning,verifying,cleaningUp';

/** yyyy-mm-dd (a date input) as the start or end of that day in the browser's time zone, as an ISO instant. */
function dayBound(day: string, end: boolean): string | undefined {
  if (!day) return undefined;
  const date = new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function RunsView({ statuses }: { statuses: string[] }) {
  const heading = useFocusHeading('runs');
  const [filters, setFilters] = useState<Filters>({ status: '', since: '', until: '', startedBy: '', dryRun: '' });
  const search = query({
    status: filters.status,
    since: dayBound(filters.since, false),
    until: dayBound(filters.until, true),
    startedBy: filters.startedBy.trim(),
    dryRun: filters.dryRun,
    top: 100,
  });
  const runs = usePoll(() => get<{ migrations: Migration[] }>(`/api/migrations${search}`), search);
  const update = (patch: Partial<Filters>) => setFilters((earlier) => ({ ...earlier, ...patch }));
  return (
    <section aria-labelledby="runs-title">
      <div class="view-head">
        <h1 id="runs-title" tabIndex={-1} ref={heading}>
          Runs
        </h1>
        <a class="button primary" href={href('new')}>
          New migration
        </a>
      </div>
      <form class="filters" aria-label="Filter runs" onSubmit={(event) => event.preventDefault()}>
        <Field label="Status">
          <select value={filters.status} onChange={(event) => update({ status: event.currentTarget.value })}>
            <option value="">Any</option>
            <option value={ACTIVE}>Not finished</option>
            {statuses.map((status) => (
              <option key={status} value={status}>
                {statusWords(status)}
              </option>
            ))}
          </select>
        </Field>
        <Field label="From">
          <input type="date" value={filters.since} onInput={(event) => update({ since: event.currentTarget.value })} />
        </Field>
        <Field label="To">
          <input type="date" value={filters.until} onInput={(event) => update({ until: event.currentTarget.value })} />
        </Field>
        <Field label="Started by">
          <input value={filters.startedBy} onInput={(event) => update({ startedBy: event.currentTarget.value })} />
        </Field>
        <Field label="Dry runs">
          <select value={filters.dryRun} onChange={(event) => update({ dryRun: event.currentTarget.value })}>
            <option value="">Included</option>
            <option value="false">Left out</option>
            <option value="true">Only</option>
          </select>
        </Field>
      </form>
      <ErrorNotice error={runs.error} />
      {runs.data && runs.data.migrations.length === 0 && (
        <p class="empty">No runs match. Start one from New migration.</p>
      )}
      <ul class="cards" aria-label="Runs">
        {(runs.data?.migrations ?? []).map((run) => (
          <RunCard key={run.id} run={run} />
        ))}
      </ul>
    </section>
  );
}

export function runLabel(run: Migration): string {
  const moves = run.run?.moves.map((move) => move.label).join('; ');
  if (moves) return moves;
  // A rollback has no moves of its own.
  const rollbackOf = run.run?.rollbackOf ?? run.rollbackOf;
  return rollbackOf ? `Rollback of ${rollbackOf}` : run.id;
}

function RunCard({ run }: { run: Migration }) {
  const summary = run.run;
  return (
    <li class="card" data-migration-id={run.id} data-status={run.status}>
      <div class="card-head">
        <a href={href('runs', run.id)} class="run-label">
          {runLabel(run)}
        </a>
        <StatusBadge status={run.status} />
        {summary?.dryRun && <Badge tone="info">dry run</Badge>}
      </div>
      <p class="meta">
        <span>{formatInstant(run.createdAt)}</span>
        <span>
          {summary?.startedBy
            ? `by ${summary.startedBy}`
            : summary?.origin === 'schedule'
              ? `schedule ${summary.scheduleName ?? ''}`
              : 'started over the API'}
        </span>
        <span class="part">{run.id}</span>
      </p>
      {!summary?.dryRun && <Progress value={run.progress} label={`Progress of ${runLabel(run)}`} />}
      <p class="meta">
        {formatNumber(run.counts.moved)} moved · {formatNumber(run.counts.skipped)} skipped ·{' '}
        {formatNumber(run.counts.blocked)} blocked · {formatNumber(run.counts.failed)} failed
      </p>
      {run.waitingFor && <p class="waiting-reason">{run.waitingFor.reason}</p>}
    </li>
  );
}
