/**
 * The migrations HTTP API. Handlers take their dependencies, so `src/functions/migrations.ts` stays a thin
 * registration file and tests can call them through the local runtime.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { currentIso, type Clock } from '../clock';
import { parseMigrationRequest } from '../domain/request';
import { problemsFromIssue } from '../domain/validation';
import { isFinished, type MigrationStatus } from '../domain/status';
import { runBelongsTo, scopedRunKey, UNKNOWN_HOME_TENANT_ID } from '../domain/tenancy';
import { MigrationEvents } from '../domain/workflow';
import type { AppSettings } from '../config/settings';
import { disallowedTargets, type NotifyTarget } from '../domain/notify';
import type { Problem } from '../domain/validation';
import type { MigrationRequest } from '../domain/types';
import type { LicensingGraph, TenantGraphFactory } from '../graph';
import type { TenantRegistry } from '../tenants/registry';
import { principalOf } from '../http/principal';
import { readJsonBody, requestOrigin } from '../http/body';
import { problemResponse, validationProblemResponse, type ValidationProblemOptions } from '../http/problem';
import { assembleReport } from '../reports/assemble';
import { reportToCsv } from '../reports/csv';
import type { TenantLedger } from '../ledger';
import type { DocumentStore } from '../storage/document-store';
import { MigrationDocuments } from '../storage/migration-documents';
import { parseQuery } from '../http/query';
import { inParallel } from '../util/parallel';
import { alreadyDecided, decide } from './approval';
import { actionBody, listRunsQuery, reportQuery, runFilters } from './queries';
import { relatedReportFields, withRelated } from './related';
import { filterRows } from './report-rows';
import { matchesFilters, planSummary, runDocuments, runSummary } from './runs';
import { startMigration, type StartOptions } from './start';
import { inTenant } from './tenant';
import { getMigrationView, listMigrations, type MigrationView } from './view';

export interface MigrationHttpDeps {
  client: DurableClient;
  store: DocumentStore;
  clock: Clock;
  /** The tenant ledger, for the seats a run holds (shown in its status). */
  ledger?: Pick<TenantLedger, 'reservedSeats'>;
  /** For approver group look-ups. */
  graph: Pick<LicensingGraph, 'listGroupUserMembers'>;
  settings: Pick<AppSettings, 'notify' | 'approvals'>;
  /**
   * The tenant the request acts in (resolved at the edge from `tenantId`): undefined is the home tenant. Runs of
   * other tenants are neither found nor listed.
   */
  tenantId?: string;
  homeTenantId?: string;
  /** The registry `tenantId` is resolved against (the app's; absent in handler tests that know one tenant). */
  tenants?: TenantRegistry;
  graphFor?: TenantGraphFactory;
  /** GRAPH_MULTITENANT_APP_ID, for the admin-consent URL of a tenant that has not consented. */
  multiTenantAppId?: string;
}

/** The run key a request's `{id}` may touch in the request's tenant; undefined answers "not found". */
export function routeRunKey(
  deps: Pick<MigrationHttpDeps, 'tenantId' | 'homeTenantId'>,
  request: HttpRequest,
): string | undefined {
  return scopedRunKey(request.params.id ?? '', deps.tenantId, deps.homeTenantId ?? UNKNOWN_HOME_TENANT_ID);
}

/** Largest request body accepted: 100,000 UPNs of realistic length fit with room to spare. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
export const INVALID_REQUEST_TYPE = 'urn:license-shift:problem:invalid-migration-request';

const invalidRequest = (instance: string): ValidationProblemOptions => ({
  type: INVALID_REQUEST_TYPE,
  title: 'The migration request is not valid',
  consequence: 'Nothing was started.',
  instance,
});

const notFound = (id: string): HttpResponseInit =>
  problemResponse(404, 'Migration not found', `There is no migration with id "${id}".`);

/**
 * The tenant of a migration request: `tenantId` in the body or the query (the same when both are given), resolved
 * and consent-checked as for a start.
 */
export async function requestInTenant(
  deps: MigrationHttpDeps,
  request: HttpRequest,
  migration: MigrationRequest,
  invalid: Parameters<typeof validationProblemResponse>[1],
): ReturnType<typeof inTenant> {
  const queryTenant = request.query.get('tenantId');
  if (queryTenant && migration.tenantId && queryTenant.trim().toLowerCase() !== migration.tenantId) {
    return {
      ok: false,
      response: validationProblemResponse(
        [
          {
            field: 'tenantId',
            message: `differs from ?tenantId=${queryTenant}: name the tenant once, or the same in both`,
          },
        ],
        invalid,
      ),
    };
  }
  return inTenant(deps, migration.tenantId ?? queryTenant, { starts: true });
}

