import { BackfillRunner, defineBackfill, type BackfillSummary, type SetBackfillDefinition } from '@safemig/backfill';
import { id, type Logger } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { COMPAT_AUDIT_TABLE } from '../audit/audit-store';
import { rowKeyExpression, type ColumnMetadata, type TableMetadata } from '../schema/table-metadata';
import { holdsAuditedValue, valueFromText } from '../schema/value-text';
import type { ChangeSet } from './capture-changes';

/** Which way an audited change set is written: forward (the fix) or back (undo). */
export type AuditedDirection = 'apply' | 'undo';

/*
 * Why the writes read their values from the audit table: the backfill engine commits each batch's UPDATE together
 * with its checkpoint but has no hook to add rows to that transaction. So the audit is captured first (every row,
 * old and new value, committed), and the backfill's set-mode UPDATE writes exactly the audited new value, only for
 * audited keys and only while the row still holds the audited old value (compare-and-set). Consequences:
 *  - no row is ever changed without a committed audit row naming it (a crash between capture and apply leaves audit
 *    rows for unchanged rows, which undo skips because their value is not the audited new value);
 *  - a row the application changed after the capture is not overwritten; undo restores only rows that still hold
 *    the fix's value, so it never reverts the application's later writes;
 *  - batches, checkpoint, resume, throttling and retries are the engine's.
 * The literals in the SQL below are the run id (hex), the fix id and the column (validated identifiers): the engine
 * takes SQL text, and none of them comes from table data.
 */
function literal(text: string): string {
  if (!/^[A-Za-z0-9_.:$-]*$/.test(text)) throw new Error(`unexpected character in ${JSON.stringify(text)}`);
  return `'${text}'`;
}

function compile(db: Kysely<any>, builder: { compile(db: Kysely<any>): { sql: string } }): string {
  return builder.compile(db).sql;
}

/** The backfill that writes an audited change set forward or back. */
export function auditedBackfill(
  db: Kysely<any>,
  changeSet: ChangeSet,
  metadata: TableMetadata,
  column: ColumnMetadata,
  direction: AuditedDirection,
  batchSize: number | undefined,
): SetBackfillDefinition {
  const key = compile(db, sql`SHA2(${rowKeyExpression(metadata, metadata.table)}, 256)`);
  const audit = compile(db, id(COMPAT_AUDIT_TABLE));
  const match = `safemig_a.run_id = ${literal(changeSet.runId)} AND safemig_a.fix_id = ${literal(changeSet.fixId)}
    AND safemig_a.table_name = ${literal(changeSet.table)} AND safemig_a.column_name = ${literal(changeSet.column)}
    AND safemig_a.action = 'update' AND safemig_a.row_key_hash = ${key}`;
  const [expected, written] = direction === 'apply' ? ['old_value', 'new_value'] : ['new_value', 'old_value'];
  const value = compile(
    db,
    valueFromText(column, sql.raw(`(SELECT safemig_a.${written} FROM ${audit} safemig_a WHERE ${match} LIMIT 1)`)),
  );
  return defineBackfill({
    name: `compat-${direction}:${changeSet.runId}:${changeSet.fixId}:${changeSet.column}`.slice(0, 128),
    table: metadata.table,
    where: `EXISTS (SELECT 1 FROM ${audit} safemig_a WHERE ${match} AND ${holdsAuditedValue(column, metadata.table, `safemig_a.${expected}`)})`,
    set: { [column.name]: value },
    ...(batchSize ? { batchSize, minBatchSize: Math.min(100, batchSize) } : {}),
  });
}

/** Runs an audited backfill to completion (resuming from its checkpoint). */
export async function runAuditedBackfill(
  db: Kysely<any>,
  definition: SetBackfillDefinition,
  logger: Logger | undefined,
): Promise<BackfillSummary> {
  return new BackfillRunner({ db, definition, logger }).run();
}
