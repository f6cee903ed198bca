/** Graph-shaped errors: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`. */

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Graph writes error dates without milliseconds or zone, e.g. `2020-08-18T12:51:51`. */
export function graphErrorDate(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 19);
}

/** [DOC] the message of the throttling page's sample 429. */
export const THROTTLE_SAMPLE_MESSAGE = 'Please retry again later.';

export function errorBody(
  error: GraphError,
  ids: { requestId: string; clientRequestId: string; nowMs: number },
): { error: Record<string, unknown> } {
  if (error.status === 429 && error.message === THROTTLE_SAMPLE_MESSAGE) {
    // [DOC] throttling.md sample body. Other observed 429 texts come with the plain innerError below.
    return {
      error: {
        code: error.code,
        message: error.message,
        innerError: {
          code: '429',
          date: graphErrorDate(ids.nowMs),
          message: 'Please retry after',
          'request-id': ids.requestId,
          status: '429',
          'client-request-id': ids.clientRequestId,
        },
      },
    };
  }
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: {
        date: graphErrorDate(ids.nowMs),
        'request-id': ids.requestId,
        'client-request-id': ids.clientRequestId,
      },
    },
  };
}

export const notFound = (id: string): GraphError =>
  new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

export const badRequest = (message: string, code = 'Request_BadRequest'): GraphError =>
  new GraphError(400, code, message);

/** The documented assignLicense failures ([OBS]/[DOC] strings from the reference, §3.5). */
export const licenseErrors = {
  missingParameters: (names: string[]): GraphError =>
    badRequest(
      `One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: ${names.join(', ')}.`,
    ),
  noAvailableLicenses: (skuId: string): GraphError =>
    badRequest(`Subscription with SKU ${skuId} does not have any available licenses.`),
  invalidUsageLocation: (): GraphError =>
    badRequest('License assignment cannot be done for user with invalid usage location.'),
  mutuallyExclusive: (planA: string, planB: string): GraphError =>
    badRequest(`License assignment failed because service plans ${planA},${planB} are mutually exclusive`),
  dependency: (plan: string, requires: string[]): GraphError =>
    badRequest(
      `License assignment failed because service plan ${plan} depends on the service plan(s) ${requires.join(',')}`,
    ),
  inheritedFromGroup: (): GraphError =>
    badRequest('User license is inherited from a group membership and it cannot be removed directly from the user.'),
  notHeld: (): GraphError => badRequest('User does not have a corresponding license.'),
  unknownSku: (skuId: string): GraphError =>
    badRequest(`License ${skuId} does not correspond to a valid company License.`),
  notForUsers: (skuId: string): GraphError => badRequest(`License ${skuId} cannot be assigned to a user.`),
  /** [UNCONFIRMED] wording: the reference has no sample for a disabled plan that is not part of the SKU. */
  invalidDisabledPlan: (planId: string, skuId: string): GraphError =>
    badRequest(`Service plan ${planId} is not part of the license ${skuId}.`),
};