export async function startMigrationHandler(deps: MigrationHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const body = await readJsonBody(request, {
    maxBytes: MAX_BODY_BYTES,
    tooLargeAdvice: 'Split the users into several migrations.',
    invalid: invalidRequest(request.url),
  });
  if (!body.ok) return body.response;
  const parsed = parseMigrationRequest(body.value);
  if (!parsed.ok) return validationProblemResponse(parsed.problems, invalidRequest(request.url));
  const tenant = await requestInTenant(deps, request, parsed.value, invalidRequest(request.url));
  if (!tenant.ok) return tenant.response;
  deps = tenant.deps;
  const refused = notifyProblems(parsed.value.notify, deps.settings.notify);
  if (refused.length > 0) return validationProblemResponse(refused, invalidRequest(request.url));
  const { id, created } = await startMigration(deps, parsed.value, {
    ...startedBy(request, deps.settings),
    ...(deps.tenantId ? { tenantId: deps.tenantId } : {}),
    homeTenantId: deps.homeTenantId ?? UNKNOWN_HOME_TENANT_ID,
  });
  const view = await getMigrationView(deps, id, requestOrigin(request));
  const links = view?.links;
  return {
    status: created ? 202 : 200,
    headers: { Location: links?.self ?? '', 'Retry-After': '10' },
    jsonBody: { id, created, status: view?.status ?? 'pending', statusUrl: links?.self, links, migration: view },
  };
}

/** The status, with how the run was asked for (`run`), its approval, plan summary and stage timeline. */
export async function getMigrationHandler(deps: MigrationHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const id = routeRunKey(deps, request);
  if (id === undefined) return notFound(request.params.id ?? '');
  const view = await getMigrationView(deps, id, requestOrigin(request), { live: true });
  if (!view) return notFound(request.params.id ?? '');
  const [related, documents] = await Promise.all([
    withRelated(deps, view, requestOrigin(request)),
    runDocuments(deps.store, id, true),
  ]);
  return {
    status: 200,
    jsonBody: {
      ...related,
      ...(documents.request ? { run: runSummary(documents.request) } : {}),
      ...(documents.plan ? { plan: planSummary(documents.plan) } : {}),
      stages: documents.stages ?? [],
    },
  };
}

/** Recent migrations, newest first, each with its moves in product names, origin, who started it and dryRun. */
export async function listMigrationsHandler(deps: MigrationHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const query = parseQuery(listRunsQuery, request);
  if (!query.ok) return query.response;
  const filters = runFilters(query.value);
  const home = deps.homeTenantId ?? UNKNOWN_HOME_TENANT_ID;
  const views = await listMigrations(deps, requestOrigin(request), 500, (key) =>
    runBelongsTo(key, deps.tenantId, home),
  );
  const documents = await inParallel(
    views.map((view) => () => runDocuments(deps.store, view.id, false)),
    16,
  );
  const migrations = views
    .map((view, index) => {
      const stored = documents[index]?.request;
      return stored ? { ...view, run: runSummary(stored) } : view;
    })
    .filter((view) => matchesFilters(view, 'run' in view ? view.run : undefined, filters));
  return { status: 200, jsonBody: { migrations: migrations.slice(0, query.value.top) } };
}

