import { id, tableExists } from '@safemig/core';
import { sql, type Kysely } from 'kysely';

/** Every row a fix changed or moved: run, fix, table, key, column, old value, new value, when. */
export const COMPAT_AUDIT_TABLE = 'safemig_compat_audit';

/** One audited change. `column` is empty and the values NULL for a quarantined (moved) row. */
export interface AuditEntry {
  readonly runId: string;
  readonly fixId: string;
  readonly table: string;
  /** The primary key as JSON text, e.g. `[42]`. */
  readonly rowKey: string;
  readonly column: string;
  readonly action: 'update' | 'quarantine';
  readonly oldValue: string | null;
  readonly newValue: string | null;
  readonly encoding: 'text' | 'hex';
  readonly appliedAt: Date;
  readonly undoneAt: Date | null;
}

/**
 * Creates the audit table when missing. Values are utf8mb4_bin text (hex for binary columns) so a change of case
 * or trailing spaces is a change; the unique key makes capturing the same row twice (a resumed fix) a no-op.
 */
export async function ensureAuditTable(db: Kysely<any>): Promise<void> {
  if (await tableExists(db, COMPAT_AUDIT_TABLE)) return;
  await sql`CREATE TABLE IF NOT EXISTS ${id(COMPAT_AUDIT_TABLE)} (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    run_id VARCHAR(40) NOT NULL,
    fix_id VARCHAR(100) NOT NULL,
    table_name VARCHAR(64) NOT NULL,
    row_key VARCHAR(1024) NOT NULL,
    row_key_hash CHAR(64) NOT NULL,
    column_name VARCHAR(64) NOT NULL,
    action VARCHAR(16) NOT NULL,
    old_value LONGTEXT NULL,
    new_value LONGTEXT NULL,
    value_encoding VARCHAR(8) NOT NULL,
    applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    undone_at TIMESTAMP(6) NULL,
    UNIQUE KEY safemig_compat_audit_change (run_id, fix_id, table_name, column_name, row_key_hash),
    KEY safemig_compat_audit_row (table_name, row_key_hash)
  ) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`.execute(db);
}

/**
 * The audited changes of a run (all of them, or those of one table), oldest first.
 *
 * ### Examples
 * ```ts
 * for (const entry of await listAudit(db, runId)) console.log(entry.table, entry.rowKey, entry.column, entry.oldValue, '->', entry.newValue);
 * ```
 */
export async function listAudit(
  db: Kysely<any>,
  runId: string,
  options: { readonly table?: string; readonly limit?: number } = {},
): Promise<AuditEntry[]> {
  if (!(await tableExists(db, COMPAT_AUDIT_TABLE))) return [];
  const table = options.table === undefined ? sql`` : sql`AND table_name = ${options.table}`;
  const result = await sql<Record<string, unknown>>`SELECT * FROM ${id(COMPAT_AUDIT_TABLE)}
    WHERE run_id = ${runId} ${table} ORDER BY id LIMIT ${options.limit ?? 1_000_000}`.execute(db);
  return result.rows.map((row) => ({
    runId: String(row.run_id),
    fixId: String(row.fix_id),
    table: String(row.table_name),
    rowKey: String(row.row_key),
    column: String(row.column_name),
    action: row.action === 'quarantine' ? 'quarantine' : 'update',
    oldValue: row.old_value === null ? null : String(row.old_value),
    newValue: row.new_value === null ? null : String(row.new_value),
    encoding: row.value_encoding === 'hex' ? 'hex' : 'text',
    appliedAt: row.applied_at as Date,
    undoneAt: (row.undone_at as Date | null) ?? null,
  }));
}

/** One (fix, table, column, action) of a run that still has audited rows not undone. */
export interface AuditedChangeSet {
  readonly fixId: string;
  readonly table: string;
  readonly column: string;
  readonly action: 'update' | 'quarantine';
  readonly pending: number;
}

/** The change sets of a run with rows not yet undone, newest fix first (undo runs in reverse order). */
export async function pendingChangeSets(db: Kysely<any>, runId: string): Promise<AuditedChangeSet[]> {
  if (!(await tableExists(db, COMPAT_AUDIT_TABLE))) return [];
  const result = await sql<{
    fixId: string;
    tableName: string;
    columnName: string;
    action: string;
    pending: number | string;
  }>`
    SELECT fix_id AS fixId, table_name AS tableName, column_name AS columnName, action, COUNT(*) AS pending, MAX(id) AS last
    FROM ${id(COMPAT_AUDIT_TABLE)} WHERE run_id = ${runId} AND undone_at IS NULL
    GROUP BY fix_id, table_name, column_name, action ORDER BY last DESC`.execute(db);
  return result.rows.map((row) => ({
    fixId: row.fixId,
    table: row.tableName,
    column: row.columnName,
    action: row.action === 'quarantine' ? 'quarantine' : 'update',
    pending: Number(row.pending),
  }));
}
