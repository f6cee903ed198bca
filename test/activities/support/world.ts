/**
 * Activities built by `createActivities` over fakes: an in-memory document store, a fake licensing Graph backed by
 * plain data, a fixed clock, recorded telemetry and logs, and settings read from an empty environment.
 */
import { createActivities, type ActivityHandlers } from '../../../src/activities';
import type { Clock } from '../../../src/clock';
import { readAppSettings } from '../../../src/config/settings';
import { buildAppDeps, type AppDeps } from '../../../src/deps';
import type { AssignedLicense, MigrationRequest, MoveRequest, UserLicenseSnapshot } from '../../../src/domain/types';
import type { BatchInput, Phase, PlanOutcome } from '../../../src/domain/workflow';
import { MigrationDocuments, type StoredRequest } from '../../../src/storage/migration-documents';
import {
  ALL_SKUS,
  BUSINESS_PREMIUM,
  BUSINESS_STANDARD,
  makeUser,
  migrationRequest,
  VERIFIED_DOMAINS,
} from '../../domain/fixtures';
import { FakeLicensingGraph, type FakeTenant } from '../../support/fake-licensing-graph';
import { MemoryDocumentStore } from '../../support/memory-store';
import { recordingLogger, RecordingTelemetry } from '../../support/recording-telemetry';

/** The instant the fixed clock always says: Monday 6 January 2031, 09:00 UTC. */
export const FIXED = Date.UTC(2031, 0, 6, 9, 0, 0);

export interface FixedClock extends Clock {
  /** Every sleep asked for, in ms (sleeps return at once). */
  sleeps: number[];
}

export function fixedClock(at = FIXED): FixedClock {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => at,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  };
}

export const STANDARD: AssignedLicense = { skuId: BUSINESS_STANDARD.skuId, disabledPlans: [] };
export const PREMIUM: AssignedLicense = { skuId: BUSINESS_PREMIUM.skuId, disabledPlans: [] };

/** User `n` of contoso.com (enabled, in the US), holding the given licenses directly. */
export function tenantUser(n: number, licenses: AssignedLicense[], overrides: Partial<UserLicenseSnapshot> = {}) {
  return makeUser(licenses, {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    userPrincipalName: `user${n}@contoso.com`,
    ...overrides,
  });
}

/** Users `from`..`from + count - 1` on Business Standard. */
export function standardUsers(count: number, from = 1): UserLicenseSnapshot[] {
  return Array.from({ length: count }, (_, index) => tenantUser(from + index, [STANDARD]));
}

/** Business Standard → Business Premium for the selected users (by part number, as admins write them). */
export function standardToPremium(users: MoveRequest['users'], overrides: Partial<MoveRequest> = {}): MoveRequest {
  return { from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users, disabledPlans: [], keepDisabledPlans: true, ...overrides };
}

let lastId = 0;

export interface World {
  migrationId: string;
  /** The deployment's home tenant: every telemetry event of its runs carries it. */
  tenantId: string;
  graph: FakeLicensingGraph;
  store: MemoryDocumentStore;
  telemetry: RecordingTelemetry;
  log: ReturnType<typeof recordingLogger>;
  clock: FixedClock;
  deps: AppDeps;
  activities: ActivityHandlers;
  docs: MigrationDocuments;
  /** Stores the request, as POST /api/migrations (or a schedule) does before the orchestration starts. */
  request(request: Partial<MigrationRequest>, stored?: Partial<StoredRequest>): Promise<MigrationRequest>;
  /** Stores the request and runs planMigration; the plan it returns (throws when planning fails). */
  plan(request: Partial<MigrationRequest>): Promise<Extract<PlanOutcome, { ok: true }>>;
  /** A batch activity's input for plan batches [batch, batch + batchCount) of wave 0. */
  batch(phase: Phase, batchCount: number, overrides?: Partial<BatchInput>): BatchInput;
}

/**
 * A tenant (Business Standard, Business Premium, Office 365 E1/E3/E5 and a company SKU, 100 seats each, on
 * contoso.com unless given) and a fresh migration id: activities cache plans per migration id for the process.
 */
export function world(tenant: FakeTenant = {}, env: NodeJS.ProcessEnv = {}): World {
  lastId += 1;
  const migrationId = `act-${String(lastId).padStart(4, '0')}`;
  const graph = new FakeLicensingGraph({ skus: ALL_SKUS, verifiedDomains: VERIFIED_DOMAINS, ...tenant });
  const store = new MemoryDocumentStore();
  const telemetry = new RecordingTelemetry();
  const clock = fixedClock();
  const deps: AppDeps = buildAppDeps({ env, clock, graph, store, telemetry, settings: readAppSettings(env) });
  const docs = new MigrationDocuments(store, migrationId);
  const log = recordingLogger();
  const activities = createActivities(deps);
  const request = async (overrides: Partial<MigrationRequest>, stored: Partial<StoredRequest> = {}) => {
    const validated = migrationRequest(overrides);
    await docs.saveRequest({
      migrationId,
      request: validated,
      createdAt: new Date(FIXED).toISOString(),
      origin: 'http',
      ...stored,
    });
    return validated;
  };
  const plan = async (overrides: Partial<MigrationRequest>) => {
    await request(overrides);
    const outcome = await activities.planMigration(migrationId, log);
    if (!outcome.ok) throw new Error(`Planning failed: ${outcome.reason}`);
    return outcome;
  };
  return {
    migrationId,
    tenantId: deps.tenants.homeTenantId,
    graph,
    store,
    telemetry,
    log,
    clock,
    deps,
    activities,
    docs,
    request,
    plan,
    batch: (phase, batchCount, overrides = {}) => ({
      migrationId,
      phase,
      wave: 0,
      batch: 0,
      batchCount,
      budgetShare: 0.5,
      batchSize: 20,
      ...overrides,
    }),
  };
}
