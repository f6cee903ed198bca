/**
 * POST /api/migrations/{id}/rollback and …/retry: start a new run linked to a finished one.
 *
 * - Rollback: a normal run (plan, dry run, approval, wait for seats, paced atomic batches, verify, report) whose plan
 *   comes from the original's records (`planRollback`). 409 while the original runs, for a dry run, and while another
 *   rollback of it runs.
 * - Retry: a normal run of the original's moves limited to its failed users and those blocked for a reason that may
 *   have been fixed, re-planned from fresh reads. Retrying a rollback rolls the original back again for those users.
 *
 * The new run's status and report carry `rollbackOf` / `retryOf`; the original's carry `rolledBackBy` / `retriedBy`.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { currentIso } from '../clock';
import { parseLinkedRunBody, retryMoves, type LinkedRunKind, type LinkedRunRequest } from '../domain/linked-runs';
import { isRetried } from '../domain/rollback';
import { isFinished } from '../domain/status';
import { tenantOfRunKey } from '../domain/tenancy';
import { readJsonBody, requestOrigin } from '../http/body';
import { problemResponse, validationProblemResponse, type ValidationProblemOptions } from '../http/problem';
import { assembleReport } from '../reports/assemble';
import { MigrationDocuments, type StoredRequest } from '../storage/migration-documents';
import { notifyProblems, routeRunKey, startedBy, type MigrationHttpDeps } from './http';
import { startMigration, type StartOptions } from './start';
import { getMigrationView, type MigrationView } from './view';

const invalid = (kind: LinkedRunKind, instance: string): ValidationProblemOptions => ({
  type: `urn:license-shift:problem:invalid-${kind}-request`,
  title: `The ${kind} request is not valid`,
  consequence: 'Nothing was started.',
  instance,
});

function dryRunQuery(request: HttpRequest): { dryRun?: boolean } {
  const value = request.query.get('dryRun');
  if (value === null) return {};
  return { dryRun: value === '' || value.toLowerCase() === 'true' };
}

interface Original {
  id: string;
  view: MigrationView;
  stored: StoredRequest;
  docs: MigrationDocuments;
}

/** The original run, finished; or the answer saying why a linked run cannot start from it. */
async function finishedOriginal(
  deps: MigrationHttpDeps,
  request: HttpRequest,
  kind: LinkedRunKind,
): Promise<Original | HttpResponseInit> {
  const id = routeRunKey(deps, request);
  if (id === undefined) {
    return problemResponse(404, 'Migration not found', `There is no migration with id "${request.params.id ?? ''}".`);
  }
  const view = await getMigrationView(deps, id, requestOrigin(request));
  const docs = new MigrationDocuments(deps.store, id);
  const stored = view ? await docs.request() : undefined;
  if (!view || !stored) return problemResponse(404, 'Migration not found', `There is no migration with id "${id}".`);
  if (!isFinished(view.status)) {
    return problemResponse(
      409,
      `Cannot ${kind === 'rollback' ? 'roll back' : 'retry'} yet`,
      `Migration "${id}" is ${view.status}: wait until it has finished (or cancel it), then ${kind === 'rollback' ? 'roll it back' : 'retry it'}.`,
      { migrationStatus: view.status },
    );
  }
  if (stored.request.dryRun) {
    return problemResponse(409, 'Nothing to do', `Migration "${id}" was a dry run: it changed nobody.`, {
      migrationStatus: view.status,
    });
  }
  return { id, view, stored, docs };
}

async function readBody(request: HttpRequest, kind: LinkedRunKind, original: Original) {
  const body = await readJsonBody(request, {
    maxBytes: 64 * 1024,
    tooLargeAdvice: `A ${kind} body holds only options.`,
    invalid: invalid(kind, request.url),
    optional: true,
  });
  if (!body.ok) return body;
  const parsed = parseLinkedRunBody(kind, body.value, original.stored.request, dryRunQuery(request));
  if (!parsed.ok)
    return { ok: false as const, response: validationProblemResponse(parsed.problems, invalid(kind, request.url)) };
  return { ok: true as const, value: parsed.value };
}

