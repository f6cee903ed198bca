/**
 * The shapes of the API's answers, as zod schemas, so the OpenAPI document can be generated from them like the request
 * schemas it takes from src/domain. Each is checked at compile time against the TypeScript type the handler returns
 * (`satisfies`), and test/openapi checks real answers against the generated document.
 */
import { z } from 'zod';
import { NOTIFY_EVENTS, NOTIFY_FORMATS } from '../domain/notify';
import type { ReportSummary } from '../domain/report';
import { MIGRATION_STATUSES } from '../domain/status';
import type { BlockReasonCode, ReportRow } from '../domain/types';
import type { InventorySku, SkuHolder } from '../inventory/inventory';
import type { MigrationPreview } from '../migrations/preview';
import type { PlanSummaryView, RunSummary } from '../migrations/runs';
import type { ApprovalView } from '../migrations/related';
import type { MigrationView } from '../migrations/view';
import type { ScheduleView } from '../schedules/http';
import type { TenantRecord } from '../domain/tenancy';
import type { TenantOverview } from '../tenants/overview';
import type { NotificationRecord } from '../storage/migration-documents';
import { OUTCOMES } from '../migrations/queries';

const text = z.string();
const BLOCK_CODES = [
  'inheritedFromGroup',
  'groupRefused',
  'nestedOnly',
  'noUsageLocation',
  'foreignDomain',
  'accountDisabled',
  'userNotFound',
  'sourceNotHeld',
  'conflictingLicense',
  'notRecorded',
] as const satisfies readonly BlockReasonCode[];
// Every code the plan may give is listed: a new one fails the type check here rather than the documented schema.
const everyBlockCode: [Exclude<BlockReasonCode, (typeof BLOCK_CODES)[number]>] extends [never] ? true : never = true;
void everyBlockCode;
const count = z.number().int().min(0);
const instant = z.string().describe('ISO 8601 instant');

export const problem = z
  .object({
    type: text.describe('A URI naming the kind of problem (about:blank, or urn:license-shift:problem:…)'),
    title: text,
    status: z.number().int(),
    detail: text.describe('What went wrong in full, and what to do'),
    instance: text.optional(),
    errors: z
      .array(
        z.object({
          field: text.describe('JSON path of the offending value, e.g. moves[0].users.upns[3]'),
          message: text,
        }),
      )
      .optional()
      .describe('Every problem of the request, each naming its field (400 answers)'),
  })
  .describe('RFC 9457 problem details (application/problem+json)');

const counts = z.object({
  total: count,
  toChange: count,
  done: count,
  moved: count,
  skipped: count,
  failed: count,
  blocked: count,
});

const migrationLinks = z.object({
  self: text,
  report: text,
  reportCsv: text,
  approve: text,
  reject: text,
  recheck: text,
  cancel: text,
  rollback: text.describe('POST: start a run that restores what this one changed'),
  retry: text.describe('POST: start a run for this one’s failed (and fixably blocked) users'),
  rollbackOf: text.optional(),
  retryOf: text.optional(),
  rolledBackBy: z.array(text).optional(),
  retriedBy: z.array(text).optional(),
});

const waitingFor = z.object({
  reason: text.describe('"need 28, 5 free: buy 23 more Microsoft 365 Business Premium licenses (…)"'),
  reasons: z.array(text),
  since: instant,
  nextCheckAt: instant.optional(),
  deadline: instant.optional(),
});

const productRef = z.object({ ref: text, skuPartNumber: text.optional(), productName: text });

export const runSummary = z
  .object({
    moves: z.array(
      z.object({
        from: productRef.optional(),
        to: productRef,
        label: text.describe('"Microsoft 365 Business Standard → Microsoft 365 Business Premium"'),
        users: z.object({
          kind: z.enum(['all', 'upns', 'ids', 'groupId']),
          count: count.optional(),
          groupId: text.optional(),
        }),
      }),
    ),
    origin: z.enum(['http', 'schedule']),
    scheduleName: text.optional(),
    startedBy: text.optional().describe('The signed-in user (x-ms-client-principal-name) who started it'),
    rollbackOf: text.optional().describe('A rollback (no moves of its own): the run whose changes it restores'),
    retryOf: text.optional().describe('A retry: the run whose failed users it tries again'),
    dryRun: z.boolean(),
    requireApproval: z.boolean(),
    mode: z.enum(['swap', 'replace']),
    strategy: z.enum(['atomic', 'overlap']),
  })
  .describe('How the run was asked for') satisfies z.ZodType<RunSummary>;

