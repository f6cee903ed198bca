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
  for (const planned of unchanged) rows.push(reportRowFor(planned, undefined, context));
  return { rows, plan };
}

export function summarise(report: AssembledReport, skusNow: TenantSku[]): ReportSummary {
  return summariseReport(report.rows, skusNow, { moves: report.plan.summary.moves });
}
