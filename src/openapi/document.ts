/**
 * `GET /api/openapi.json`: the API as OpenAPI 3.1, generated at run time from the zod schemas that validate requests
 * (src/domain/request.ts, src/domain/schedule.ts, the query and action schemas) and those that describe answers
 * (./schemas.ts), with `z.toJSONSchema`. Nothing in it is written as JSON by hand; the examples are requests the API
 * accepts (test/openapi/openapi.test.ts sends each one).
 */
import type { ApiAuthMode } from '../config/settings';
import { linkedRunBodyShape } from '../domain/linked-runs';
import { requestSchema } from '../domain/request';
import { scheduleSchema } from '../domain/schedule';
import { actionBody } from '../migrations/queries';
import { tenantBodySchema } from '../domain/tenancy';
import { jsonSchema } from './json-schema';
import * as answers from './schemas';
import { EXAMPLES, REQUEST_FIELD_DOCS } from './examples';
import { operations, type Operation } from './operations';

type JsonSchema = Record<string, unknown>;

/** Descriptions of request fields, by dotted path ("moves.users.groupId"), from the README's table. */
function describeFields(schema: JsonSchema, docs: Record<string, string>, path = ''): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  for (const [name, property] of Object.entries(properties ?? {})) {
    const here = path ? `${path}.${name}` : name;
    if (docs[here]) property.description = docs[here];
    describeFields(property, docs, here);
    const items = property.items as JsonSchema | undefined;
    if (items) describeFields(items, docs, here);
  }
  return schema;
}

function migrationRequestSchema(): JsonSchema {
  const schema = describeFields(jsonSchema(requestSchema), REQUEST_FIELD_DOCS);
  schema.description =
    'A migration request: one or more moves, each from a SKU to a SKU for a set of users. Validated like this and by ' +
    'rules across fields (exactly one user selector per move; a user in one move only; from required in swap mode).';
  return schema;
}

function scheduleDefinitionSchema(): JsonSchema {
  const schema = jsonSchema(scheduleSchema);
  const properties = schema.properties as Record<string, JsonSchema>;
  properties.request = {
    $ref: '#/components/schemas/MigrationRequest',
    description: 'The migration each occurrence starts (without id, maxUsers and dryRun, which the schedule sets).',
  };
  // The name comes from the URL; a body may repeat it.
  schema.required = (schema.required as string[]).filter((name) => name !== 'name').concat('request');
  schema.description = 'A scheduled bulk move: a request template, a cron or one-off start, a window and wave limits.';
  return schema;
}

function linkedBodySchema(kind: 'rollback' | 'retry'): JsonSchema {
  const schema = describeFields(jsonSchema(linkedRunBodyShape(kind)), {
    ...REQUEST_FIELD_DOCS,
    force: 'Restore users changed since the run too (otherwise they are skipped).',
  });
  // Defaults shown are those of a new request; a field left out takes the original run's value instead.
  schema.description =
    kind === 'rollback'
      ? 'Options of the rollback run; a field left out is the original run’s (a rollback is always atomic).'
      : 'Options of the retry run; a field left out is the original run’s.';
  return schema;
}

function componentSchemas(): Record<string, JsonSchema> {
  return {
    MigrationRequest: migrationRequestSchema(),
    ScheduleDefinition: scheduleDefinitionSchema(),
    ActionBody: { ...jsonSchema(actionBody), description: 'Who acts and why; both optional.' },
    RollbackBody: linkedBodySchema('rollback'),
    RetryBody: linkedBodySchema('retry'),
    LinkedRunAccepted: jsonSchema(answers.linkedRunAccepted),
    Problem: jsonSchema(answers.problem),
    MigrationView: jsonSchema(answers.migrationDetail),
    MigrationList: jsonSchema(answers.migrationList),
    StartAccepted: jsonSchema(answers.startAccepted),
    ActionAccepted: jsonSchema(answers.actionAccepted),
    Report: jsonSchema(answers.report),
    Preview: jsonSchema(answers.preview),
    DryRunAccepted: jsonSchema(answers.dryRunAccepted),
    Inventory: jsonSchema(answers.inventory),
    SkuUsersPage: jsonSchema(answers.skuUsersPage),
    ScheduleView: jsonSchema(answers.scheduleView),
    ScheduleList: jsonSchema(answers.scheduleList),
    Health: jsonSchema(answers.health),
    TenantDefinition: {
      ...jsonSchema(tenantBodySchema),
      description:
        'A customer tenant: its name, domain and limits (each overriding the deployment’s GRAPH_* setting for this ' +
        'tenant only). Consent is recorded by the consent check, never sent.',
    },
    Tenant: jsonSchema(answers.tenantRecord),
    TenantList: jsonSchema(answers.tenantList),
    TenantConsentCheck: jsonSchema(answers.tenantConsentCheck),
    TenantOverview: jsonSchema(answers.tenantOverview),
  };
}

function securitySchemes(): Record<string, JsonSchema> {
  return {
    functionKey: {
      type: 'apiKey',
      in: 'header',
      name: 'x-functions-key',
      description: 'A function or host key of the app (npm start prints one).',
    },
    functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code', description: 'The same key in the URL.' },
    appService: {
      type: 'apiKey',
      in: 'cookie',
      name: 'AppServiceAuthSession',
      description: 'With API_AUTH=appService: the session App Service authentication signs users in with.',
    },
  };
}

function pathItems(list: Operation[], auth: ApiAuthMode): Record<string, Record<string, unknown>> {
  const security = auth === 'appService' ? [{ appService: [] }] : [{ functionKey: [] }, { functionKeyQuery: [] }];
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { path, method, anonymous, ...operation } of list) {
    paths[path] ??= {};
    paths[path][method] = { ...operation, security: anonymous ? [] : security };
  }
  return paths;
}

export interface OpenApiOptions {
  /** The API's base URL, e.g. https://contoso-ls.azurewebsites.net/api. */
  serverUrl: string;
  version: string;
  auth: ApiAuthMode;
}

export function openApiDocument(options: OpenApiOptions): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'license-shift',
      version: options.version,
      summary: 'Move Microsoft 365 users between license SKUs safely, fast and observably.',
      description:
        'Every error answer is application/problem+json (RFC 9457); a 400 lists every problem of the request, each ' +
        'naming its field. Request bodies must be JSON (415 otherwise).',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.serverUrl }],
    tags: [
      { name: 'migrations', description: 'Start, preview, follow, approve and report migrations.' },
      { name: 'licenses', description: 'The tenant’s license inventory.' },
      { name: 'schedules', description: 'Scheduled bulk moves.' },
      {
        name: 'tenants',
        description:
          'Customer tenants this deployment serves. Every migration, schedule, inventory and preview route takes ' +
          '`?tenantId=` (absent: the home tenant).',
      },
      { name: 'service', description: 'The console, this document and liveness.' },
    ],
    paths: pathItems(operations(EXAMPLES), options.auth),
    components: { schemas: componentSchemas(), securitySchemes: securitySchemes() },
  };
}
