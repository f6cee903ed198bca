import { reportRowFor, summariseReport, type ReportSummary, type UserResult } from '../domain/report';
import type { PlannedUser, ReportRow, TenantSku } from '../domain/types';
import type { MigrationDocuments, StoredPlan } from '../storage/migration-documents';
import { inParallel } from '../util/parallel';

export interface AssembledReport {
  rows: ReportRow[];
  plan: StoredPlan;
}

/**
 * One row per user, from the stored plan and the per-batch results. Users of batches not (yet) run are reported as
 * not changed, so a report read mid-run or after a cancel is complete and consistent.
 */
export async function assembleReport(docs: MigrationDocuments, dryRun: boolean): Promise<AssembledReport | undefined> {
  const plan = await docs.plan();
  if (!plan) return undefined;
  const [unchanged, records, waves] = await Promise.all([
    docs.unchanged(plan.unchangedParts),
    docs.batches(),
    inParallel(
      plan.waves.map((wave) => () => docs.wave(wave.wave)),
      8,
    ),
  ]);
  const results = new Map<string, { result: UserResult; before: PlannedUser['before'] }>();
  for (const record of records) {
    for (const user of record.users) results.set(user.userId, { result: user.result, before: user.before });
  }
  const context = { moves: plan.summary.moves, skus: plan.skus, dryRun };
  const rows: ReportRow[] = [];
  for (const batches of waves) {
    for (const batch of batches) {
      for (const planned of batch) {
        const outcome = results.get(planned.userId);
        // The state read just before the change is the truest "before" (the plan may be hours older).
        const user = outcome ? { ...planned, before: outcome.before } : planned;
        rows.push(reportRowFor(user, outcome?.result, context));
      }
    }
  }
  rows.push(...(await groupRows(docs, plan, context)));
  for (const planned of unchanged) rows.push(reportRowFor(planned, undefined, context));
  return { rows, plan };
}

/** Rows of users moved through groups (docs/group-moves.md): their plan, and where the group stage got them. */
async function groupRows(
  docs: MigrationDocuments,
  plan: StoredPlan,
  context: { moves: StoredPlan['summary']['moves']; skus: TenantSku[]; dryRun: boolean },
): Promise<ReportRow[]> {
  const units = (plan.groups ?? []).filter((unit) => unit.users > 0);
  const loaded = await inParallel(
    units.map((unit) => async () => ({
      users: await docs.groupUsers(unit.unit),
      record: await docs.groupRecord(unit.unit),
    })),
    8,
  );
  const rows: ReportRow[] = [];
  for (const { users, record } of loaded) {
    const results = new Map((record?.users ?? []).map((user) => [user.userId, user]));
    for (const planned of users) {
      const outcome = results.get(planned.userId);
      // Users the stage never reached have no result yet: reported as not changed, like batches not run.
      const result = outcome && (outcome.progress !== 'pending' || outcome.closed) ? outcome.result : undefined;
      rows.push(reportRowFor(outcome ? { ...planned, before: outcome.before } : planned, result, context));
    }
  }
  return rows;
}

export function summarise(report: AssembledReport, skusNow: TenantSku[]): ReportSummary {
  return summariseReport(report.rows, skusNow, { moves: report.plan.summary.moves });
}
