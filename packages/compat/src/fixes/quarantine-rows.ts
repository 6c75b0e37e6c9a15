import { id, tableExists, validateIdentifier } from '@safemig/core';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { COMPAT_AUDIT_TABLE } from '../audit/audit-store';
import { isBinaryColumn, keyColumns, type TableMetadata } from '../schema/table-metadata';

/** The side table quarantined rows of `table` move to. */
export function quarantineTableOf(table: string): string {
  return validateIdentifier(`${table}_quarantine`);
}

/** Creates `<table>_quarantine` with the table's exact structure (CREATE TABLE ... LIKE) when missing. */
export async function ensureQuarantineTable(db: Kysely<any>, table: string): Promise<string> {
  const quarantine = quarantineTableOf(table);
  if (!(await tableExists(db, quarantine)))
    await sql`CREATE TABLE IF NOT EXISTS ${id(quarantine)} LIKE ${id(table)}`.execute(db);
  return quarantine;
}

function keyTuples(metadata: TableMetadata, rowKeys: readonly string[]): RawBuilder<unknown> {
  const tuples = rowKeys.map((rowKey) => {
    const parts = JSON.parse(rowKey) as unknown[];
    return sql`(${sql.join(
      metadata.primaryKey.map((column, index) => {
        const meta = metadata.columns.get(column);
        return meta && isBinaryColumn(meta) ? sql`UNHEX(${parts[index]})` : sql`${parts[index]}`;
      }),
    )})`;
  });
  return sql`(${keyColumns(metadata)}) IN (${sql.join(tuples)})`;
}

/**
 * Moves audited rows between the table and its quarantine table, one page of audit rows per transaction (copy,
 * delete, mark): the backfill engine only UPDATEs rows in place, so a move cannot be one of its definitions. A page
 * commits whole or not at all, and the audit rows drive the loop, so a rerun continues where a crash stopped.
 */
export async function moveAuditedRows(
  db: Kysely<any>,
  metadata: TableMetadata,
  selection: { readonly runId: string; readonly fixId: string },
  direction: 'quarantine' | 'restore',
  pageSize: number,
): Promise<number> {
  const quarantine = await ensureQuarantineTable(db, metadata.table);
  const [from, to] = direction === 'quarantine' ? [metadata.table, quarantine] : [quarantine, metadata.table];
  let moved = 0;
  let after = 0;
  for (;;) {
    const page = await sql<{
      id: number | string;
      rowKey: string;
    }>`SELECT id, row_key AS rowKey FROM ${id(COMPAT_AUDIT_TABLE)}
      WHERE run_id = ${selection.runId} AND fix_id = ${selection.fixId} AND table_name = ${metadata.table}
        AND action = 'quarantine' AND undone_at IS NULL AND id > ${after}
      ORDER BY id LIMIT ${pageSize}`.execute(db);
    if (page.rows.length === 0) return moved;
    after = Number(page.rows[page.rows.length - 1]?.id);
    const keys = keyTuples(
      metadata,
      page.rows.map((row) => row.rowKey),
    );
    moved += await db.transaction().execute(async (trx) => {
      const copied = await sql`INSERT INTO ${id(to)} SELECT * FROM ${id(from)} WHERE ${keys}`.execute(trx);
      await sql`DELETE FROM ${id(from)} WHERE ${keys}`.execute(trx);
      if (direction === 'restore') {
        await sql`UPDATE ${id(COMPAT_AUDIT_TABLE)} SET undone_at = CURRENT_TIMESTAMP(6)
          WHERE id IN (${sql.join(page.rows.map((row) => sql`${row.id}`))})`.execute(trx);
      }
      return Number(copied.numAffectedRows ?? 0n);
    });
  }
}
