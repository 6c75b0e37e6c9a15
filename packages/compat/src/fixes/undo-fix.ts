import { createDatabase, databaseConfigOf, id, parseDatabaseConfig, SILENT_LOGGER, type Logger } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { COMPAT_AUDIT_TABLE, pendingChangeSets } from '../audit/audit-store';
import { FixFailedError } from '../compat-errors';
import { loadTableMetadata, requireColumn } from '../schema/table-metadata';
import { auditedBackfill, runAuditedBackfill } from './audited-backfill';
import { moveAuditedRows } from './quarantine-rows';

/** What {@link undoFix} restored, per change set. */
export interface UndoResult {
  readonly runId: string;
  readonly changes: readonly {
    readonly fixId: string;
    readonly table: string;
    readonly column: string;
    readonly action: 'update' | 'quarantine';
    /** Audited rows that were not undone yet. */
    readonly pending: number;
    /** Rows written back (values restored, or rows moved back from quarantine). */
    readonly restored: number;
    /** Rows left alone because the application changed them after the fix. */
    readonly skipped: number;
  }[];
}

export interface UndoFixOptions {
  readonly logger?: Logger;
  readonly batchSize?: number;
}

const LENIENT_FLAGS = /^(STRICT_TRANS_TABLES|STRICT_ALL_TABLES|NO_ZERO_DATE|NO_ZERO_IN_DATE|TRADITIONAL)$/i;

/**
 * A two-connection pool on the same server whose sessions accept what legacy data held (zero and impossible dates):
 * undo must write the audited old values back byte for byte, and MySQL 8's default sql_mode refuses `0000-00-00`.
 * Two connections, both pinned to the lenient mode before the backfill starts, because the engine uses one for its
 * batches and one for its bookkeeping. A database handle not created by safemig is used as it is.
 */
async function lenientDatabase(db: Kysely<any>): Promise<{ db: Kysely<any>; close(): Promise<void> }> {
  const config = databaseConfigOf(db);
  if (!config) return { db, close: async () => undefined };
  const lenient = createDatabase(
    parseDatabaseConfig({
      host: config.host,
      port: config.port,
      user: config.user,
      password: config.password,
      database: config.database,
      connectionLimit: 2,
    }),
  );
  const current = await sql<{ mode: string }>`SELECT @@SESSION.sql_mode AS mode`.execute(db);
  const mode = [
    ...String(current.rows[0]?.mode ?? '')
      .split(',')
      .filter((flag) => flag && !LENIENT_FLAGS.test(flag)),
    'ALLOW_INVALID_DATES',
  ].join(',');
  await lenient.connection().execute((first) =>
    lenient.connection().execute(async (second) => {
      await sql`SET SESSION sql_mode = ${mode}`.execute(first);
      await sql`SET SESSION sql_mode = ${mode}`.execute(second);
    }),
  );
  return { db: lenient, close: () => lenient.destroy() };
}

/**
 * Undoes every fix of a run from its audit rows, newest fix first: values are written back by a set-mode backfill
 * (batched, resumable) only where the row still holds the value the fix wrote, quarantined rows move back. Running it
 * again is a no-op.
 *
 * ### Examples
 * ```ts
 * const result = await undoFix(db, '2024-05-01T10-00-00-1a2b');
 * for (const change of result.changes) console.log(change.table, change.column || '(rows)', change.restored);
 * ```
 */
export async function undoFix(db: Kysely<any>, runId: string, options: UndoFixOptions = {}): Promise<UndoResult> {
  const logger = options.logger ?? SILENT_LOGGER;
  const changes: UndoResult['changes'][number][] = [];
  const sets = await pendingChangeSets(db, runId);
  if (sets.length === 0) return { runId, changes };
  const lenient = await lenientDatabase(db);
  try {
    for (const set of sets) {
      const metadata = await loadTableMetadata(db, set.fixId, set.table);
      try {
        if (set.action === 'quarantine') {
          const restored = await moveAuditedRows(
            lenient.db,
            metadata,
            { runId, fixId: set.fixId },
            'restore',
            options.batchSize ?? 1_000,
          );
          changes.push({ ...set, restored, skipped: set.pending - restored });
          continue;
        }
        const column = requireColumn(metadata, set.fixId, set.column);
        const changeSet = {
          runId,
          fixId: set.fixId,
          table: set.table,
          column: set.column,
          action: 'update' as const,
          encoding: 'text' as const,
        };
        const summary = await runAuditedBackfill(
          lenient.db,
          auditedBackfill(db, changeSet, metadata, column, 'undo', options.batchSize),
          logger,
        );
        await sql`UPDATE ${id(COMPAT_AUDIT_TABLE)} SET undone_at = CURRENT_TIMESTAMP(6)
          WHERE run_id = ${runId} AND fix_id = ${set.fixId} AND table_name = ${set.table} AND column_name = ${set.column}
            AND action = 'update' AND undone_at IS NULL`.execute(db);
        changes.push({ ...set, restored: summary.updated, skipped: Math.max(0, set.pending - summary.updated) });
      } catch (error) {
        throw new FixFailedError(
          set.fixId,
          runId,
          `undo stopped: ${error instanceof Error ? error.message : String(error)}`,
          error,
        );
      }
    }
  } finally {
    await lenient.close();
  }
  logger.info({ runId, changes: changes.length }, 'compat fixes undone');
  return { runId, changes };
}
