import { id } from '@safemig/core';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { COMPAT_AUDIT_TABLE } from '../audit/audit-store';
import type { ValueEncoding } from '../schema/value-text';

/** Identifies the change set a captured row belongs to. */
export interface ChangeSet {
  readonly runId: string;
  readonly fixId: string;
  readonly table: string;
  /** Empty for quarantine. */
  readonly column: string;
  readonly action: 'update' | 'quarantine';
  readonly encoding: ValueEncoding;
}

/**
 * Records the rows a fix is about to change, set-based, BEFORE anything is written: `source` is a SELECT producing
 * `safemig_key` (row key JSON), `safemig_old` and `safemig_new` (audit text). Rows whose new value equals the old one
 * are left out. Re-capturing (a resumed fix) changes nothing thanks to the unique key.
 *
 * Runs at READ COMMITTED: the INSERT ... SELECT then reads a consistent snapshot without taking shared locks on the
 * scanned rows, so the application keeps writing while the audit is captured.
 */
export async function captureChanges(
  db: Kysely<any>,
  changeSet: ChangeSet,
  source: RawBuilder<unknown>,
): Promise<number> {
  return db.connection().execute(async (connection) => {
    await sql`SET TRANSACTION ISOLATION LEVEL READ COMMITTED`.execute(connection);
    const result = await sql`INSERT INTO ${id(COMPAT_AUDIT_TABLE)}
        (run_id, fix_id, table_name, row_key, row_key_hash, column_name, action, old_value, new_value, value_encoding)
      SELECT ${changeSet.runId}, ${changeSet.fixId}, ${changeSet.table}, captured.safemig_key, SHA2(captured.safemig_key, 256),
             ${changeSet.column}, ${changeSet.action}, captured.safemig_old, captured.safemig_new, ${changeSet.encoding}
      FROM (${source}) captured
      WHERE ${changeSet.action === 'quarantine' ? sql`1 = 1` : sql`NOT (captured.safemig_old <=> captured.safemig_new)`}
      ON DUPLICATE KEY UPDATE id = id`.execute(connection);
    return Number(result.numAffectedRows ?? 0n);
  });
}

/** Records rows whose new value was computed in JS (a normalize function), one multi-row INSERT per page. */
export async function captureComputedChanges(
  db: Kysely<any>,
  changeSet: ChangeSet,
  rows: readonly { readonly key: string; readonly oldValue: string | null; readonly newValue: string | null }[],
): Promise<number> {
  const changed = rows.filter((row) => row.oldValue !== row.newValue);
  if (changed.length === 0) return 0;
  const values = changed.map(
    (row) =>
      sql`(${changeSet.runId}, ${changeSet.fixId}, ${changeSet.table}, ${row.key}, SHA2(${row.key}, 256), ${changeSet.column}, ${changeSet.action}, ${row.oldValue}, ${row.newValue}, ${changeSet.encoding})`,
  );
  const result = await sql`INSERT INTO ${id(COMPAT_AUDIT_TABLE)}
      (run_id, fix_id, table_name, row_key, row_key_hash, column_name, action, old_value, new_value, value_encoding)
    VALUES ${sql.join(values)} ON DUPLICATE KEY UPDATE id = id`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
