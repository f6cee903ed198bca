/**
 * Stage 7: one report row per user, and a summary with what to do about the source subscriptions.
 */
import { groupActionWords } from './group-plan';
import { freeSeats, moveLabel, skuName, type FreeSeatsFormula } from './skus';
import type {
  AssignedLicense,
  ErrorClass,
  PlannedUser,
  ReportRow,
  ResolvedMove,
  TenantSku,
  UserOutcome,
} from './types';

/** What happened when the reassignment stage handled a user planned for a change. */
export type UserResult =
  | {
      kind: 'moved';
      after: AssignedLicense[];
      /** How it got there when that is worth knowing (an answer lost and read back, an atomic fallback). */
      note?: string;
    }
  | {
      kind: 'failed';
      errorClass: ErrorClass;
      /** What went wrong, in plain words ("no Business Premium licenses left"). */
      message: string;
      graphErrorCode?: string;
      requestId?: string;
      /** The user's licenses after the failure, when read back; otherwise the plan's `before` is shown. */
      after?: AssignedLicense[];
    }
  /** Not changed: the run was a dry run, was cancelled, or stopped before this user's batch. */
  | { kind: 'notAttempted'; reason: string }
  /** Nothing to send when the batch ran: the user already held what the plan asked for (changed meanwhile). */
  | { kind: 'skipped'; reason: string; after: AssignedLicense[] };

export interface ReportContext {
  /** The plan's moves, for labels such as "Microsoft 365 Business Standard → Microsoft 365 Business Premium". */
  moves?: ResolvedMove[];
  /** The tenant's SKUs, to show part numbers instead of ids in the action. */
  skus?: TenantSku[];
  /** True for a dry run: planned changes are reported as what would happen. */
  dryRun?: boolean;
}

const APPLIED_NOTHING = 'none';

function partNumber(skuId: string, skus: TenantSku[]): string {
  return skus.find((sku) => sku.skuId.toLowerCase() === skuId.toLowerCase())?.skuPartNumber ?? skuId;
}

/** "add SPB; remove O365_BUSINESS_PREMIUM" (part numbers are what admins search for in the admin center). */
function describeAction(planned: PlannedUser, skus: TenantSku[]): string {
  const decision = planned.decision;
  if (decision.kind !== 'change') return APPLIED_NOTHING;
  const steps: string[] = [];
  if (decision.setUsageLocation) steps.push(`set usage location ${decision.setUsageLocation}`);
  if (decision.groupMove) {
    const toSkuId = decision.add[0]?.skuId ?? '';
    steps.push(groupActionWords(decision.groupMove, toSkuId, (skuId) => partNumber(skuId, skus)));
    return steps.join('; ');
  }
  if (decision.add.length > 0)
    steps.push(`add ${decision.add.map((license) => partNumber(license.skuId, skus)).join(', ')}`);
  if (decision.remove.length > 0) {
    steps.push(`remove ${decision.remove.map((skuId) => partNumber(skuId, skus)).join(', ')}`);
  }
  if (decision.removeLater.length > 0) {
    steps.push(`remove ${decision.removeLater.map((skuId) => partNumber(skuId, skus)).join(', ')} in cleanup`);
  }
  return steps.join('; ');
}

/**
 * The report row for one planned user. `result` is what the reassignment did (absent for users that were skipped
 * or blocked at planning, and for every user of a dry run).
 */
export function reportRowFor(planned: PlannedUser, result?: UserResult, context: ReportContext = {}): ReportRow {
  const move = context.moves?.find((candidate) => candidate.move === planned.move);
  const row: ReportRow = {
    userPrincipalName: planned.userPrincipalName,
    userId: planned.userId,
    move: planned.move,
    moveLabel: move ? moveLabel(move) : `move ${planned.move}`,
    action: describeAction(planned, context.skus ?? []),
    outcome: 'skipped',
    reason: '',
    before: planned.before,
    after: planned.before,
  };
  const decision = planned.decision;
  if (decision.kind === 'skip') return { ...row, outcome: 'skipped', reason: decision.reason };
  if (decision.kind === 'blocked')
    return { ...row, outcome: 'blocked', reason: decision.reason, blockCode: decision.code };
  const planWords = decision.reason ?? row.action;
  if (!result) {
    const reason = context.dryRun
      ? `dry run, nothing changed; would ${planWords}`
      : `not changed: the run ended before this user was handled; planned to ${planWords}`;
    return { ...row, outcome: 'skipped', reason };
  }
  switch (result.kind) {
    case 'moved': {
      const reason = result.note ? `${planWords}; ${result.note}` : planWords;
      return { ...row, outcome: 'moved', reason, after: result.after };
    }
    case 'notAttempted':
      return { ...row, outcome: 'skipped', reason: `${result.reason}; planned to ${planWords}` };
    case 'skipped':
      return { ...row, outcome: 'skipped', reason: result.reason, after: result.after };
    case 'failed': {
      const failed: ReportRow = {
        ...row,
        outcome: 'failed',
        reason: result.message,
        errorClass: result.errorClass,
        after: result.after ?? planned.before,
      };
      if (result.graphErrorCode !== undefined) failed.graphErrorCode = result.graphErrorCode;
      if (result.requestId !== undefined) failed.requestId = result.requestId;
      return failed;
    }
  }
}