const approvalView = z.object({
  approvers: z
    .object({ deployment: z.array(text), run: z.array(text) })
    .describe('APPROVERS and the run’s approvers: a decider must be on each list that is set'),
  requireDifferentApprover: z.boolean(),
  requestedBy: z
    .object({ name: text.optional(), id: text.optional(), verified: z.boolean(), label: text.optional() })
    .optional(),
  decision: z
    .object({
      approved: z.boolean(),
      by: text.optional(),
      reason: text.optional(),
      at: instant,
      verified: z.boolean().optional(),
      principalId: text.optional(),
      label: text.optional(),
    })
    .optional(),
  plan: z
    .object({
      total: count,
      toChange: count,
      skipped: count,
      blocked: count,
      moves: z.array(z.object({ move: count, label: text, from: text.optional(), to: text })),
      seats: z.array(z.object({ skuId: text, name: text, needed: count })),
      dataLoss: z.array(z.object({ move: count, from: text, to: text, plans: z.array(text) })),
      lostPlans: count,
      needsDataLossAcknowledgement: z.boolean(),
    })
    .optional(),
}) satisfies z.ZodType<ApprovalView>;

export const migrationView = z.object({
  id: text,
  status: z.enum(MIGRATION_STATUSES),
  stage: text,
  counts,
  progress: z.number().min(0).max(100).describe('Percentage of planned changes handled'),
  etaSeconds: z.number().min(0).optional(),
  waitingFor: waitingFor.optional(),
  message: text.optional(),
  remaining: count.optional(),
  createdAt: instant,
  updatedAt: instant,
  links: migrationLinks,
  rollbackOf: text.optional().describe('The run this one rolls back (single-run view)'),
  retryOf: text.optional().describe('The run whose failed users this one retries (single-run view)'),
  rolledBackBy: z.array(text).optional(),
  retriedBy: z.array(text).optional(),
  actions: z
    .array(z.enum(['approve', 'reject', 'recheck', 'cancel', 'rollback', 'retry']))
    .optional()
    .describe('What may be done now (single-run view): the console shows only these buttons'),
  approval: approvalView.optional().describe('Who may decide and on what (runs that need approval)'),
  tenantId: text.optional().describe('The customer tenant the run acts in (absent: the home tenant)'),
}) satisfies z.ZodType<MigrationView>;

const lostPlan = z.object({
  servicePlanId: text,
  servicePlanName: text,
  friendlyName: text,
  holdsData: z.boolean().describe('Removing it makes the user’s content in it inaccessible'),
});

/** A plan's counts, as the run detail and the preview both show them. */
const planCounts = {
  total: count,
  toChange: count,
  skipped: count,
  blocked: count,
  remaining: count,
  needsDataLossAcknowledgement: z.boolean(),
};

const planSummary = z.object({
  plannedAt: instant,
  ...planCounts,
  seats: z.array(
    z.object({ skuId: text, skuPartNumber: text, productName: text, needed: count, freeWhenPlanned: count }),
  ),
  downgrades: z.array(z.object({ move: count, from: productRef, to: productRef, lostPlans: z.array(lostPlan) })),
}) satisfies z.ZodType<PlanSummaryView>;

export const migrationListItem = migrationView.extend({ run: runSummary.optional() });

export const migrationDetail = migrationListItem.extend({
  plan: planSummary.optional(),
  stages: z
    .array(z.object({ stage: text, status: z.enum(MIGRATION_STATUSES), at: instant }))
    .describe('When the run entered each stage'),
});

export const migrationList = z.object({ migrations: z.array(migrationListItem) });

export const startAccepted = z.object({
  id: text,
  created: z.boolean().describe('false when a run with this id already existed (200)'),
  status: z.enum(MIGRATION_STATUSES),
  statusUrl: text.optional(),
  links: migrationLinks.optional(),
  migration: migrationView.optional(),
});

export const linkedRunAccepted = startAccepted.extend({
  rollbackOf: text.optional().describe('The run this one rolls back'),
  retryOf: text.optional().describe('The run whose users this one retries'),
});

export const actionAccepted = z.object({
  id: text,
  action: z.enum(['approve', 'reject', 'recheck', 'cancel']),
  accepted: z.literal(true),
  links: migrationLinks,
});

const license = z.object({ skuId: text, disabledPlans: z.array(text) });

const reportRow = z.object({
  userPrincipalName: text,
  userId: text,
  move: count,
  moveLabel: text,
  action: text,
  outcome: z.enum(OUTCOMES),
  reason: text,
  blockCode: z.enum(BLOCK_CODES).optional(),
  errorClass: z.enum(['retryable', 'userFixable', 'permanent']).optional(),
  graphErrorCode: text.optional(),
  requestId: text.optional().describe('Graph’s request-id, for support'),
  before: z.array(license),
  after: z.array(license),
}) satisfies z.ZodType<ReportRow>;

