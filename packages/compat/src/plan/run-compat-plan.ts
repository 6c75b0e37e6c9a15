import { randomBytes } from 'node:crypto';
import { getServerInfo, SILENT_LOGGER, type Logger } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { runCheck } from '../checks/run-check';
import { applyFix } from '../fixes/apply-fix';
import { DEFAULT_SAMPLE_SIZE, errorFindings, type Finding } from '../finding';
import type { CheckReport, CompatReport, ViewReport } from '../report/compat-report';
import { compareView, loadViewSnapshot, snapshotView } from '../view/view-snapshot';
import { defineCompatPlan, type CompatPlan, type CompatPlanInput } from './compat-plan';
import { recordRun } from './run-store';

export interface RunCompatPlanOptions {
  /** Apply the fixes attached to checks with findings, then re-check. */
  readonly fix?: boolean;
  /** With `fix`: report what the fixes would change, write nothing (the run is recorded as `dry-run`). */
  readonly dryRun?: boolean;
  /** Take new snapshots of the plan's views instead of comparing. */
  readonly snapshotViews?: boolean;
  readonly sampleSize?: number;
  readonly logger?: Logger;
  /** Default: a new id from the time and random bytes. */
  readonly runId?: string;
}

/** A run id that sorts by time: `20240501T100000-1a2b3c`. */
export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Runs a check plan: every check, the fixes (with `fix`; audited, through the backfill engine), a re-check, the view
 * snapshots/comparisons; records the outcome in `safemig_compat_run` (read by `compatPassed`) and returns the report.
 *
 * ### Examples
 * ```ts
 * const report = await runCompatPlan(db, contractPlan, { fix: true });
 * await writeFile('compat.md', renderMarkdownReport(report));
 * if (!report.passed) process.exitCode = 1;
 * ```
 */
export async function runCompatPlan(
  db: Kysely<any>,
  input: CompatPlan | CompatPlanInput,
  options: RunCompatPlanOptions = {},
): Promise<CompatReport> {
  const plan = defineCompatPlan(input as CompatPlanInput);
  const logger = options.logger ?? SILENT_LOGGER;
  const runId = options.runId ?? newRunId();
  const mode: CompatReport['mode'] = options.fix
    ? options.dryRun
      ? 'dry-run'
      : 'fix'
    : options.dryRun
      ? 'dry-run'
      : 'check';
  const sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE;
  const startedAt = new Date();
  const checks: CheckReport[] = [];
  for (const check of plan.checks) {
    const findings = await runCheck(db, check, { sampleSize });
    const needsFix =
      check.fix !== undefined && findings.some((finding) => finding.count > 0 && finding.severity !== 'info');
    logger.info(
      { plan: plan.migration, check: check.id, findings: findings.map((f) => `${f.kind}=${f.count}`).join(' ') },
      'compat check done',
    );
    if (!options.fix || !needsFix) {
      checks.push({ id: check.id, type: check.type, table: check.table, findings, remaining: findings });
      continue;
    }
    const fix = await applyFix(db, check, { runId, dryRun: options.dryRun, logger, sampleSize });
    const remaining = options.dryRun ? findings : await runCheck(db, check, { sampleSize });
    checks.push({ id: check.id, type: check.type, table: check.table, findings, fix, remaining });
  }
  const views: ViewReport[] = [];
  for (const view of plan.views) {
    if (options.snapshotViews || !(await loadViewSnapshot(db, view.name))) {
      if (options.dryRun) continue;
      const snapshot = await snapshotView(db, view.name, view.query, { key: view.key });
      views.push({ name: view.name, action: 'snapshot', rowCount: snapshot.rowCount });
    } else {
      const comparison = await compareView(db, view.name);
      views.push({ name: view.name, action: 'compare', rowCount: comparison.after.rowCount, comparison });
    }
  }
  const remaining: Finding[] = checks.flatMap((check) => check.remaining);
  const errors = errorFindings(remaining).length;
  const warnings = remaining.filter((finding) => finding.severity === 'warning' && finding.count > 0).length;
  const rowsFixed = checks.reduce(
    (sum, check) => sum + (check.fix?.changes.reduce((n, change) => n + change.written, 0) ?? 0),
    0,
  );
  const server = await getServerInfo(db);
  const schema = await sql<{ name: string | null }>`SELECT DATABASE() AS name`.execute(db);
  const report: CompatReport = {
    plan: plan.migration,
    runId,
    mode,
    server: `${server.flavor} ${server.version}`,
    schema: String(schema.rows[0]?.name ?? ''),
    startedAt,
    finishedAt: new Date(),
    checks,
    views,
    summary: { errorFindings: errors, warningFindings: warnings, rowsFixed },
    passed: errors === 0 && views.every((view) => view.comparison?.unchanged ?? true),
  };
  await recordRun(db, report);
  return report;
}
