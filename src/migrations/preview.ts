/**
 * `POST /api/migrations/preview`: what a request would do, before anyone starts it. The same validation as
 * `POST /api/migrations`; then the planning stage's own code (src/planning/plan-request.ts) runs right here for up to
 * PREVIEW_SYNC_LIMIT users, and the answer lists per move the users to change, skip and block (with reasons), the
 * seats needed against the free ones, and the plans lost with their data-holding flags. A larger request (or
 * `Prefer: respond-async`) starts a dry run instead and answers 202 with its link: its report is the plan.
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { servicePlanFriendlyName } from '../domain/product-catalog';
import { summarisePlan } from '../domain/plan';
import { assessLicenses } from '../domain/purchase';
import { parseMigrationRequest } from '../domain/request';
import { moveLabel, seatNeeds, skuName } from '../domain/skus';
import type { MigrationRequest, PlannedUser, ResolvedMove, TenantSku } from '../domain/types';
import type { LicensingGraph } from '../graph';
import { readJsonBody, requestOrigin } from '../http/body';
import { graphProblem } from '../http/graph-problem';
import { problemResponse, validationProblemResponse } from '../http/problem';
import { planRequest } from '../planning/plan-request';
import { UNKNOWN_HOME_TENANT_ID } from '../domain/tenancy';
import { INVALID_REQUEST_TYPE, MAX_BODY_BYTES, requestInTenant, startedBy, type MigrationHttpDeps } from './http';
import { startMigration } from './start';
import { getMigrationView } from './view';

/** Users planned while the caller waits; a larger request becomes a dry run. */
export const PREVIEW_SYNC_LIMIT = 5_000;
export const PREVIEW_REFUSED_TYPE = 'urn:license-shift:problem:preview-refused';

export interface PreviewDeps extends MigrationHttpDeps {
  graph: LicensingGraph;
}

const invalid = (instance: string) => ({
  type: INVALID_REQUEST_TYPE,
  title: 'The migration request is not valid',
  consequence: 'Nothing was planned.',
  instance,
});

/** Users the request names: list lengths, and for "all" the seats the source SKU has in use (its holders). */
export function estimateUsers(request: MigrationRequest, skus: TenantSku[]): number {
  let users = 0;
  for (const move of request.moves) {
    const selector = move.users;
    if ('upns' in selector) users += selector.upns.length;
    else if ('ids' in selector) users += selector.ids.length;
    else if ('all' in selector && move.from) {
      const from = move.from.toLowerCase();
      const sku = skus.find((c) => c.skuId.toLowerCase() === from || c.skuPartNumber.toLowerCase() === from);
      users += sku?.consumedUnits ?? 0;
    }
  }
  return users;
}

const wantsAsync = (request: HttpRequest) => /\brespond-async\b/i.test(request.headers.get('prefer') ?? '');

export async function previewMigrationHandler(deps: PreviewDeps, request: HttpRequest): Promise<HttpResponseInit> {
  const body = await readJsonBody(request, {
    maxBytes: MAX_BODY_BYTES,
    tooLargeAdvice: 'Split the users into several migrations.',
    invalid: invalid(request.url),
  });
  if (!body.ok) return body.response;
  const parsed = parseMigrationRequest(body.value);
  if (!parsed.ok) return validationProblemResponse(parsed.problems, invalid(request.url));
  const tenant = await requestInTenant(deps, request, parsed.value, invalid(request.url));
  if (!tenant.ok) return tenant.response;
  // The tenant's own Graph layer (home: the one given).
  deps = { ...tenant.deps, graph: tenant.graph ?? deps.graph };
  try {
    const skus = await deps.graph.listSubscribedSkus();
    const estimate = estimateUsers(parsed.value, skus);
    if (wantsAsync(request) || estimate > PREVIEW_SYNC_LIMIT) return await startDryRun(deps, request, parsed.value);
    const plan = await planRequest(deps.graph, parsed.value, { skus });
    if (!plan.ok) {
      return problemResponse(422, 'The request cannot be planned in this tenant', plan.reason, {
        type: PREVIEW_REFUSED_TYPE,
        ...(plan.missingTargets ? { missingTargets: plan.missingTargets } : {}),
      });
    }
    return { status: 200, jsonBody: previewBody(parsed.value, plan) };
  } catch (error) {
    return graphProblem(error);
  }
}

async function startDryRun(
  deps: PreviewDeps,
  request: HttpRequest,
  migration: MigrationRequest,
): Promise<HttpResponseInit> {
  const { id: _ignored, ...rest } = migration;
  const dryRun: MigrationRequest = { ...rest, dryRun: true, requireApproval: false };
  const { id } = await startMigration(deps, dryRun, {
    ...startedBy(request, deps.settings),
    id: `preview-${randomUUID()}`,
    ...(deps.tenantId ? { tenantId: deps.tenantId } : {}),
    homeTenantId: deps.homeTenantId ?? UNKNOWN_HOME_TENANT_ID,
  });
  const view = await getMigrationView(deps, id, requestOrigin(request));
  const links = view?.links;
  return {
    status: 202,
    headers: { Location: links?.self ?? '', 'Retry-After': '10' },
    jsonBody: {
      mode: 'dryRun',
      id,
      statusUrl: links?.self,
      reportUrl: links?.report,
      links,
      migration: view,
    },
  };
}