const reportSummary = z.object({
  total: count,
  byOutcome: z.record(z.enum(OUTCOMES), count),
  byMove: z.array(
    z.object({ move: count, label: text, total: count, moved: count, skipped: count, blocked: count, failed: count }),
  ),
  sourceSkus: z.array(
    z.object({
      skuId: text,
      skuPartNumber: text,
      name: text,
      seatsFreed: count,
      unusedSeats: count.nullable(),
      recommendation: text,
    }),
  ),
}) satisfies z.ZodType<ReportSummary>;

const notificationRecord = z.object({
  event: z.enum(NOTIFY_EVENTS),
  target: text.describe('The receiver’s URL without its query'),
  format: z.enum(NOTIFY_FORMATS),
  deliveryId: text,
  state: z.enum(['sending', 'retrying', 'delivered', 'failed', 'refused']),
  attempts: count,
  reason: text.optional(),
  lastResult: text.optional(),
  createdAt: instant,
  updatedAt: instant,
}) satisfies z.ZodType<Omit<NotificationRecord, 'key'>>;

export const report = z.object({
  id: text,
  rollbackOf: text.optional(),
  retryOf: text.optional(),
  rolledBackBy: z.array(text).optional(),
  retriedBy: z.array(text).optional(),
  notifications: z.array(notificationRecord).describe('Each notification of the run, and how its delivery went'),
  status: z.enum(MIGRATION_STATUSES),
  message: text.optional(),
  counts,
  plan: z.object({
    moves: z.array(z.object({}).passthrough()),
    seatsNeeded: z.record(text, count),
    downgrades: z.array(z.object({}).passthrough()),
    remaining: count,
    groups: z.array(z.object({}).passthrough()).optional().describe('Group moves’ units (docs/group-moves.md)'),
  }),
  summary: reportSummary.optional(),
  finishedAt: instant.optional(),
  rows: z.array(reportRow),
  rowsTotal: count.optional().describe('With outcome, search, top or skip: rows in the report'),
  rowsMatched: count.optional().describe('With outcome, search, top or skip: rows matching before paging'),
});

const servicePlan = z.object({
  servicePlanId: text,
  servicePlanName: text,
  friendlyName: text,
  appliesTo: text.optional(),
  provisioningStatus: text.optional(),
  holdsData: z.boolean(),
});

export const inventorySku = z.object({
  skuId: text,
  skuPartNumber: text,
  productName: text,
  appliesTo: text,
  capabilityStatus: text,
  seats: z.object({
    enabled: count,
    warning: count,
    suspended: count,
    lockedOut: count,
    consumed: count,
    free: count,
    reserved: count.optional().describe('Held by runs not yet assigned; present where the app has a seat ledger'),
    available: count.optional(),
  }),
  demand: z.object({
    seats: count,
    migrations: z.array(z.object({ id: text, status: text, seats: count })),
  }),
  short: count.optional().describe('Seats to buy for the unfinished migrations'),
  servicePlans: z.array(servicePlan),
  subscriptionIds: z.array(text).optional(),
  links: z.object({ users: text }),
}) satisfies z.ZodType<InventorySku>;

export const inventory = z.object({
  skus: z.array(inventorySku),
  readAt: instant,
  maxAgeSeconds: count,
});

const skuHolder = z.object({
  id: text,
  userPrincipalName: text,
  accountEnabled: z.boolean(),
  usageLocation: text.nullable(),
  assignment: z.enum(['direct', 'group', 'directAndGroup']),
  groups: z.array(text),
  disabledPlans: z.array(text),
  error: text.optional(),
}) satisfies z.ZodType<SkuHolder>;

export const skuUsersPage = z.object({
  sku: z.object({ skuId: text, skuPartNumber: text, productName: text, servicePlans: z.array(servicePlan) }),
  users: z.array(skuHolder),
  continuationToken: text.optional().describe('Pass back as ?continuationToken= for the next page'),
  links: z.object({ next: text.optional() }),
});

const previewProduct = z.object({ skuId: text, skuPartNumber: text, productName: text });

