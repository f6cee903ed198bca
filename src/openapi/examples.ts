/**
 * Examples in the OpenAPI document, and the descriptions of request fields (the README's table). Every example is a
 * request the API accepts: test/openapi/openapi.test.ts sends each one to the app on the demo tenant, in an order
 * that makes each answer 2xx (the approval examples find their runs awaiting approval, and so on).
 */

/** The run the examples start, approve, re-check, report on and finally cancel. */
export const EXAMPLE_RUN = 'bs-to-bp-wave-1';
/** A second run awaiting approval, which the reject example rejects. */
export const EXAMPLE_REJECTED_RUN = 'e5-to-e3-wave-1';
export const EXAMPLE_SCHEDULE = 'nightly-premium';
/** A small run that finishes (two users moved, one disabled account blocked): rolled back and retried. */
export const EXAMPLE_FINISHED_RUN = 'bs-to-bp-pilot';
/** A customer tenant the examples register, look up, consent-check and finally remove. */
export const EXAMPLE_TENANT = '4f2c8e1a-7b3d-4c5e-9a6f-1d2e3f4a5b6c';

const ALL_STANDARD_TO_PREMIUM = { from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } };

export const EXAMPLES = {
  startMigration: {
    approvalFirst: {
      summary: 'Every Business Standard user to Business Premium, after an approval',
      value: { id: EXAMPLE_RUN, moves: [ALL_STANDARD_TO_PREMIUM], usageLocation: 'US', requireApproval: true },
    },
    downgrade: {
      summary: 'Office 365 E5 to E3, losing data-holding plans knowingly, after an approval',
      value: {
        id: EXAMPLE_REJECTED_RUN,
        moves: [{ from: 'ENTERPRISEPREMIUM', to: 'ENTERPRISEPACK', users: { all: true } }],
        acknowledgeDataLoss: true,
        requireApproval: true,
      },
    },
    pilot: {
      summary: 'Three named users to Business Premium at once (a disabled account among them is blocked)',
      value: {
        id: EXAMPLE_FINISHED_RUN,
        moves: [
          {
            from: 'O365_BUSINESS_PREMIUM',
            to: 'SPB',
            users: { upns: ['adele.vance@contoso.com', 'alex.berg@contoso.com', 'allan.langer32@contoso.com'] },
          },
        ],
      },
    },
    listsAndGroups: {
      summary: 'Named users to one target, a group to another, Sway switched off',
      value: {
        moves: [
          {
            from: 'ENTERPRISEPACK',
            to: 'ENTERPRISEPREMIUM',
            users: { upns: ['adele.vance@contoso.com', "o'brien@contoso.com"] },
            disabledPlans: ['SWAY'],
          },
          { from: 'STANDARDPACK', to: 'ENTERPRISEPACK', users: { groupId: 'b7e1d2c3-8f4a-4d6b-9b2e-7c3e0f5d4a81' } },
        ],
        dryRun: true,
      },
    },
    replace: {
      summary: 'Replace every directly assigned license with Microsoft 365 E3, adding first',
      value: {
        mode: 'replace',
        strategy: 'overlap',
        moves: [{ to: 'SPE_E3', users: { ids: ['6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b'] } }],
        dryRun: true,
      },
    },
  },
  preview: {
    allToPremium: {
      summary: 'What moving every Business Standard user to Business Premium would do',
      value: { moves: [ALL_STANDARD_TO_PREMIUM], usageLocation: 'US' },
    },
  },
  approve: { byWhom: { summary: 'Approved by a named admin', value: { by: 'alice@contoso.com', reason: 'CAB-1234' } } },
  reject: {
    byWhom: { summary: 'Rejected, with the reason', value: { by: 'alice@contoso.com', reason: 'Back up first' } },
  },
  recheck: { now: { summary: 'Check the licenses now', value: { by: 'alice@contoso.com' } } },
  cancel: { now: { summary: 'Stop before the next batch', value: { by: 'alice@contoso.com', reason: 'Wrong group' } } },
  // One example: a second rollback is refused (409) while the first runs.
  rollback: {
    afterApproval: {
      summary: 'Restore what the run changed, users changed since then too, after an approval',
      value: { id: 'bs-to-bp-pilot-undo', force: true, requireApproval: true },
    },
  },
  retry: {
    disabledToo: {
      summary: 'Retry, moving the disabled accounts this time',
      value: { includeDisabledUsers: true, batchSize: 10 },
    },
  },
  putSchedule: {
    nightly: {
      summary: '200 users a night between 01:00 and 05:00, Berlin time, on weekdays',
      value: {
        request: { moves: [ALL_STANDARD_TO_PREMIUM], usageLocation: 'US' },
        cron: '0 0 1 * * *',
        timeZone: 'Europe/Berlin',
        window: { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '01:00', end: '05:00' },
        wave: { maxUsers: 200 },
      },
    },
  },
  putTenant: {
    customer: {
      summary: 'A customer, with a smaller write budget than the deployment’s',
      value: { displayName: 'Fabrikam Ltd', defaultDomain: 'fabrikam.onmicrosoft.com', limits: { maxConcurrency: 4 } },
    },
  },
  /** Query parameters, per operation. */
  listRunsQuery: { status: 'awaitingApproval,waitingForLicenses', top: 20, since: '2026-01-01T00:00:00Z' },
  reportQuery: { outcome: 'blocked,failed', search: 'contoso', top: 100, skip: 0 },
  skusQuery: { refresh: 'true' },
  skuUsersQuery: { top: 50 },
  /** Path parameters, per operation. */
  paths: {
    migration: EXAMPLE_RUN,
    rejected: EXAMPLE_REJECTED_RUN,
    finished: EXAMPLE_FINISHED_RUN,
    schedule: EXAMPLE_SCHEDULE,
    sku: 'O365_BUSINESS_PREMIUM',
    tenant: EXAMPLE_TENANT,
  },
} as const;

