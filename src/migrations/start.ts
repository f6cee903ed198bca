import { randomUUID } from 'node:crypto';
import type { DurableClient } from 'durable-functions';
import { currentIso, type Clock } from '../clock';
import type { AppSettings } from '../config/settings';
import type { NotifyTarget } from '../domain/notify';
import type { MigrationRequest } from '../domain/types';
import { runKey, tenantOfRunKey, UNKNOWN_HOME_TENANT_ID } from '../domain/tenancy';
import { MIGRATION_ORCHESTRATOR, RUN_LAYOUT_VERSION, type MigrationInput, type RunOptions } from '../domain/workflow';
import type { DocumentStore } from '../storage/document-store';
import { MigrationDocuments, type StoredRequest } from '../storage/migration-documents';

export interface StartDeps {
  client: DurableClient;
  store: DocumentStore;
  clock: Pick<Clock, 'now'>;
  /** The deployment's notification defaults (NOTIFY_DEFAULT) for runs that name no `notify`. */
  settings?: Pick<AppSettings, 'notify'>;
}

export interface StartOptions {
  id?: string;
  origin: 'http' | 'schedule';
  scheduleName?: string;
  /** Who started the run (the signed-in principal, or a label). */
  requestedBy?: StoredRequest['requestedBy'];
  /** The API's origin the run was started through, for links in notifications. */
  baseUrl?: string;
  /** A rollback of another run. */
  rollback?: StoredRequest['rollback'];
  /** A retry of another run's failed users. */
  retryOf?: string;
  /** The tenant to act in (undefined: home); the run's key is scoped to it. */
  tenantId?: string;
  homeTenantId?: string;
}

/** The run's notification targets: its own, else the deployment's default. */
export function notifyTargets(request: MigrationRequest, settings: StartDeps['settings']): NotifyTarget[] {
  return request.notify ?? settings?.notify.defaults ?? [];
}

function storedRequest(id: string, request: MigrationRequest, options: StartOptions, deps: StartDeps): StoredRequest {
  const stored: StoredRequest = { migrationId: id, request, createdAt: currentIso(deps.clock), origin: options.origin };
  if (options.scheduleName) stored.scheduleName = options.scheduleName;
  if (options.requestedBy) stored.requestedBy = options.requestedBy;
  if (options.baseUrl) stored.baseUrl = options.baseUrl;
  if (options.rollback) stored.rollback = options.rollback;
  if (options.retryOf) stored.retryOf = options.retryOf;
  const targets = notifyTargets(request, deps.settings);
  if (targets.length > 0) stored.notify = targets;
  return stored;
}

function migrationInput(id: string, stored: StoredRequest): MigrationInput {
  const input: MigrationInput = { migrationId: id, options: runOptions(stored.request), version: RUN_LAYOUT_VERSION };
  if (stored.rollback) input.link = { kind: 'rollback', of: stored.rollback.of };
  else if (stored.retryOf) input.link = { kind: 'retry', of: stored.retryOf };
  if (stored.notify && stored.notify.length > 0) input.notify = true;
  return input;
}

export function runOptions(request: MigrationRequest): RunOptions {
  const options: RunOptions = {
    dryRun: request.dryRun,
    requireApproval: request.requireApproval,
    approvalTimeout: request.approvalTimeout,
    waitForLicenses: request.waitForLicenses,
    batchSize: request.batchSize,
    maxFailureRate: request.maxFailureRate,
    strategy: request.strategy,
    mode: request.mode,
  };
  if (request.notAfter !== undefined) options.notAfter = request.notAfter;
  return options;
}

async function instanceExists(client: DurableClient, id: string): Promise<boolean> {
  try {
    const status = await client.getStatus(id, { showInput: false });
    return Boolean(status?.runtimeStatus);
  } catch (error) {
    // The durable client throws on 404: the instance does not exist.
    if (error instanceof Error && /404|not found/i.test(error.message)) return false;
    throw error;
  }
}

/**
 * Starts a migration, exactly once per id: the request document is written only if absent, and a second start with
 * the same id returns the existing run. The request (possibly 100,000 UPNs) stays in storage; the orchestration gets
 * only its id and run options.
 */
export async function startMigration(
  deps: StartDeps,
  given: MigrationRequest,
  options: StartOptions,
): Promise<{ id: string; created: boolean }> {
  // A scheduled or linked run may pass a key already scoped to its tenant; anything else is scoped here.
  const named = options.id ?? given.id ?? randomUUID();
  const id =
    tenantOfRunKey(named) !== undefined
      ? named
      : runKey(named, options.tenantId, options.homeTenantId ?? UNKNOWN_HOME_TENANT_ID);
  // The stored request names the tenant the run acts in, which is its key's (a schedule's or original's template
  // may name another, or none).
  const request: MigrationRequest = { ...given };
  const owner = tenantOfRunKey(id);
  if (owner) request.tenantId = owner;
  else delete request.tenantId;
  const docs = new MigrationDocuments(deps.store, id);
  const fresh = await docs.saveRequest(storedRequest(id, request, options, deps));
  const existing = fresh ? undefined : await docs.request();
  if (!fresh && (await instanceExists(deps.client, id))) return { id, created: false };
  // Fresh, or stored by a start that crashed before the orchestration began: start it (from the stored request).
  const input = migrationInput(id, existing ?? storedRequest(id, request, options, deps));
  try {
    await deps.client.startNew(MIGRATION_ORCHESTRATOR, { instanceId: id, input });
  } catch (error) {
    // Another start of the same id (a retried request, a schedule firing at the same moment) won the race: the host
    // refuses a second instance while the first is pending or running. That run is this run.
    if (isAlreadyRunning(error) && (await instanceExists(deps.client, id))) return { id, created: false };
    throw error;
  }
  return { id, created: fresh };
}

/**
 * The host refuses a start for an id that is pending or running (overridableExistingInstanceStates defaults to the
 * non-running states): its HTTP API answers 500 with an OrchestrationAlreadyExistsException, which the durable client
 * passes on as "unexpected status code: 500. Details: {...}". A 409 is accepted too, for backends that answer so.
 */
function isAlreadyRunning(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    /\bstatus code: 409\b/.test(error.message) ||
    (/\bstatus code: 500\b/.test(error.message) && /OrchestrationAlreadyExists|already exists/i.test(error.message))
  );
}
