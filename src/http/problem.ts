/**
 * RFC 9457 problem documents (`application/problem+json`): the one shape every error answer of the API takes.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { Problem } from '../domain/request';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A problem answer: `title` says what went wrong in a few words, `detail` says it fully and what to do. */
export function problemResponse(
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
): HttpResponseInit {
  return {
    status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify({ type: 'about:blank', title, status, detail, ...extra }),
  };
}

/** The body of a 400 answer listing every problem of a request, each naming its field. */
export interface ValidationProblemDetails {
  type: string;
  title: string;
  status: 400;
  detail: string;
  instance?: string;
  errors: Problem[];
}

export interface ValidationProblemOptions {
  type: string;
  title: string;
  /** What the refusal means for the caller ("Nothing was started."). */
  consequence: string;
  instance?: string;
}

/** `detail` names the first few problems in one sentence; `errors` lists them all. */
export function validationProblemDetails(
  problems: Problem[],
  options: ValidationProblemOptions,
): ValidationProblemDetails {
  const shown = problems.slice(0, 3).map((problem) => `${problem.field} ${problem.message}`);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  const count = problems.length === 1 ? 'One problem' : `${problems.length} problems`;
  const detail =
    problems.length === 0
      ? `${options.title}. ${options.consequence}`
      : `${count}: ${shown.join('; ')}${more}. ${options.consequence}`;
  const document: ValidationProblemDetails = {
    type: options.type,
    title: options.title,
    status: 400,
    detail,
    errors: problems,
  };
  if (options.instance !== undefined) document.instance = options.instance;
  return document;
}

export function validationProblemResponse(problems: Problem[], options: ValidationProblemOptions): HttpResponseInit {
  return {
    status: 400,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(validationProblemDetails(problems, options)),
  };
}
