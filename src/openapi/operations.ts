/**
 * Every route of the app as an OpenAPI operation. `operationId` is the name the function is registered under, so the
 * test can match the document against the app's registrations one to one.
 */
import { INVENTORY_QUERY_SCHEMAS } from '../inventory/http';
import { listRunsQuery, reportQuery } from '../migrations/queries';
import type { Examples } from './examples';
import { queryParameters, type JsonSchema } from './json-schema';

export interface Operation {
  path: string;
  method: 'get' | 'post' | 'put' | 'delete';
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  /** No key needed (the page, this document, liveness). */
  anonymous?: boolean;
  parameters?: JsonSchema[];
  requestBody?: JsonSchema;
  responses: Record<string, JsonSchema>;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, schema: string, headers?: JsonSchema): JsonSchema => ({
  description,
  content: { 'application/json': { schema: ref(schema) } },
  ...(headers ? { headers } : {}),
});

const PROBLEM_WORDS: Record<string, string> = {
  '400': 'The request is not valid: every problem is listed, each naming its field.',
  '401': 'No valid function key (or, with API_AUTH=appService, no signed-in user).',
  '403': 'The app’s identity lacks a Microsoft Graph permission (named in the answer).',
  '404': 'Not found.',
  '409': 'Not possible in the run’s current state (the answer says which).',
  '413': 'The body is too large.',
  '415': 'The body is not JSON.',
  '422': 'The request cannot be planned in this tenant (a SKU or plan it does not have).',
  '502': 'Microsoft Graph refused or failed the read (its request-id is in the answer).',
};

function problems(...codes: string[]): Record<string, JsonSchema> {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      { description: PROBLEM_WORDS[code] ?? code, content: { 'application/problem+json': { schema: ref('Problem') } } },
    ]),
  );
}

const pathParam = (name: string, description: string, example: string): JsonSchema => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
  example,
});

/** Every tenant-scoped route takes it; a run, schedule or SKU of another tenant is never reached (404). */
const tenantQuery: JsonSchema = {
  name: 'tenantId',
  in: 'query',
  required: false,
  description:
    'The registered tenant to act in (GET /api/tenants); absent: the home tenant. An id that is not a registered ' +
    'tenant’s is a 400 naming tenantId.',
  schema: { type: 'string', format: 'uuid' },
};

/** 409 of a route that starts a run: the tenant has not granted consent (the answer carries the admin-consent URL). */
const notConsented = (alsoState = false): Record<string, JsonSchema> => ({
  '409': {
    description: alsoState
      ? 'Not possible in the run’s current state, or the tenant has not granted consent (consentUrl in the answer).'
      : 'The tenant has not granted consent: consentUrl in the answer is the URL to send its admin. Nothing started.',
    content: { 'application/problem+json': { schema: ref('Problem') } },
  },
});

const body = (schema: string, examples: Record<string, unknown>, required = true): JsonSchema => ({
  required,
  content: { 'application/json': { schema: ref(schema), examples } },
});

const location = { Location: { description: 'The run’s status URL', schema: { type: 'string' } } };

