/**
 * Query strings of the migrations API (validated at the edge by src/http/query.ts: each bad parameter is a 400
 * naming it).
 */
import { z } from 'zod';
import { MIGRATION_STATUSES } from '../domain/status';
import type { RunFilters } from './runs';

const instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 date and time with a time zone, such as 2026-11-28T06:00:00Z',
});
const flag = z.enum(['true', 'false'], { error: 'must be true or false' });

export const listRunsQuery = z.object({
  status: z
    .string()
    .refine(
      (text) => text.split(',').every((status) => (MIGRATION_STATUSES as readonly string[]).includes(status.trim())),
      {
        error: `must be one or more of ${MIGRATION_STATUSES.join(', ')}, separated by commas`,
      },
    )
    .optional(),
  top: z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(500, { error: 'must be at most 500' })
    .default(50),
  since: instant.optional(),
  until: instant.optional(),
  startedBy: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' })
    .optional(),
  dryRun: flag.optional(),
  origin: z.enum(['http', 'schedule'], { error: 'must be http or schedule' }).optional(),
});

export const OUTCOMES = ['moved', 'skipped', 'blocked', 'failed'] as const;

export const reportQuery = z.object({
  format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).optional(),
  outcome: z
    .string()
    .refine((text) => text.split(',').every((outcome) => (OUTCOMES as readonly string[]).includes(outcome.trim())), {
      error: `must be one or more of ${OUTCOMES.join(', ')}, separated by commas`,
    })
    .optional(),
  search: z.string().max(200, { error: 'must be at most 200 characters' }).optional(),
  top: z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(100_000, { error: 'must be at most 100000' })
    .optional(),
  skip: z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be at least 0' })
    .optional(),
});

export type ReportQuery = z.output<typeof reportQuery>;

export function runFilters(query: z.output<typeof listRunsQuery>): RunFilters {
  const filters: RunFilters = {};
  if (query.status) filters.statuses = query.status.split(',').map((status) => status.trim());
  if (query.since) filters.since = Date.parse(query.since);
  if (query.until) filters.until = Date.parse(query.until);
  if (query.startedBy) filters.startedBy = query.startedBy;
  if (query.dryRun) filters.dryRun = query.dryRun === 'true';
  if (query.origin) filters.origin = query.origin;
  return filters;
}

/** The optional body of approve / reject / recheck / cancel: who acts and why (other fields are ignored). */
export const actionBody = z.object({
  by: z.string({ error: 'must be a string (who acts, e.g. alice@contoso.com)' }).optional(),
  reason: z.string({ error: 'must be a string (why, e.g. a change ticket)' }).optional(),
});
