/**
 * Query strings, validated at the edge with zod: each bad parameter is a 400 problem naming it. Query values arrive as
 * text; unknown parameters (the function key's `code`, say) are left alone.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import { problemsFromIssue } from '../domain/validation';
import { validationProblemResponse } from './problem';

export const INVALID_QUERY_TYPE = 'urn:license-shift:problem:invalid-query';

export function parseQuery<T extends z.ZodType>(
  schema: T,
  request: HttpRequest,
): { ok: true; value: z.output<T> } | { ok: false; response: HttpResponseInit } {
  const raw = Object.fromEntries(request.query.entries());
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    response: validationProblemResponse(parsed.error.issues.flatMap(problemsFromIssue), {
      type: INVALID_QUERY_TYPE,
      title: 'The query is not valid',
      consequence: 'Nothing was read.',
      instance: request.url,
    }),
  };
}