function migrationOperations(examples: Examples): Operation[] {
  return [
    {
      path: '/migrations',
      method: 'post',
      operationId: 'startMigration',
      tags: ['migrations'],
      summary: 'Start a migration',
      description: 'The tenant is `tenantId` in the body or the query (the same in both when given twice).',
      parameters: [tenantQuery],
      requestBody: body('MigrationRequest', examples.startMigration),
      responses: {
        '202': json('Started', 'StartAccepted', location),
        '200': json('A run with this id already exists: that run', 'StartAccepted', location),
        ...problems('400', '401', '413', '415'),
        ...notConsented(),
      },
    },
    {
      path: '/migrations',
      method: 'get',
      operationId: 'listMigrations',
      tags: ['migrations'],
      summary: 'Recent migrations, newest first, with their moves in product names, origin, who started them',
      parameters: [
        tenantQuery,
        ...queryParameters(
          listRunsQuery,
          {
            status: 'One or more statuses, separated by commas',
            since: 'Created at or after this instant',
            until: 'Created at or before this instant',
            startedBy: 'Started by a user whose name contains this text (any case)',
          },
          examples.listRunsQuery,
        ),
      ],
      responses: { '200': json('The runs', 'MigrationList'), ...problems('400', '401') },
    },
    {
      path: '/migrations/preview',
      method: 'post',
      operationId: 'previewMigration',
      tags: ['migrations'],
      summary: 'What a request would do, without starting it',
      description:
        'Plans the request with the planning stage’s own code for up to 5,000 users and answers per move the users ' +
        'to change, skip and block (with reasons), the seats needed against the free ones and the plans lost. Larger ' +
        'requests, or `Prefer: respond-async`, start a dry run instead (202 with its link).',
      parameters: [tenantQuery],
      requestBody: body('MigrationRequest', examples.preview),
      responses: {
        '200': json('The plan', 'Preview'),
        '202': json('A dry run was started; its report is the plan', 'DryRunAccepted', location),
        ...problems('400', '401', '403', '413', '415', '422', '502'),
      },
    },
    ...runOperations(examples),
    ...actionOperations(examples),
    ...linkedRunOperations(examples),
  ];
}

function linkedRunOperations(examples: Examples): Operation[] {
  const dryRun: JsonSchema = {
    name: 'dryRun',
    in: 'query',
    required: false,
    description: 'Plan the new run only (its report is the plan)',
    schema: { type: 'boolean' },
  };
  const linked = [
    [
      'rollback',
      'Start a run that restores what a finished run changed',
      'A normal run (plan, approval, wait for seats, paced atomic batches, verify, report) planned from the original’s ' +
        'records. 409 while the original runs, for a dry run, or while another rollback of it runs.',
      'RollbackBody',
      examples.rollback,
    ],
    [
      'retry',
      'Start a run for a finished run’s failed users (and those blocked for a reason that may have been fixed)',
      'Re-planned from fresh reads; users who have moved meanwhile are skipped. 409 while the original runs or when ' +
        'there is nobody to retry.',
      'RetryBody',
      examples.retry,
    ],
  ] as const;
  return linked.map(([action, summary, description, schema, bodies]) => ({
    path: `/migrations/{id}/${action}`,
    method: 'post',
    operationId: `${action}Migration`,
    tags: ['migrations'],
    summary,
    description,
    parameters: [pathParam('id', 'The finished migration', examples.paths.finished), tenantQuery, dryRun],
    requestBody: body(schema, bodies, false),
    responses: {
      '202': json('Started', 'LinkedRunAccepted', location),
      '200': json('A run with this id already exists: that run', 'LinkedRunAccepted', location),
      ...problems('400', '401', '404', '415'),
      ...notConsented(true),
    },
  }));
}

function runOperations(examples: Examples): Operation[] {
  const id = pathParam('id', 'The migration id', examples.paths.migration);
  return [
    {
      path: '/migrations/{id}',
      method: 'get',
      operationId: 'getMigration',
      tags: ['migrations'],
      summary: 'Status, progress and ETA, waiting reason, plan summary, approval and stage timeline',
      parameters: [id, tenantQuery],
      responses: { '200': json('The run', 'MigrationView'), ...problems('400', '401', '404') },
    },
    {
      path: '/migrations/{id}/report',
      method: 'get',
      operationId: 'getMigrationReport',
      tags: ['migrations'],
      summary: 'The report: one row per user (JSON, or CSV with format=csv or Accept: text/csv)',
      parameters: [
        id,
        tenantQuery,
        ...queryParameters(
          reportQuery,
          {
            outcome: 'Only rows with these outcomes (commas)',
            search: 'Rows whose user, reason or request-id contain it',
          },
          examples.reportQuery,
        ),
      ],
      responses: {
        '200': {
          description: 'The report',
          content: {
            'application/json': { schema: ref('Report') },
            'text/csv': { schema: { type: 'string', description: 'The rows as CSV (formulas neutralised)' } },
          },
        },
        ...problems('400', '401', '404', '409'),
      },
    },
  ];
}