export type Examples = typeof EXAMPLES;

/** Descriptions of the request's fields by dotted path (array items share their array's path). */
export const REQUEST_FIELD_DOCS: Record<string, string> = {
  id: 'Client-chosen id: starting the same id again returns the existing run.',
  moves: 'The moves (1–50). A user may appear in only one move.',
  'moves.from': 'SKU id or part number to remove (e.g. O365_BUSINESS_PREMIUM); may be omitted in replace mode.',
  'moves.to': 'SKU id or part number to assign (e.g. SPB).',
  'moves.users':
    'Exactly one of all (everyone holding from), upns, ids (up to 100,000 each) or groupId (transitive members).',
  'moves.users.groupId': 'A group object id: its transitive members who are users.',
  'moves.disabledPlans': 'Target service plans to switch off, by id or name.',
  'moves.keepDisabledPlans': 'Plans a user had off on the source stay off on the target (same id, else same name).',
  mode: 'swap removes only from and keeps every other license; replace removes every directly assigned license.',
  strategy: 'atomic: one assignLicense per user adds and removes together. overlap: add now, remove in cleanup.',
  dryRun: 'Plan only; the report is the plan.',
  requireApproval: 'Wait for approve or reject until approvalTimeout.',
  tenantId: 'The registered tenant to act in (GET /api/tenants); leave it out for the home tenant.',
  approvalTimeout: 'ISO 8601 duration; no answer in time ends the run with nothing changed.',
  acknowledgeDataLoss: 'Required when a move loses data-holding services; otherwise the run stops after planning.',
  usageLocation: 'ISO 3166 alpha-2 code set on users who have none; otherwise they are blocked.',
  includeDisabledUsers: 'Also move disabled accounts.',
  waitForLicenses: 'How long to wait for seats, and how often to check (backing off to 1 h); ISO 8601 durations.',
  batchSize: 'Users per Graph $batch (1–20).',
  maxFailureRate: 'Stop starting new batches once more than this share of changes failed (after at least 20).',
  maxUsers: 'Move at most this many users in this run; the rest are reported as left for later.',
  notAfter: 'ISO instant with a time zone after which no new batch starts (a maintenance window’s end).',
};