export async function reportHandler(deps: MigrationHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const id = routeRunKey(deps, request);
  if (id === undefined) return notFound(request.params.id ?? '');
  const query = parseQuery(reportQuery, request);
  if (!query.ok) return query.response;
  const view = await getMigrationView(deps, id, requestOrigin(request));
  if (!view) return notFound(request.params.id ?? '');
  const docs = new MigrationDocuments(deps.store, id);
  const stored = await docs.request();
  const assembled = await assembleReport(docs, stored?.request.dryRun ?? false);
  if (!assembled) {
    return problemResponse(409, 'No report yet', `Migration "${id}" has not finished planning; try again shortly.`, {
      migrationStatus: view.status,
    });
  }
  const wantsCsv = query.value.format === 'csv' || (request.headers.get('accept') ?? '').includes('text/csv');
  if (wantsCsv) {
    return {
      status: 200,
      headers: {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="migration-${id}.csv"`,
      },
      body: reportToCsv(assembled.rows, assembled.plan.skus),
    };
  }
  const [storedReport, related] = await Promise.all([docs.report(), relatedReportFields(deps.store, id)]);
  return {
    status: 200,
    jsonBody: {
      id,
      ...related,
      status: view.status,
      message: view.message,
      counts: view.counts,
      plan: {
        moves: assembled.plan.summary.moves,
        seatsNeeded: assembled.plan.summary.seatsNeeded,
        downgrades: assembled.plan.summary.downgrades,
        remaining: assembled.plan.remaining,
        ...(assembled.plan.groups ? { groups: assembled.plan.groups } : {}),
      },
      summary: storedReport?.summary,
      finishedAt: storedReport?.finishedAt,
      ...filterRows(assembled.rows, query.value),
    },
  };
}

type Action = 'approve' | 'reject' | 'recheck' | 'cancel';

const allowedIn: Record<Action, (status: MigrationStatus) => boolean> = {
  approve: (status) => status === 'awaitingApproval',
  reject: (status) => status === 'awaitingApproval',
  recheck: (status) => status === 'waitingForLicenses' || status === 'processingGroups',
  cancel: (status) => !isFinished(status),
};

const notNow = (id: string, action: Action, status: MigrationStatus): HttpResponseInit =>
  problemResponse(
    409,
    `Cannot ${action} now`,
    `Migration "${id}" is ${status}; ${action} is not possible in that state.`,
    {
      migrationStatus: status,
    },
  );

/** approve / reject / recheck / cancel: each only where it makes sense, with a 409 saying why otherwise. */
export async function actionHandler(
  deps: MigrationHttpDeps,
  request: HttpRequest,
  action: Action,
): Promise<HttpResponseInit> {
  const id = routeRunKey(deps, request);
  if (id === undefined) return notFound(request.params.id ?? '');
  const body = await readJsonBody(request, {
    maxBytes: 64 * 1024,
    tooLargeAdvice: 'An action body holds at most "by" and "reason".',
    invalid: { type: 'about:blank', title: `The ${action} request is not valid`, consequence: 'Nothing was done.' },
    optional: true,
  });
  if (!body.ok) return body.response;
  const fields = actionBody.safeParse(body.value, { reportInput: true });
  if (!fields.success) {
    const problems = fields.error.issues.flatMap(problemsFromIssue);
    return validationProblemResponse(problems, {
      type: 'about:blank',
      title: `The ${action} request is not valid`,
      consequence: 'Nothing was done.',
    });
  }
  const view = await getMigrationView(deps, id, requestOrigin(request));
  if (!view) return notFound(request.params.id ?? '');
  if (!allowedIn[action](view.status)) {
    const decision =
      action === 'approve' || action === 'reject' ? await new MigrationDocuments(deps.store, id).approval() : undefined;
    return decision ? alreadyDecided(id, decision) : notNow(id, action, view.status);
  }
  // The signed-in principal wins over a body "by" (only a label).
  const principal = principalOf(request, deps.settings.approvals.trustPrincipalHeaders);
  const by = principal?.name ?? principal?.id ?? fields.data.by;
  const reason = fields.data.reason?.slice(0, 500);
  const docs = new MigrationDocuments(deps.store, id);
  switch (action) {
    case 'approve':
    case 'reject': {
      const label = fields.data.by;
      const decided = await decide(deps, request, action, id, {
        ...(label ? { by: label } : {}),
        ...(reason ? { reason } : {}),
      });
      if (!('accepted' in decided)) return decided;
      break;
    }
    case 'recheck':
      await deps.client.raiseEvent(id, MigrationEvents.recheck, { by });
      break;
    case 'cancel':
      await docs.saveControl({ cancelRequested: { at: currentIso(deps.clock), ...(by ? { by } : {}) } });
      await deps.client.raiseEvent(id, MigrationEvents.cancel, { by });
      break;
  }
  return accepted(id, action, view);
}

function accepted(id: string, action: Action, view: MigrationView): HttpResponseInit {
  return {
    status: 202,
    headers: { Location: view.links.self },
    jsonBody: { id, action, accepted: true, links: view.links },
  };
}

/**
 * Targets the deployment does not allow (NOTIFY_ALLOWED_HOSTS), and `json` targets while no signing secret is set:
 * refused at the edge, naming the field.
 */
export function notifyProblems(
  targets: NotifyTarget[] | undefined,
  settings: AppSettings['notify'],
  field = 'notify',
): Problem[] {
  if (!targets) return [];
  const problems = disallowedTargets(targets, settings.allowedHosts, field);
  targets.forEach((target, index) => {
    if (target.format === 'json' && !settings.signingSecret) {
      problems.push({
        field: `${field}[${index}].format`,
        message: 'is "json", which is signed, and this deployment has no NOTIFY_SIGNING_SECRET: set it, or use "teams"',
      });
    }
  });
  return problems;
}

/** Who started the run (the signed-in principal, when there is one) and through which URL. */
export function startedBy(request: HttpRequest, settings: Pick<AppSettings, 'approvals'>): StartOptions {
  const principal = principalOf(request, settings.approvals.trustPrincipalHeaders);
  const options: StartOptions = { origin: 'http', baseUrl: requestOrigin(request) };
  if (principal) {
    options.requestedBy = { verified: true };
    if (principal.name) options.requestedBy.name = principal.name;
    if (principal.id) options.requestedBy.id = principal.id;
  }
  return options;
}
