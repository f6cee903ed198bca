import { classifyGraphError, failureFromBody, type GraphOperation } from '../../src/graph/errors';

const SKU = 'f245ecc8-75af-4f8e-b61f-27d8114de5f3';
const classify = (status: number, code: string, message: string, operation: GraphOperation = 'assignLicense') =>
  classifyGraphError({ status, code, message, requestId: 'rid-1', date: '2026-11-26T05:00:00' }, operation);

describe('Graph error classification (documented and observed assignLicense errors)', () => {
  it.each([
    [
      400,
      'Request_BadRequest',
      `Subscription with SKU ${SKU} does not have any available licenses.`,
      'userFixable',
      /no free seats/i,
      /buy more/i,
    ],
    [
      400,
      'Request_BadRequest',
      'License assignment cannot be done for user with invalid usage location.',
      'userFixable',
      /usage location/i,
      /usage location/i,
    ],
    [
      400,
      'Request_BadRequest',
      'User license is inherited from a group membership and it cannot be removed directly from the user.',
      'userFixable',
      /group/i,
      /group/i,
    ],
    [
      400,
      'Request_BadRequest',
      'License assignment failed because service plans a,b are mutually exclusive',
      'userFixable',
      /mutually exclusive/i,
      /conflicting/i,
    ],
    [
      400,
      'Request_BadRequest',
      'License assignment failed because service plan a depends on the service plan(s) b,c',
      'userFixable',
      /depends on another one/i,
      /prerequisite/i,
    ],
    [
      400,
      'Request_BadRequest',
      `License ${SKU} does not correspond to a valid company License.`,
      'permanent',
      /no subscription/i,
      /buy/i,
    ],
    [
      400,
      'Request_BadRequest',
      `License ${SKU} cannot be assigned to a user.`,
      'permanent',
      /cannot be assigned/i,
      /user-assignable/i,
    ],
    [
      400,
      'Request_BadRequest',
      'User does not have a corresponding license.',
      'permanent',
      /no longer holds/i,
      /re-run/i,
    ],
    [
      404,
      'Request_ResourceNotFound',
      "Resource 'x' does not exist or one of its queried reference-property objects are not present.",
      'permanent',
      /does not exist/i,
      /deleted/i,
    ],
    [429, 'TooManyRequests', 'Please retry again later.', 'retryable', /throttled/i, /automatically/i],
    [503, 'serviceNotAvailable', 'Service unavailable', 'retryable', /temporary/i, /automatically/i],
    [504, 'GatewayTimeout', 'Gateway timeout', 'retryable', /temporary/i, /automatically/i],
    [0, 'Timeout', 'no answer', 'retryable', /did not answer/i, /automatically/i],
    [400, 'Request_BadRequest', 'Something new Graph says.', 'permanent', /refused/i, /fix/i],
  ])('%i %s "%s" is %s', (status, code, message, errorClass, reason, action) => {
    const info = classify(status, code, message);
    expect(info).toMatchObject({ status, code, message, errorClass, requestId: 'rid-1', date: '2026-11-26T05:00:00' });
    expect(info.reason).toMatch(reason);
    expect(info.action).toMatch(action);
  });

  it('names the clashing service plans it knows, and the others by id', () => {
    const info = classify(
      400,
      'Request_BadRequest',
      'License assignment failed because service plans 9aaf7827-d63c-4b61-89c3-182f06f82e5c,efb87545-963c-4e0d-99df-69c6916d9eb0 are mutually exclusive',
    );
    expect(info.reason).toMatch(/EXCHANGE_S_STANDARD and EXCHANGE_S_ENTERPRISE are mutually exclusive/);
    const dependency = classify(
      400,
      'Request_BadRequest',
      'License assignment failed because service plan f477b0f0-3bb1-4890-940c-40fcee6ce05f depends on the service plan(s) 9aaf7827-d63c-4b61-89c3-182f06f82e5c',
    );
    expect(dependency.reason).toMatch(/service plan f477b0f0-3bb1-4890-940c-40fcee6ce05f and EXCHANGE_S_STANDARD/);
  });

  it('names the SKU that has no free seats', () => {
    expect(
      classify(400, 'Request_BadRequest', `Subscription with SKU ${SKU} does not have any available licenses.`).reason,
    ).toContain(SKU);
  });

  it.each([
    ['assignLicense', 'LicenseAssignment.ReadWrite.All'],
    ['setUsageLocation', 'User.ReadWrite.All'],
    ['readUsers', 'User.Read.All'],
    ['readSubscribedSkus', 'Organization.Read.All'],
    ['readSubscriptions', 'Organization.Read.All'],
    ['readOrganization', 'Organization.Read.All'],
    ['readGroupMembers', 'GroupMember.Read.All'],
  ] as const)('403 during %s names the missing permission %s', (operation, permission) => {
    const info = classify(
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
      operation,
    );
    expect(info.errorClass).toBe('permanent');
    expect(info.missingPermission).toBe(permission);
    expect(info.reason).toContain(permission);
    expect(info.action).toContain(`Grant ${permission}`);
  });

  it('reads code, message, request-id and date from a Graph error body, falling back to headers', () => {
    const body = {
      error: {
        code: 'Request_BadRequest',
        message: 'm',
        innerError: { date: '2026-01-01T00:00:00', 'request-id': 'inner' },
      },
    };
    expect(failureFromBody(400, body, {})).toEqual({
      status: 400,
      code: 'Request_BadRequest',
      message: 'm',
      requestId: 'inner',
      date: '2026-01-01T00:00:00',
    });
    expect(failureFromBody(502, 'Bad gateway', { 'Request-Id': 'hdr', Date: 'Thu, 26 Nov 2026 05:00:00 GMT' })).toEqual(
      {
        status: 502,
        code: 'Http502',
        message: 'Bad gateway',
        requestId: 'hdr',
        date: 'Thu, 26 Nov 2026 05:00:00 GMT',
      },
    );
  });
});
