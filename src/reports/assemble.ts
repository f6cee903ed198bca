import { reportRowFor, ReportSummaryBuilder, type ReportSummary, type UserResult } from '../domain/report';
import type { PlannedUser, ReportRow, TenantSku } from '../domain/types';
import type { WaveRef } from '../domain/workflow';
import type { BatchRecord, MigrationDocuments, StoredPlan } from '../storage/migration-documents';
import { inParallel } from '../util/parallel';

export interface AssembledReport {
  rows: ReportRow[];
  plan: StoredPlan;
}

type RowContext = { moves: StoredPlan['summary']['moves']; skus: TenantSku[]; dryRun: boolean };

/** Batch results read at once (a wave has up to 80 batches). */
const RECORDS_IN_FLIGHT = 16;

/**
 * One row per user, from the stored plan and the per-batch results. Users of batches not (yet) run are reported as
 * not changed, so a report read mid-run or after a cancel is complete and consistent.
 */
export async function assembleReport(docs: MigrationDocuments, dryRun: boolean): Promise<AssembledReport | undefined> {
  const plan = await docs.plan();
  if (!plan) return undefined;
  const rows: ReportRow[] = [];
  await eachReportRow(docs, plan, dryRun, (row) => rows.push(row));
  return { rows, plan };
}

/**
 * The report's summary without holding the report: rows are made a wave (or a part) at a time and folded into counts,
 * so a run of 100,000 users is summarised in the memory of one wave. `skusNow` is read only when there is a plan.
 */
export async function summariseStoredReport(
  docs: MigrationDocuments,
  dryRun: boolean,
  skusNow: () => Promise<TenantSku[]>,
): Promise<ReportSummary | undefined> {
  const plan = await docs.plan();
  if (!plan) return undefined;
  const summary = new ReportSummaryBuilder(plan.summary.moves);
  await eachReportRow(docs, plan, dryRun, (row) => summary.add(row));
  return summary.finish(await skusNow());
}

/**
 * Every row of the report in its order (plan batches, then users moved through groups, then users needing no change),
 * reading one wave of the plan and its batch results at a time (and the next meanwhile).
 */
async function eachReportRow(
  docs: MigrationDocuments,
  plan: StoredPlan,
  dryRun: boolean,
  visit: (row: ReportRow) => void,
): Promise<void> {
  const context: RowContext = { moves: plan.summary.moves, skus: plan.skus, dryRun };
  // A batch's results are stored under its plan batch number (src/activities/reassign.ts), carried users included.
  const load = (wave: WaveRef): Promise<[PlannedUser[][], (BatchRecord | undefined)[]]> => {
    const records = Array.from({ length: wave.batchCount }, (_, i) => () => docs.batch(wave.firstBatch + i));
    const loading = Promise.all([docs.waveOnce(wave.wave), inParallel(records, RECORDS_IN_FLIGHT)]);
    // Awaited below; this only keeps a failure while the previous wave is folded from counting as unhandled.
    loading.catch(() => undefined);
    return loading;
  };
  // The next wave loads while this one is folded: two waves in memory at most, and reading never waits on folding.
  let next = plan.waves[0] ? load(plan.waves[0]) : undefined;
  for (let index = 0; next; index += 1) {
    const [batches, records] = await next;
    const following = plan.waves[index + 1];
    next = following ? load(following) : undefined;
    for (const [i, batch] of batches.entries()) {
      const results = new Map<string, { result: UserResult; before: PlannedUser['before'] }>();
      for (const user of records[i]?.users ?? []) {
        results.set(user.userId, { result: user.result, before: user.before });
      }
      for (const planned of batch) {
        const outcome = results.get(planned.userId);
        // The state read just before the change is the truest "before" (the plan may be hours older).
        const user = outcome ? { ...planned, before: outcome.before } : planned;
        visit(reportRowFor(user, outcome?.result, context));
      }
    }
  }
  await eachGroupRow(docs, plan, context, visit);
  for (let part = 0; part < plan.unchangedParts; part += 1) {
    for (const planned of await docs.unchangedPart(part)) visit(reportRowFor(planned, undefined, context));
  }
}

/** Rows of users moved through groups (docs/group-moves.md): their plan, and where the group stage got them. */
async function eachGroupRow(
  docs: MigrationDocuments,
  plan: StoredPlan,
  context: RowContext,
  visit: (row: ReportRow) => void,
): Promise<void> {
  for (const unit of (plan.groups ?? []).filter((u) => u.users > 0)) {
    const [users, record] = await Promise.all([docs.groupUsers(unit.unit), docs.groupRecord(unit.unit)]);
    const results = new Map((record?.users ?? []).map((user) => [user.userId, user]));
    for (const planned of users) {
      const outcome = results.get(planned.userId);
      // Users the stage never reached have no result yet: reported as not changed, like batches not run.
      const result = outcome && (outcome.progress !== 'pending' || outcome.closed) ? outcome.result : undefined;
      visit(reportRowFor(outcome ? { ...planned, before: outcome.before } : planned, result, context));
    }
  }
}