function actionOperations(examples: Examples): Operation[] {
  const actions = [
    ['approve', 'Approve a run awaiting approval', examples.paths.migration, examples.approve],
    ['reject', 'Reject a run awaiting approval (nothing is changed)', examples.paths.rejected, examples.reject],
    ['recheck', 'Check the licenses now (a run waiting for licenses)', examples.paths.migration, examples.recheck],
    ['cancel', 'Stop before the next batch; the report stays consistent', examples.paths.migration, examples.cancel],
  ] as const;
  return actions.map(([action, summary, example, bodies]) => ({
    path: `/migrations/{id}/${action}`,
    method: 'post',
    operationId: `${action}Migration`,
    tags: ['migrations'],
    summary,
    parameters: [pathParam('id', 'The migration id', example), tenantQuery],
    requestBody: body('ActionBody', bodies, false),
    responses: { '202': json('Accepted', 'ActionAccepted', location), ...problems('400', '401', '404', '409', '415') },
  }));
}

function inventoryOperations(examples: Examples): Operation[] {
  return [
    {
      path: '/skus',
      method: 'get',
      operationId: 'listSkus',
      tags: ['licenses'],
      summary: 'The tenant’s license inventory: seats, what unfinished runs need, service plans',
      description: 'Cached for 30 s per instance; refresh=true reads Microsoft Graph again.',
      parameters: [tenantQuery, ...queryParameters(INVENTORY_QUERY_SCHEMAS.skusQuery, {}, examples.skusQuery)],
      responses: { '200': json('The SKUs', 'Inventory'), ...problems('400', '401', '403', '502') },
    },
    {
      path: '/skus/{sku}/users',
      method: 'get',
      operationId: 'listSkuUsers',
      tags: ['licenses'],
      summary: 'The holders of one SKU, a page at a time, direct or group-assigned',
      parameters: [
        pathParam('sku', 'SKU id or part number', examples.paths.sku),
        tenantQuery,
        ...queryParameters(
          INVENTORY_QUERY_SCHEMAS.usersQuery,
          { continuationToken: 'From the previous page' },
          examples.skuUsersQuery,
        ),
      ],
      responses: { '200': json('One page of holders', 'SkuUsersPage'), ...problems('400', '401', '403', '404', '502') },
    },
  ];
}

function scheduleOperations(examples: Examples): Operation[] {
  const name = pathParam('name', 'The schedule name', examples.paths.schedule);
  const view = json('The schedule', 'ScheduleView');
  return [
    {
      path: '/schedules',
      method: 'get',
      operationId: 'listSchedules',
      tags: ['schedules'],
      summary: 'Every schedule with its next occurrences',
      parameters: [tenantQuery],
      responses: { '200': json('The schedules', 'ScheduleList'), ...problems('400', '401') },
    },
    {
      path: '/schedules/{name}',
      method: 'get',
      operationId: 'getSchedule',
      tags: ['schedules'],
      summary: 'One schedule, with its occurrences',
      parameters: [name, tenantQuery],
      responses: { '200': view, ...problems('400', '401', '404') },
    },
    {
      path: '/schedules/{name}',
      method: 'put',
      operationId: 'putSchedule',
      tags: ['schedules'],
      summary: 'Create or replace a schedule',
      parameters: [name, tenantQuery],
      requestBody: body('ScheduleDefinition', examples.putSchedule),
      responses: { '201': view, '200': view, ...problems('400', '401', '413', '415') },
    },
    {
      path: '/schedules/{name}',
      method: 'delete',
      operationId: 'deleteSchedule',
      tags: ['schedules'],
      summary: 'Delete a schedule (runs it started go on)',
      parameters: [name, tenantQuery],
      responses: { '204': { description: 'Deleted' }, ...problems('400', '401', '404') },
    },
    ...(['pause', 'resume'] as const).map((action): Operation => ({
      path: `/schedules/{name}/${action}`,
      method: 'post',
      operationId: `${action}Schedule`,
      tags: ['schedules'],
      summary: action === 'pause' ? 'Pause: no new waves start' : 'Resume a paused schedule',
      parameters: [name, tenantQuery],
      responses: { '200': view, ...problems('400', '401', '404') },
    })),
  ];
}