/** Starts the linked run, records the link on the original, and answers 202 (or 200 for an id already used). */
async function startLinked(
  deps: MigrationHttpDeps,
  request: HttpRequest,
  original: Original,
  linked: { kind: LinkedRunKind; run: LinkedRunRequest; options: Partial<StartOptions> },
): Promise<HttpResponseInit> {
  const refused = notifyProblems(linked.run.request.notify, deps.settings.notify);
  if (refused.length > 0) return validationProblemResponse(refused, invalid(linked.kind, request.url));
  // The linked run acts in the original's tenant, whatever its own request says.
  const tenantId = tenantOfRunKey(original.id);
  const options: StartOptions = {
    ...startedBy(request, deps.settings),
    ...linked.options,
    ...(tenantId ? { tenantId } : {}),
    ...(deps.homeTenantId ? { homeTenantId: deps.homeTenantId } : {}),
  };
  const { id, created } = await startMigration(deps, linked.run.request, options);
  if (created) await original.docs.saveLinked({ kind: linked.kind, migrationId: id, at: currentIso(deps.clock) });
  const view = await getMigrationView(deps, id, requestOrigin(request));
  const links = view?.links;
  return {
    status: created ? 202 : 200,
    headers: { Location: links?.self ?? '', 'Retry-After': '10' },
    jsonBody: {
      id,
      created,
      status: view?.status ?? 'pending',
      [linked.kind === 'rollback' ? 'rollbackOf' : 'retryOf']: original.id,
      statusUrl: links?.self,
      links,
      migration: view,
    },
  };
}

export async function rollbackHandler(deps: MigrationHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const original = await finishedOriginal(deps, request, 'rollback');
  if (!('view' in original)) return original;
  const body = await readBody(request, 'rollback', original);
  if (!body.ok) return body.response;
  const running = await runningRollback(deps, original);
  if (running) {
    return problemResponse(
      409,
      'A rollback is running',
      `Rollback "${running}" of migration "${original.id}" has not finished yet.`,
      {
        rollback: running,
      },
    );
  }
  const run: LinkedRunRequest = { ...body.value, request: { ...body.value.request, moves: [] } };
  return startLinked(deps, request, original, {
    kind: 'rollback',
    run,
    options: { rollback: { of: original.id, force: run.force } },
  });
}

async function runningRollback(deps: MigrationHttpDeps, original: Original): Promise<string | undefined> {
  for (const link of await original.docs.linked()) {
    if (link.kind !== 'rollback') continue;
    const view = await getMigrationView(deps, link.migrationId, '');
    if (view && !isFinished(view.status)) return link.migrationId;
  }
  return undefined;
}

export async function retryHandler(deps: MigrationHttpDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const original = await finishedOriginal(deps, request, 'retry');
  if (!('view' in original)) return original;
  const body = await readBody(request, 'retry', original);
  if (!body.ok) return body.response;
  const report = await assembleReport(original.docs, false);
  const candidates = (report?.rows ?? []).filter(isRetried);
  const rollback = original.stored.rollback;
  const moves = rollback ? [] : retryMoves(original.stored.request.moves, candidates);
  if (candidates.length === 0 || (!rollback && moves.length === 0)) {
    return problemResponse(
      409,
      'Nothing to retry',
      `Migration "${original.id}" has no user who failed, nor one blocked for a reason that may have been fixed (usage location, disabled account, group-assigned or clashing license).`,
    );
  }
  if (rollback) {
    // A rollback's failed users are retried by rolling the same original back again, for them only.
    const run: LinkedRunRequest = { ...body.value, request: { ...body.value.request, moves: [] } };
    return startLinked(deps, request, original, {
      kind: 'retry',
      run,
      options: {
        rollback: { of: rollback.of, force: rollback.force, users: candidates.map((row) => row.userId) },
        retryOf: original.id,
      },
    });
  }
  const run: LinkedRunRequest = { ...body.value, request: { ...body.value.request, moves } };
  return startLinked(deps, request, original, { kind: 'retry', run, options: { retryOf: original.id } });
}
