/**
 * The migrations HTTP API. Handlers take their dependencies, so `src/functions/migrations.ts` stays a thin
 * registration file and tests can call them through the local runtime.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { reportToCsv } from '../domain/report';
import { parseMigrationRequest, problemDetails, PROBLEM_CONTENT_TYPE, type Problem } from '../domain/request';
import type { MigrationStatus } from '../domain/types';
import { MigrationEvents, type ApprovalDecision } from '../domain/workflow';
import type { DocumentStore } from '../storage/document-store';
import { MigrationDocuments } from '../storage/migration-documents';
import { assembleReport } from './report';
import { startMigration } from './start';
import { getMigrationView, isFinished, listMigrations } from './view';

export interface HttpDeps {
  client: DurableClient;
  store: DocumentStore;
}

/** Largest request body accepted: 100,000 UPNs of realistic length fit with room to spare. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

function problem(status: number, title: string, detail: string, extra: Record<string, unknown> = {}): HttpResponseInit {
  return {
    status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify({ type: 'about:blank', title, status, detail, ...extra }),
  };
}

function badRequest(problems: Problem[], instance: string): HttpResponseInit {
  return {
    status: 400,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(problemDetails(problems, instance)),
  };
}

function origin(request: HttpRequest): string {
  return new URL(request.url).origin;
}

async function readJsonBody(
  request: HttpRequest,
): Promise<{ ok: true; value: unknown } | { ok: false; response: HttpResponseInit }> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) {
    return {
      ok: false,
      response: problem(
        413,
        'Request body too large',
        `The body is ${declared} bytes; at most ${MAX_BODY_BYTES} bytes are accepted. Split the users into several migrations.`,
      ),
    };
  }
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    return {
      ok: false,
      response: problem(
        413,
        'Request body too large',
        `At most ${MAX_BODY_BYTES} bytes are accepted. Split the users into several migrations.`,
      ),
    };
  }
  if (text.trim() === '')
    return {
      ok: false,
      response: badRequest([{ field: '(body)', message: 'is empty: send a JSON migration request' }], request.url),
    };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      response: badRequest([{ field: '(body)', message: `is not valid JSON: ${detail}` }], request.url),
    };
  }
}

export async function startMigrationHandler(deps: HttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const body = await readJsonBody(request);
  if (!body.ok) return body.response;
  const parsed = parseMigrationRequest(body.value);
  if (!parsed.ok) return badRequest(parsed.problems, request.url);
  const { id, created } = await startMigration(deps, parsed.value, { origin: 'http' });
  const view = await getMigrationView(deps.client, id, origin(request));
  const links = view?.links;
  return {
    status: created ? 202 : 200,
    headers: { Location: links?.self ?? '', 'Retry-After': '10' },
    jsonBody: { id, created, status: view?.status ?? 'pending', statusUrl: links?.self, links, migration: view },
  };
}

export async function getMigrationHandler(deps: HttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  const view = await getMigrationView(deps.client, id, origin(request));
  if (!view) return problem(404, 'Migration not found', `There is no migration with id "${id}".`);
  return { status: 200, jsonBody: view };
}

export async function listMigrationsHandler(deps: HttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const limit = Math.min(500, Math.max(1, Number(request.query.get('top') ?? '50') || 50));
  const statusFilter = request.query.get('status');
  let migrations = await listMigrations(deps.client, origin(request), 500);
  if (statusFilter) migrations = migrations.filter((m) => m.status === statusFilter);
  return { status: 200, jsonBody: { migrations: migrations.slice(0, limit) } };
}

export async function reportHandler(deps: HttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  const view = await getMigrationView(deps.client, id, origin(request));
  if (!view) return problem(404, 'Migration not found', `There is no migration with id "${id}".`);
  const docs = new MigrationDocuments(deps.store, id);
  const stored = await docs.request();
  const assembled = await assembleReport(docs, stored?.request.dryRun ?? false);
  if (!assembled)
    return problem(409, 'No report yet', `Migration "${id}" has not finished planning; try again shortly.`, {
      status: view.status,
    });
  const wantsCsv =
    request.query.get('format')?.toLowerCase() === 'csv' || (request.headers.get('accept') ?? '').includes('text/csv');
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
  const storedReport = await docs.report();
  return {
    status: 200,
    jsonBody: {
      id,
      status: view.status,
      message: view.message,
      counts: view.counts,
      plan: {
        moves: assembled.plan.summary.moves,
        seatsNeeded: assembled.plan.summary.seatsNeeded,
        downgrades: assembled.plan.summary.downgrades,
        remaining: assembled.plan.remaining,
      },
      summary: storedReport?.summary,
      finishedAt: storedReport?.finishedAt,
      rows: assembled.rows,
    },
  };
}

type Action = 'approve' | 'reject' | 'recheck' | 'cancel';

const allowedIn: Record<Action, (status: MigrationStatus) => boolean> = {
  approve: (status) => status === 'awaitingApproval',
  reject: (status) => status === 'awaitingApproval',
  recheck: (status) => status === 'waitingForLicenses',
  cancel: (status) => !isFinished(status),
};

async function optionalJson(request: HttpRequest): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** approve / reject / recheck / cancel: each only where it makes sense, with a 409 saying why otherwise. */
export async function actionHandler(deps: HttpDeps, request: HttpRequest, action: Action): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  const view = await getMigrationView(deps.client, id, origin(request));
  if (!view) return problem(404, 'Migration not found', `There is no migration with id "${id}".`);
  if (!allowedIn[action](view.status)) {
    return problem(
      409,
      `Cannot ${action} now`,
      `Migration "${id}" is ${view.status}; ${action} is not possible in that state.`,
      { migrationStatus: view.status },
    );
  }
  const body = await optionalJson(request);
  const by =
    (typeof body.by === 'string' ? body.by : undefined) ??
    request.headers.get('x-ms-client-principal-name') ??
    undefined;
  const reason = typeof body.reason === 'string' ? body.reason.slice(0, 500) : undefined;
  const docs = new MigrationDocuments(deps.store, id);
  switch (action) {
    case 'approve':
    case 'reject': {
      const decision: ApprovalDecision = { approved: action === 'approve' };
      if (by) decision.by = by.slice(0, 200);
      if (reason) decision.reason = reason;
      await docs.saveApproval({ ...decision, at: new Date().toISOString() });
      await deps.client.raiseEvent(id, MigrationEvents.approval, decision);
      break;
    }
    case 'recheck':
      await deps.client.raiseEvent(id, MigrationEvents.recheck, { by });
      break;
    case 'cancel':
      await docs.saveControl({ cancelRequested: { at: new Date().toISOString(), ...(by ? { by } : {}) } });
      await deps.client.raiseEvent(id, MigrationEvents.cancel, { by });
      break;
  }
  return {
    status: 202,
    headers: { Location: view.links.self },
    jsonBody: { id, action, accepted: true, links: view.links },
  };
}
