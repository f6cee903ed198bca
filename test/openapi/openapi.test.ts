/**
 * GET /api/openapi.json: valid OpenAPI 3.1 (checked by @seriousme/openapi-schema-validator, offline), describing every
 * route the app registers, and with examples the API accepts: each documented example is sent to the app on the demo
 * tenant, in an order that gives each a 2xx answer, and each answer is checked against the documented schema.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { EXAMPLE_FINISHED_RUN, EXAMPLE_REJECTED_RUN, EXAMPLE_RUN } from '../../src/openapi/examples';
import { startStack, type Stack } from '../support/e2e';

type Json = Record<string, unknown>;
interface OperationDoc {
  operationId: string;
  parameters?: { name: string; in: string; example?: string | number }[];
  requestBody?: { content: { 'application/json': { examples: Record<string, { value: unknown }> } } };
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}

/** The validator is an ES module: it runs in a child Node process, which reads the document on stdin. */
function validateOpenApi(document: unknown): { valid: boolean; version?: string; errors?: unknown } {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(text));
    process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors }));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    input: JSON.stringify(document),
    encoding: 'utf8',
    cwd: `${__dirname}/../..`,
  });
  if (run.status !== 0) throw new Error(`validator failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { valid: boolean; version?: string; errors?: unknown };
}

/** Ajv (JSON Schema 2020-12, the validator's own copy) for checking answers against the document's schemas. */
function responseChecker(document: Json): (schema: Json, value: unknown) => string | undefined {
  const fromValidator = createRequire(require.resolve('@seriousme/openapi-schema-validator'));
  const Ajv2020 = (fromValidator('ajv/dist/2020') as { default: new (options: Json) => AjvLike }).default;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  return (schema, value) => {
    const target = typeof schema.$ref === 'string' ? { $ref: `openapi.json${schema.$ref}` } : schema;
    const validate = ajv.compile(target);
    return validate(value) ? undefined : ajv.errorsText(validate.errors);
  };
}
interface AjvLike {
  addSchema(schema: Json): void;
  compile(schema: Json): ((value: unknown) => boolean) & { errors?: unknown };
  errorsText(errors: unknown): string;
}

/** The app's HTTP functions as the local runtime registered them: "name: [GET,POST] http://…/api/route". */
function registeredRoutes(stack: Stack): { name: string; methods: string[]; path: string }[] {
  return stack.host.describeRoutes().flatMap((line) => {
    const match = /^(\w+): \[([A-Z,]+)\] \S+?\/api\/(\S*)$/.exec(line);
    return match ? [{ name: match[1]!, methods: match[2]!.split(','), path: `/${match[3]!}` }] : [];
  });
}

describe('the OpenAPI document', () => {
  let stack: Stack;
  let document: Json;
  let operations: Map<string, { path: string; method: string; doc: OperationDoc }>;

  beforeAll(async () => {
    stack = await startStack({ functionKey: 'openapi-test-key-0123' });
    const response = await fetch(`${stack.baseUrl}/api/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as Json;
    operations = new Map();
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, OperationDoc>>)) {
      for (const [method, doc] of Object.entries(item)) operations.set(doc.operationId, { path, method, doc });
    }
  });
  afterAll(() => stack?.stop());

  it('is valid OpenAPI 3.1', () => {
    const result = validateOpenApi(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result).toMatchObject({ valid: true, version: '3.1' });
    expect(document.openapi).toBe('3.1.0');
    // The validator does refuse a document that is not OpenAPI 3.1 (it is no rubber stamp).
    expect(validateOpenApi({ ...document, info: { title: 'no version' } }).valid).toBe(false);
  });

  it('describes every route the app registers (name, path and methods), and nothing else', () => {
    const routes = registeredRoutes(stack);
    expect(routes.length).toBeGreaterThan(15);
    const documented = [...operations].map(([id, op]) => `${id} ${op.method.toUpperCase()} ${op.path}`).sort();
    const registered = routes.flatMap((route) =>
      route.methods.map((method) => `${route.name} ${method} ${route.path}`),
    );
    expect(documented).toEqual(registered.sort());
  });

  it('takes tenantId on every migration, schedule and inventory route, and in the migration request', () => {
    const scoped = [...operations.values()].filter(({ path }) => /^\/(migrations|schedules|skus)\b/.test(path));
    expect(scoped.length).toBeGreaterThan(15);
    for (const { path, method, doc } of scoped) {
      const tenant = doc.parameters?.find((p) => p.name === 'tenantId');
      expect(`${method} ${path} ${tenant?.in ?? 'none'}`).toBe(`${method} ${path} query`);
    }
    const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
    expect((schemas.MigrationRequest as { properties: Json }).properties).toHaveProperty('tenantId');
  });

  it('takes its request schema from the zod schema that validates requests (same fields, same limits)', () => {
    const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
    const request = schemas.MigrationRequest as { properties: Record<string, Json>; additionalProperties: boolean };
    expect(Object.keys(request.properties)).toEqual(expect.arrayContaining(['moves', 'mode', 'batchSize', 'notAfter']));
    expect(request.properties.batchSize).toMatchObject({ type: 'integer', minimum: 1, maximum: 20, default: 20 });
    expect(request.additionalProperties).toBe(false);
    expect(schemas.ScheduleDefinition!.properties).toMatchObject({
      request: { $ref: '#/components/schemas/MigrationRequest' },
    });
  });

  it('has examples the API accepts: each is sent, answered 2xx, and the answer matches the documented schema', async () => {
    const check = responseChecker(document);
    expect(check({ $ref: '#/components/schemas/MigrationView' }, { id: 'x' })).toMatch(/must have required property/);
    stack.host.clock.setAutoAdvance(false);
    const waitFor = (id: string, status: string) => stack.waitForMigration(id, (view) => view.status === status);
    const before: Record<string, () => Promise<unknown>> = {
      getMigration: () =>
        Promise.all([waitFor(EXAMPLE_RUN, 'awaitingApproval'), waitFor(EXAMPLE_REJECTED_RUN, 'awaitingApproval')]),
      recheckMigration: () => waitFor(EXAMPLE_RUN, 'waitingForLicenses'),
      rollbackMigration: () => stack.waitForFinish(EXAMPLE_FINISHED_RUN),
    };
    const order = [
      'health',
      'openApi',
      'dashboard',
      'putTenant',
      'listTenants',
      'getTenant',
      'checkTenantConsent',
      'tenantOverview',
      'putSchedule',
      'listSchedules',
      'getSchedule',
      'pauseSchedule',
      'resumeSchedule',
      'listSkus',
      'listSkuUsers',
      'previewMigration',
      'startMigration',
      'listMigrations',
      'getMigration',
      'getMigrationReport',
      'approveMigration',
      'recheckMigration',
      'rejectMigration',
      'cancelMigration',
      'rollbackMigration',
      'retryMigration',
      'deleteSchedule',
      'deleteTenant',
    ];
    expect([...operations.keys()].sort()).toEqual([...order].sort());
    const sent: string[] = [];
    for (const operationId of order) {
      await before[operationId]?.();
      const { path, method, doc } = operations.get(operationId)!;
      const examples = Object.entries(doc.requestBody?.content['application/json'].examples ?? { none: undefined });
      for (const [name, example] of examples) {
        const response = await send(stack, path, method, doc, example?.value);
        const label = `${operationId} (${name}): ${response.status} ${response.text.slice(0, 300)}`;
        expect(label).toMatch(/^\S+ \(\S+\): 2\d\d /);
        const schema = doc.responses[String(response.status)]?.content?.['application/json']?.schema;
        if (schema && response.json !== undefined)
          expect(`${label} ${check(schema, response.json) ?? 'matches'}`).toMatch(/matches$/);
        sent.push(operationId);
      }
    }
    expect(new Set(sent).size).toBe(order.length);
    stack.host.clock.setAutoAdvance(true);
  });
});

async function send(stack: Stack, path: string, method: string, doc: OperationDoc, body: unknown) {
  let url = path;
  const query = new URLSearchParams();
  for (const parameter of doc.parameters ?? []) {
    if (parameter.example === undefined) continue;
    if (parameter.in === 'path')
      url = url.replace(`{${parameter.name}}`, encodeURIComponent(String(parameter.example)));
    if (parameter.in === 'query') query.set(parameter.name, String(parameter.example));
  }
  const search = query.size > 0 ? `?${query.toString()}` : '';
  return stack.api(method.toUpperCase(), `/api${url}${search}`, body);
}