export const preview = z.object({
  mode: z.literal('preview'),
  ...planCounts,
  ready: z.boolean().describe('A run started now would not wait for licenses or stop for data loss'),
  reasons: z.array(text).describe('What a run would wait for, in the run’s own words'),
  notes: z.array(text),
  seats: z.array(previewProduct.extend({ capabilityStatus: text, needed: count, free: count, short: count })),
  moves: z.array(
    z.object({
      move: count,
      label: text,
      from: previewProduct.optional(),
      to: previewProduct,
      disabledPlans: z.array(z.object({ servicePlanId: text, servicePlanName: text, friendlyName: text })),
      users: z.object({ total: count, toChange: count, skipped: count, blocked: count }),
      lostPlans: z.array(lostPlan),
    }),
  ),
  blockedReasons: z.array(z.object({ code: z.enum(BLOCK_CODES), count })),
  users: z.array(
    z.object({
      userId: text,
      userPrincipalName: text,
      move: count,
      decision: z.enum(['change', 'skip', 'blocked']),
      code: z.enum(BLOCK_CODES).optional(),
      reason: text,
    }),
  ),
  usersTruncated: z.boolean().optional(),
}) satisfies z.ZodType<MigrationPreview>;

export const dryRunAccepted = z.object({
  mode: z.literal('dryRun'),
  id: text,
  statusUrl: text.optional(),
  reportUrl: text.optional(),
  links: migrationLinks.optional(),
  migration: migrationView.optional(),
});

const occurrence = z.object({
  occurrence: instant,
  outcome: z.enum(['started', 'skipped']),
  migrationId: text.optional(),
  late: z.boolean().optional(),
  reason: text.optional(),
  recordedAt: instant,
});

export const scheduleView = z.object({
  name: text,
  status: z.enum(['active', 'paused', 'finished']),
  definition: z.object({}).passthrough().describe('The stored definition (the request with defaults applied)'),
  createdAt: instant,
  updatedAt: instant,
  nextOccurrence: instant.optional(),
  nextOccurrences: z.array(instant).optional(),
  window: z.object({ open: z.boolean(), closesAt: instant.optional(), opensAt: instant.optional() }).optional(),
  occurrencesStarted: count,
  lastOccurrence: occurrence.optional(),
  lastMigrationId: text.optional(),
  finished: z
    .object({ at: instant, reason: z.enum(['complete', 'maxOccurrences']), lastMigrationId: text.optional() })
    .optional(),
  occurrences: z.array(occurrence).optional(),
  links: z.object({ self: text, pause: text, resume: text, lastMigration: text.optional() }),
}) satisfies z.ZodType<Omit<ScheduleView, 'definition'>>;

export const scheduleList = z.object({ schedules: z.array(scheduleView) });

export const health = z.object({ status: z.literal('ok'), service: text });

const consentRecord = z.object({
  status: z.enum(['granted', 'notConsented', 'unknown']),
  checkedAt: instant.optional(),
  detail: text.optional().describe('What the last check saw when it failed (the Entra or Graph message)'),
});

export const tenantRecord = z
  .object({
    tenantId: text,
    displayName: text,
    defaultDomain: text.optional(),
    home: z.boolean().describe('The deployment’s own tenant: always present, never deleted'),
    consent: consentRecord,
    limits: z.object({
      writeBudgetPer150s: count.optional(),
      resourceUnitBudgetPer10s: count.optional(),
      maxConcurrency: count.optional(),
    }),
    createdAt: instant,
    updatedAt: instant,
    consentUrl: text
      .optional()
      .describe('While consent is missing: the admin-consent URL to send one of the customer’s global admins'),
  })
  .describe('A registered tenant') satisfies z.ZodType<TenantRecord>;

export const tenantList = z.object({ homeTenantId: text, tenants: z.array(tenantRecord) });

export const tenantConsentCheck = tenantRecord.extend({
  check: consentRecord.describe('What this check saw (the home tenant’s record always says granted)'),
});

export const tenantOverview = z.object({
  tenants: z.array(
    z.object({
      tenantId: text,
      displayName: text,
      home: z.boolean(),
      consent: z.enum(['granted', 'notConsented', 'unknown']),
      runs: z.object({ total: count, byStatus: z.record(z.string(), count).describe('Runs per status') }),
      waiting: z.object({
        forLicenses: count,
        forApproval: count,
        runs: z.array(z.object({ id: text, status: text })).describe('The waiting runs (their ids are run keys)'),
      }),
      seats: z
        .array(
          z.object({
            skuId: text,
            skuPartNumber: text,
            productName: text,
            enabled: count,
            consumed: count,
            free: count,
            reserved: count.optional().describe('Held in the tenant’s ledger by runs not yet assigned'),
          }),
        )
        .optional()
        .describe('Per user SKU of the tenant'),
      seatsError: text.optional().describe('Why the tenant’s SKUs could not be read (its runs are still shown)'),
    }) satisfies z.ZodType<TenantOverview>,
  ),
  readAt: instant,
});
