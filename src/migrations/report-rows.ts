/**
 * The report's rows as the console's per-user table asks for them: by outcome, by a search over the user, the reason
 * and Graph's request-id, a page at a time. Without any of those parameters the answer is every row, as before.
 */
import type { ReportRow } from '../domain/types';
import type { ReportQuery } from './queries';

export function filterRows(
  rows: ReportRow[],
  query: Pick<ReportQuery, 'outcome' | 'search' | 'top' | 'skip'>,
): { rows: ReportRow[]; rowsTotal?: number; rowsMatched?: number } {
  if (
    query.outcome === undefined &&
    query.search === undefined &&
    query.top === undefined &&
    query.skip === undefined
  ) {
    return { rows };
  }
  const outcomes = query.outcome?.split(',').map((outcome) => outcome.trim());
  const search = query.search?.trim().toLowerCase();
  const matched = rows.filter(
    (row) =>
      (!outcomes || outcomes.includes(row.outcome)) &&
      (!search ||
        [row.userPrincipalName, row.userId, row.reason, row.requestId ?? '', row.graphErrorCode ?? ''].some((text) =>
          text.toLowerCase().includes(search),
        )),
  );
  const skip = query.skip ?? 0;
  const page = matched.slice(skip, query.top === undefined ? undefined : skip + query.top);
  return { rows: page, rowsTotal: rows.length, rowsMatched: matched.length };
}
