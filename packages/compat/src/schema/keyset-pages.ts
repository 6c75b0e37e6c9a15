import { id } from '@safemig/core';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { keyColumns, type TableMetadata } from './table-metadata';

/** Rows of the table in primary-key order, one page (LIMIT) at a time, resuming after the last key of each page. */
export async function* keysetPages(
  db: Kysely<any>,
  metadata: TableMetadata,
  columns: readonly string[],
  pageSize: number,
  where: RawBuilder<unknown> = sql`1 = 1`,
): AsyncGenerator<Record<string, unknown>> {
  const extra = columns.filter((column) => !metadata.primaryKey.includes(column));
  const select = sql.join([keyColumns(metadata), ...extra.map((column) => id(column))]);
  let last: Record<string, unknown> | undefined;
  for (;;) {
    const after = last
      ? sql`(${keyColumns(metadata)}) > (${sql.join(metadata.primaryKey.map((column) => sql`${last?.[column]}`))})`
      : sql`1 = 1`;
    const page = await sql<Record<string, unknown>>`SELECT ${select} FROM ${id(metadata.table)}
      WHERE ${after} AND (${where}) ORDER BY ${keyColumns(metadata)} LIMIT ${pageSize}`.execute(db);
    for (const row of page.rows) yield row;
    if (page.rows.length < pageSize) return;
    last = page.rows[page.rows.length - 1];
  }
}
