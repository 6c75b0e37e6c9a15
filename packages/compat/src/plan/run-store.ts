import { id, tableExists } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import type { CompatReport } from '../report/compat-report';

/** One row per `safemig compat` run: plan, mode, outcome, the JSON report. `compatPassed` reads it. */
export const COMPAT_RUN_TABLE = 'safemig_compat_run';

export async function ensureRunTable(db: Kysely<any>): Promise<void> {
  if (await tableExists(db, COMPAT_RUN_TABLE)) return;
  await sql`CREATE TABLE IF NOT EXISTS ${id(COMPAT_RUN_TABLE)} (
    run_id VARCHAR(40) NOT NULL PRIMARY KEY,
    plan VARCHAR(128) NOT NULL,
    mode VARCHAR(16) NOT NULL,
    started_at TIMESTAMP(6) NOT NULL,
    finished_at TIMESTAMP(6) NOT NULL,
    error_findings INT NOT NULL,
    warning_findings INT NOT NULL,
    passed TINYINT(1) NOT NULL,
    report LONGTEXT NOT NULL,
    KEY safemig_compat_run_plan (plan, finished_at)
  ) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`.execute(db);
}

/** Stores a run's outcome (dry runs included; `compatPassed` ignores them). */
export async function recordRun(db: Kysely<any>, report: CompatReport): Promise<void> {
  await ensureRunTable(db);
  await sql`INSERT INTO ${id(COMPAT_RUN_TABLE)} (run_id, plan, mode, started_at, finished_at, error_findings, warning_findings, passed, report)
    VALUES (${report.runId}, ${report.plan}, ${report.mode}, ${report.startedAt}, ${report.finishedAt}, ${report.summary.errorFindings},
            ${report.summary.warningFindings}, ${report.passed ? 1 : 0}, ${JSON.stringify(report)})`.execute(db);
}

/** The last run of a plan that was not a dry run. */
export async function lastRun(
  db: Kysely<any>,
  plan: string,
): Promise<{ runId: string; mode: string; finishedAt: Date; errorFindings: number; passed: boolean } | undefined> {
  if (!(await tableExists(db, COMPAT_RUN_TABLE))) return undefined;
  const result = await sql<{ runId: string; mode: string; finishedAt: Date; errorFindings: number; passed: number }>`
    SELECT run_id AS runId, mode, finished_at AS finishedAt, error_findings AS errorFindings, passed FROM ${id(COMPAT_RUN_TABLE)}
    WHERE plan = ${plan} AND mode <> 'dry-run' ORDER BY finished_at DESC, run_id DESC LIMIT 1`.execute(db);
  const row = result.rows[0];
  return row ? { ...row, errorFindings: Number(row.errorFindings), passed: Number(row.passed) === 1 } : undefined;
}