function tenantOperations(examples: Examples): Operation[] {
  const id = pathParam('tenantId', 'The tenant id (a GUID)', examples.paths.tenant);
  const tenant = json('The tenant', 'Tenant');
  return [
    {
      path: '/tenants',
      method: 'get',
      operationId: 'listTenants',
      tags: ['tenants'],
      summary: 'The registered tenants, the home tenant first, each with its consent status',
      responses: { '200': json('The tenants', 'TenantList'), ...problems('401') },
    },
    {
      path: '/tenants/overview',
      method: 'get',
      operationId: 'tenantOverview',
      tags: ['tenants'],
      summary: 'Every tenant at a glance: runs by status, runs waiting (licenses, approval), free seats per SKU',
      description:
        'A tenant whose SKUs cannot be read (no consent, Graph refusing) is listed with seatsError instead of seats.',
      responses: { '200': json('The tenants', 'TenantOverview'), ...problems('401') },
    },
    {
      path: '/tenants/{tenantId}',
      method: 'get',
      operationId: 'getTenant',
      tags: ['tenants'],
      summary: 'One tenant (with the admin-consent URL while consent is missing)',
      parameters: [id],
      responses: { '200': tenant, ...problems('400', '401', '404') },
    },
    {
      path: '/tenants/{tenantId}',
      method: 'put',
      operationId: 'putTenant',
      tags: ['tenants'],
      summary: 'Register a customer tenant, or change its name, domain or limits',
      description: 'A new tenant’s consent is unknown until POST /api/tenants/{tenantId}/consent-check (or a start).',
      parameters: [id],
      requestBody: body('TenantDefinition', examples.putTenant),
      responses: {
        '201': json('Registered', 'Tenant'),
        '200': json('Updated', 'Tenant'),
        ...problems('400', '401', '413', '415'),
      },
    },
    {
      path: '/tenants/{tenantId}',
      method: 'delete',
      operationId: 'deleteTenant',
      tags: ['tenants'],
      summary: 'Remove a customer tenant (its runs and reports stay in storage, unreachable until it is added again)',
      parameters: [id],
      responses: {
        '204': { description: 'Removed' },
        ...problems('400', '401', '404'),
        '409': {
          description: 'The home tenant cannot be removed.',
          content: { 'application/problem+json': { schema: ref('Problem') } },
        },
      },
    },
    {
      path: '/tenants/{tenantId}/consent-check',
      method: 'post',
      operationId: 'checkTenantConsent',
      tags: ['tenants'],
      summary: 'Ask the tenant now whether it has granted consent, and record the answer',
      parameters: [id],
      responses: {
        '200': json('The tenant, with what the check saw', 'TenantConsentCheck'),
        ...problems('400', '401', '404'),
      },
    },
  ];
}

function serviceOperations(): Operation[] {
  const html = { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } };
  return [
    {
      path: '/dashboard',
      method: 'get',
      operationId: 'dashboard',
      tags: ['service'],
      summary: 'The operator console (a single page; it calls this API from the same origin)',
      anonymous: true,
      responses: { '200': html },
    },
    {
      path: '/openapi.json',
      method: 'get',
      operationId: 'openApi',
      tags: ['service'],
      summary: 'This document',
      anonymous: true,
      responses: {
        '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
    {
      path: '/health',
      method: 'get',
      operationId: 'health',
      tags: ['service'],
      summary: 'Liveness',
      anonymous: true,
      responses: { '200': json('Alive', 'Health') },
    },
  ];
}

export function operations(examples: Examples): Operation[] {
  return [
    ...migrationOperations(examples),
    ...inventoryOperations(examples),
    ...scheduleOperations(examples),
    ...tenantOperations(examples),
    ...serviceOperations(),
  ];
}