/** At most this many users are listed in the answer (counts always cover everyone). */
export const PREVIEW_USERS_LISTED = 5_000;

type Plan = Extract<Awaited<ReturnType<typeof planRequest>>, { ok: true }>;

function productRef(skuId: string | undefined, partNumber: string | undefined) {
  return skuId && partNumber
    ? { skuId, skuPartNumber: partNumber, productName: skuName({ skuPartNumber: partNumber }) }
    : undefined;
}

/** The answer of a synchronous preview. */
export type MigrationPreview = ReturnType<typeof previewBody>;

function previewBody(request: MigrationRequest, plan: Plan) {
  const summary = summarisePlan(plan.planned, plan.moves, plan.skus, request);
  const sourceSkuIds = plan.moves.flatMap((move) => (move.fromSkuId ? [move.fromSkuId] : []));
  const licenses = assessLicenses({ skus: plan.skus, seatsNeeded: summary.seatsNeeded, sourceSkuIds });
  const users = plan.planned.map(previewUser);
  return {
    mode: 'preview' as const,
    total: summary.total,
    toChange: summary.toChange,
    skipped: summary.skipped,
    blocked: summary.blocked,
    remaining: plan.remaining,
    needsDataLossAcknowledgement: summary.needsDataLossAcknowledgement,
    /** Whether a run started now would go straight to reassigning (no seat or subscription problem, no data loss to acknowledge). */
    ready: licenses.ready && !summary.needsDataLossAcknowledgement,
    reasons: licenses.reasons,
    notes: licenses.notes,
    seats: seatsOf(summary.seatsNeeded, plan.skus),
    moves: plan.moves.map((move) => previewMove(move, plan, summary.downgrades)),
    blockedReasons: blockedReasons(plan.planned),
    users: users.slice(0, PREVIEW_USERS_LISTED),
    ...(users.length > PREVIEW_USERS_LISTED ? { usersTruncated: true } : {}),
  };
}

function seatsOf(seatsNeeded: Record<string, number>, skus: TenantSku[]) {
  return seatNeeds(seatsNeeded, skus).map(({ skuId, sku, skuPartNumber, productName, needed, free }) => ({
    skuId,
    skuPartNumber,
    productName,
    capabilityStatus: sku?.capabilityStatus ?? 'missing',
    needed,
    free,
    short: Math.max(0, needed - free),
  }));
}

function previewMove(
  move: ResolvedMove,
  plan: Plan,
  downgrades: { move: number; lostPlans: { servicePlanId: string; servicePlanName: string; holdsData: boolean }[] }[],
) {
  const mine = plan.planned.filter((user) => user.move === move.move);
  const count = (kind: PlannedUser['decision']['kind']) => mine.filter((user) => user.decision.kind === kind).length;
  const to = plan.skus.find((sku) => sku.skuId === move.toSkuId);
  const planOf = (id: string) => to?.servicePlans.find((p) => p.servicePlanId.toLowerCase() === id.toLowerCase());
  const lostPlans = downgrades.filter((d) => d.move === move.move).flatMap((d) => d.lostPlans);
  const from = productRef(move.fromSkuId, move.fromSkuPartNumber);
  return {
    move: move.move,
    label: moveLabel(move),
    ...(from ? { from } : {}),
    to: productRef(move.toSkuId, move.toSkuPartNumber)!,
    disabledPlans: move.disabledPlanIds.map((id) => {
      const servicePlanName = planOf(id)?.servicePlanName ?? id;
      return {
        servicePlanId: id,
        servicePlanName,
        friendlyName: servicePlanFriendlyName({ servicePlanId: id, servicePlanName }),
      };
    }),
    users: { total: mine.length, toChange: count('change'), skipped: count('skip'), blocked: count('blocked') },
    lostPlans: lostPlans.map((lost) => ({ ...lost, friendlyName: servicePlanFriendlyName(lost) })),
  };
}

function previewUser(user: PlannedUser) {
  const { decision } = user;
  return {
    userId: user.userId,
    userPrincipalName: user.userPrincipalName,
    move: user.move,
    decision: decision.kind,
    ...(decision.kind === 'blocked' ? { code: decision.code } : {}),
    reason: decision.reason ?? '',
  };
}

/** Blocked users grouped by why ("inheritedFromGroup": 4), most common first. */
function blockedReasons(planned: PlannedUser[]): { code: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const user of planned) {
    if (user.decision.kind === 'blocked') counts.set(user.decision.code, (counts.get(user.decision.code) ?? 0) + 1);
  }
  return [...counts].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count);
}
