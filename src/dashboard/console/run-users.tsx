/** Every user of a run, from its report: search, outcome filter, reason and Graph request-id, a page at a time. */
import { useState } from 'preact/hooks';
import { get, query } from './api';
import { formatNumber } from './format';
import type { ReportPage } from './types';
import { Badge, ErrorNotice, TableScroll, usePoll, Field } from './ui';

const PAGE = 100;
const OUTCOME_TONE: Record<string, string> = { moved: 'good', skipped: 'muted', blocked: 'waiting', failed: 'bad' };

/**
 * Until the run starts reassigning, its report can only say who the plan blocked (everyone else is "not changed yet"),
 * so the table then shows the blocked users alone.
 */
export function UsersTable({
  id,
  version,
  showMove,
  planOnly,
}: {
  id: string;
  version: string;
  showMove: boolean;
  planOnly: boolean;
}) {
  const [search, setSearch] = useState('');
  const [chosen, setOutcome] = useState('');
  const outcome = planOnly ? 'blocked' : chosen;
  const [skip, setSkip] = useState(0);
  const path = `/api/migrations/${encodeURIComponent(id)}/report${query({ outcome, search: search.trim(), top: PAGE, skip })}`;
  const report = usePoll(() => get<ReportPage>(path), `${path}|${version}`, 60_000);
  const matched = report.data?.rowsMatched ?? 0;
  return (
    <section class="panel" aria-labelledby="users-title">
      <h2 id="users-title">{planOnly ? 'Blocked by the plan' : 'Users'}</h2>
      <UserFilters
        planOnly={planOnly}
        search={search}
        outcome={outcome}
        onSearch={(value) => {
          setSearch(value);
          setSkip(0);
        }}
        onOutcome={(value) => {
          setOutcome(value);
          setSkip(0);
        }}
      />
      <ErrorNotice error={report.error} />
      <p class="hint" aria-live="polite" data-testid="users-count">
        {report.data
          ? `${formatNumber(matched)} of ${formatNumber(report.data.rowsTotal ?? matched)} users`
          : 'Loading…'}
      </p>
      <UsersRows rows={report.data?.rows ?? []} showMove={showMove} />
      {matched > PAGE && (
        <div class="actions pager">
          <button type="button" disabled={skip === 0} onClick={() => setSkip(Math.max(0, skip - PAGE))}>
            Previous {PAGE}
          </button>
          <span>
            {formatNumber(skip + 1)}–{formatNumber(Math.min(matched, skip + PAGE))}
          </span>
          <button type="button" disabled={skip + PAGE >= matched} onClick={() => setSkip(skip + PAGE)}>
            Next {PAGE}
          </button>
        </div>
      )}
    </section>
  );
}

function UserFilters(props: {
  planOnly: boolean;
  search: string;
  outcome: string;
  onSearch: (value: string) => void;
  onOutcome: (value: string) => void;
}) {
  return (
    <form class="filters" aria-label="Filter users" onSubmit={(event) => event.preventDefault()}>
      <Field label="Search user, reason or request-id">
        <input type="search" value={props.search} onInput={(event) => props.onSearch(event.currentTarget.value)} />
      </Field>
      {!props.planOnly && (
        <Field label="Outcome">
          <select value={props.outcome} onChange={(event) => props.onOutcome(event.currentTarget.value)}>
            <option value="">Any</option>
            <option value="moved">Moved</option>
            <option value="skipped">Skipped</option>
            <option value="blocked">Blocked</option>
            <option value="failed">Failed</option>
          </select>
        </Field>
      )}
    </form>
  );
}

function UsersRows({ rows, showMove }: { rows: ReportPage['rows']; showMove: boolean }) {
  return (
    <TableScroll label="Users of this run">
      <table class="data stack" data-testid="run-users">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Outcome</th>
            <th scope="col">Reason</th>
            <th scope="col">Graph request-id</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.userId}|${row.move}`} data-outcome={row.outcome}>
              <td data-label="User">
                {row.userPrincipalName}
                {showMove && <span class="part">{row.moveLabel}</span>}
              </td>
              <td data-label="Outcome">
                <Badge tone={OUTCOME_TONE[row.outcome] ?? 'info'}>{row.outcome}</Badge>
              </td>
              <td data-label="Reason">
                {row.reason}
                {row.graphErrorCode && <span class="part">{row.graphErrorCode}</span>}
              </td>
              <td data-label="Graph request-id">
                <code>{row.requestId ?? ''}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
