import { sql, type Kysely } from 'kysely';
import { snapshotData } from '@safemig/testkit';
import { checkBackfills } from './check-backfills';
import { baselineTables, checkDataIntegrity } from './check-data-integrity';
import { checkMigrations } from './check-migrations';
import { checkMonitoring } from './check-monitoring';
import { checkSmoke } from './check-smoke';
import type { ChecklistItem, ValidationReport } from './checklist-item';
import { DEFAULT_MANUAL_ITEMS, type ValidationConfig } from './validation-config';
import { readBaseline, readSignOffs, storeBaseline, type BaselineEntry } from './validation-store';

export interface ValidationContext {
  readonly db: Kysely<any>;
  /** The parsed `validation` section. */
  readonly config: ValidationConfig;
  /** The config's `backfills` section, as the backfill command reads it. */
  readonly backfills: unknown;
  readonly migrationTable: string;
  /** Resolves a path from the config relative to the config file. */
  readonly resolvePath: (path: string) => string;
}

/**
 * Captures the baseline (row count and checksum per table, computed in SQL) and stores it in the database, so every
 * deploy host validates against the same one. Starts a new cycle: earlier sign-offs are cleared.
 *
 * ### Examples
 * ```ts
 * const baseline = await captureBaseline(context, 'deploy-job');
 * console.log(baseline.length, 'tables');
 * ```
 */
export async function captureBaseline(context: ValidationContext, by: string): Promise<BaselineEntry[]> {
  const data = await snapshotData(context.db, {
    tables: await baselineTables(context.db, context.config, context.migrationTable),
  });
  const entries = Object.entries(data.tables).map(([table, snapshot]) => ({
    table,
    rows: snapshot.rows,
    checksum: snapshot.checksum,
  }));
  await storeBaseline(context.db, entries, by);
  return (await readBaseline(context.db)) ?? [];
}

/**
 * Runs the post-migration checklist: migrations without SQL error, data integrity against the baseline, backfills
 * complete with their error rate, smoke queries, monitoring and alerting (automated), and the manual items with
 * their sign-offs. `passed` is false when an automated item failed.
 *
 * ### Examples
 * ```ts
 * const report = await runValidation(context);
 * console.log(renderValidationMarkdown(report));
 * if (!report.passed) process.exitCode = 1;
 * ```
 */
export async function runValidation(context: ValidationContext): Promise<ValidationReport> {
  const { db, config } = context;
  const baseline = await readBaseline(db);
  const signOffs = await readSignOffs(db);
  const schema = await sql<{ name: string | null }>`SELECT DATABASE() AS name`.execute(db);
  const automated = [
    await checkMigrations(db, context.migrationTable),
    await checkDataIntegrity(db, config, baseline, context.migrationTable),
    await checkBackfills(db, context.backfills, config.maxBackfillErrorRate ?? 0),
    await checkSmoke(db, config),
    await checkMonitoring(config.monitoring, context.resolvePath),
  ];
  const manual: ChecklistItem[] = (config.manual ?? DEFAULT_MANUAL_ITEMS).map((name) => {
    const signOff = signOffs.get(name);
    return {
      id: name,
      title: titleOf(name),
      kind: 'manual',
      status: signOff ? 'pass' : 'pending',
      details: [
        signOff
          ? `signed off by ${signOff.by} at ${signOff.at.toISOString()}`
          : `not signed off: \`safemig validate --sign-off ${name} --by <name>\``,
      ],
    };
  });
  return {
    schema: schema.rows[0]?.name ?? '',
    generatedAt: new Date(),
    baseline: baseline ? { capturedAt: baseline[0]!.capturedAt, capturedBy: baseline[0]!.capturedBy } : null,
    items: [...automated, ...manual],
    passed: automated.every((item) => item.status !== 'fail'),
  };
}

/** `business-acceptance` -> `Business acceptance`. */
function titleOf(name: string): string {
  const words = name.replace(/-/g, ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
}
