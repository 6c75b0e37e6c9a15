import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import type { Finding } from '../finding';
import { countAndSample } from '../schema/sample-rows';
import { loadTableMetadata, requireColumn } from '../schema/table-metadata';
import type { OrphanCheck } from './check-definition';
import { finding, type CheckContext } from './check-context';

/**
 * Rows whose reference points nowhere. A row with any NULL in the referencing columns is not an orphan: a foreign key
 * (MATCH SIMPLE, the only kind InnoDB enforces) does not check it.
 */
export function orphanPredicate(check: OrphanCheck): RawBuilder<unknown> {
  const pairs = check.columns.map((column, index) => {
    const referenced = check.references.columns[index] ?? column;
    return sql`safemig_parent.${id(referenced)} = ${id(check.table)}.${id(column)}`;
  });
  const notNull = sql.join(
    check.columns.map((column) => sql`${id(check.table)}.${id(column)} IS NOT NULL`),
    sql` AND `,
  );
  return sql`(${notNull} AND NOT EXISTS (SELECT 1 FROM ${id(check.references.table)} safemig_parent WHERE ${sql.join(pairs, sql` AND `)}))`;
}

/**
 * Rows a planned foreign key would reject: `NOT EXISTS` the referenced row, set-based, with samples.
 *
 * ### Examples
 * ```ts
 * await runOrphanCheck(context, {
 *   id: 'order-customer', type: 'orphans', table: 'orders', columns: ['customer_id'],
 *   references: { table: 'customer', columns: ['id'] },
 * });
 * ```
 */
export async function runOrphanCheck(context: CheckContext, check: OrphanCheck): Promise<Finding[]> {
  const metadata = await loadTableMetadata(context.db, check.id, check.table);
  for (const column of check.columns) requireColumn(metadata, check.id, column);
  const parent = await loadTableMetadata(context.db, check.id, check.references.table);
  for (const column of check.references.columns) requireColumn(parent, check.id, column);
  const value =
    check.columns.length === 1 ? id(check.columns[0]!) : sql`JSON_ARRAY(${sql.join(check.columns.map((c) => id(c)))})`;
  const found = await countAndSample(context.db, metadata, value, orphanPredicate(check), context.sampleSize);
  return [
    finding({
      check: check.id,
      kind: 'orphans',
      table: check.table,
      column: check.columns.join(', '),
      severity: check.severity,
      count: found.count,
      samples: found.samples,
      suggestedFix: `null-out the reference (if NULLable) or quarantine the rows; then add the foreign key to ${check.references.table}`,
      details: { references: check.references },
    }),
  ];
}