export interface MoveCounts {
  move: number;
  label: string;
  total: number;
  moved: number;
  skipped: number;
  blocked: number;
  failed: number;
}

export interface SourceSkuReport {
  skuId: string;
  skuPartNumber: string;
  name: string;
  /** Users whose license of this SKU this run removed. */
  seatsFreed: number;
  /** Licenses of this SKU nobody holds now (from the tenant's current subscribedSkus), when known. */
  unusedSeats: number | null;
  /** What the admin can do about the subscription, in plain words. */
  recommendation: string;
}

export interface ReportSummary {
  total: number;
  byOutcome: Record<UserOutcome, number>;
  byMove: MoveCounts[];
  sourceSkus: SourceSkuReport[];
}

export const ADMIN_CENTER_SUBSCRIPTIONS_URL = 'https://admin.microsoft.com/#/subscriptions';
const GRAPH_CANNOT = 'Microsoft Graph cannot cancel or reduce subscriptions';

function heldIds(licenses: AssignedLicense[]): Set<string> {
  return new Set(licenses.map((license) => license.skuId.toLowerCase()));
}

function recommendationFor(
  name: string,
  seatsFreed: number,
  sku: TenantSku | undefined,
  formula: FreeSeatsFormula,
): string {
  const freedWords = `this run freed ${seatsFreed} license${seatsFreed === 1 ? '' : 's'}`;
  if (!sku) return `${freedWords}; ${name} is no longer listed in the tenant, so there is nothing to cancel`;
  const unused = freeSeats(sku, formula);
  if (unused === 0) return `${freedWords}; every ${name} license is in use, so there is nothing to reduce`;
  const where = `in the Microsoft 365 admin center (${ADMIN_CENTER_SUBSCRIPTIONS_URL}); ${GRAPH_CANNOT}`;
  if (sku.consumedUnits === 0) {
    return `nobody holds ${name} any more (${unused} license${unused === 1 ? '' : 's'} unused): cancel the subscription ${where}`;
  }
  return `${unused} ${name} license${unused === 1 ? ' is' : 's are'} now unused: reduce the subscription by ${unused} or cancel it ${where}`;
}

/**
 * Counts by outcome and by move, and for each source SKU how many licenses the run freed and what to do with the
 * subscription. `skus` is the tenant's `subscribedSkus` read after the run.
 */
export function summariseReport(
  rows: Iterable<ReportRow>,
  skus: TenantSku[],
  context: { moves: ResolvedMove[]; freeSeatsFormula?: FreeSeatsFormula },
): ReportSummary {
  const summary = new ReportSummaryBuilder(context.moves);
  for (const row of rows) summary.add(row);
  return summary.finish(skus, context.freeSeatsFormula);
}

/**
 * The summary folded one row at a time, so a run of any size is summarised without holding its report: only the
 * counts per outcome, move and source SKU are kept.
 */
export class ReportSummaryBuilder {
  readonly #byOutcome: Record<UserOutcome, number> = { moved: 0, skipped: 0, blocked: 0, failed: 0 };
  readonly #byMove = new Map<number, MoveCounts>();
  readonly #freed = new Map<string, { skuId: string; count: number }>();
  #total = 0;

  constructor(moves: ResolvedMove[]) {
    for (const move of moves) {
      this.#byMove.set(move.move, {
        move: move.move,
        label: moveLabel(move),
        total: 0,
        moved: 0,
        skipped: 0,
        blocked: 0,
        failed: 0,
      });
    }
    for (const move of moves) {
      if (move.fromSkuId) this.#freed.set(move.fromSkuId.toLowerCase(), { skuId: move.fromSkuId, count: 0 });
    }
  }

  add(row: ReportRow): void {
    this.#total += 1;
    this.#byOutcome[row.outcome] += 1;
    let counts = this.#byMove.get(row.move);
    if (!counts) {
      counts = { move: row.move, label: row.moveLabel, total: 0, moved: 0, skipped: 0, blocked: 0, failed: 0 };
      this.#byMove.set(row.move, counts);
    }
    counts.total += 1;
    counts[row.outcome] += 1;
    if (row.outcome !== 'moved') return;
    const after = heldIds(row.after);
    for (const license of row.before) {
      const id = license.skuId.toLowerCase();
      if (after.has(id)) continue;
      const entry = this.#freed.get(id) ?? { skuId: license.skuId, count: 0 };
      entry.count += 1;
      this.#freed.set(id, entry);
    }
  }

  finish(skus: TenantSku[], freeSeatsFormula?: FreeSeatsFormula): ReportSummary {
    const formula = freeSeatsFormula ?? 'enabledMinusConsumed';
    const sourceSkus = [...this.#freed.values()].map(({ skuId, count }): SourceSkuReport => {
      const sku = skus.find((candidate) => candidate.skuId.toLowerCase() === skuId.toLowerCase());
      const name = sku ? skuName(sku) : skuId;
      return {
        skuId,
        skuPartNumber: sku?.skuPartNumber ?? skuId,
        name,
        seatsFreed: count,
        unusedSeats: sku ? freeSeats(sku, formula) : null,
        recommendation: recommendationFor(name, count, sku, formula),
      };
    });
    return {
      total: this.#total,
      byOutcome: { ...this.#byOutcome },
      byMove: [...this.#byMove.values()].sort((a, b) => a.move - b.move),
      sourceSkus,
    };
  }
}
