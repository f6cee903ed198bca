/** A Graph read that failed, as a problem answer: what Graph said, what to do, and its request-id for support. */
import type { HttpResponseInit } from '@azure/functions';
import { GraphRequestError } from '../graph';
import { problemResponse } from './problem';

/** 403 for a missing permission (naming the role), 400 for an argument Graph refused, else 502. Rethrows non-Graph errors. */
export function graphProblem(error: unknown): HttpResponseInit {
  if (!(error instanceof GraphRequestError)) throw error;
  const { info } = error;
  const status = info.missingPermission ? 403 : info.status === 400 ? 400 : 502;
  const title = info.missingPermission ? 'Microsoft Graph permission missing' : 'Microsoft Graph refused the read';
  return problemResponse(status, title, `${info.reason} ${info.action}`.trim(), {
    graphErrorCode: info.code,
    ...(info.requestId ? { requestId: info.requestId } : {}),
    ...(info.missingPermission ? { missingPermission: info.missingPermission } : {}),
  });
}
