import { id } from '@safemig/core';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { keyAfter, keyAtMost, keyColumnList, keyOfRow, keyOrder, type KeyTuple } from './cursor';
import type { SetBackfillDefinition } from './definition';
import type { TableShape } from './table-shape';

/** The assignments of `set`, in the order the author wrote them (MySQL and MariaDB apply them left to right). */
function assignments(definition: SetBackfillDefinition): RawBuilder<unknown> {
  return sql.join(
    Object.entries(definition.set).map(([column, expression]) => sql`${id(column)} = (${sql.raw(expression)})`),
  );
}

function rangeCondition(shape: TableShape, after: KeyTuple | null, atMost: KeyTuple): RawBuilder<unknown> {
  return sql`${after ? keyAfter(shape.key, after) : sql`1 = 1`} AND ${keyAtMost(shape.key, atMost)}`;
}

/**
 * The set-based write of one chunk: `UPDATE t SET ... WHERE key > after AND key <= atMost AND (where)`. The server
 * evaluates `where` and the expressions row by row under the row lock, so a row the application changed is seen
 * as it is now: nothing it wrote is overwritten with a value computed from an older version. Returns the rows
 * written (matched: the driver reports found rows).
 */
export async function applySetChunk(
  connection: Kysely<any>,
  definition: SetBackfillDefinition,
  shape: TableShape,
  after: KeyTuple | null,
  atMost: KeyTuple,
): Promise<number> {
  const result = await sql`UPDATE ${id(definition.table)} SET ${assignments(definition)}
    WHERE ${rangeCondition(shape, after, atMost)} AND (${sql.raw(definition.where)})`.execute(connection);
  return Number(result.numAffectedRows ?? 0n);
}

/** One row of a dry-run sample: the key, the current values and the values `set` would write. */
export interface SetSample {
  readonly key: KeyTuple;
  readonly before: Readonly<Record<string, unknown>>;
  readonly after: Readonly<Record<string, unknown>>;
}

/**
 * Read-only preview of one chunk: how many rows `where` matches and, for up to `sampleSize` of them, the values
 * before and after. `after` evaluates each expression against the current row, so an expression that reads a column
 * assigned earlier in the same `set` sees the old value here.
 */
export async function previewSetChunk(
  db: Kysely<any>,
  definition: SetBackfillDefinition,
  shape: TableShape,
  after: KeyTuple | null,
  atMost: KeyTuple,
  sampleSize: number,
): Promise<{ readonly matching: number; readonly samples: SetSample[] }> {
  const where = sql`${rangeCondition(shape, after, atMost)} AND (${sql.raw(definition.where)})`;
  const counted = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${id(definition.table)} WHERE ${where}`.execute(
    db,
  );
  const matching = Number(counted.rows[0]?.n ?? 0);
  if (sampleSize <= 0 || matching === 0) return { matching, samples: [] };
  const columns = Object.entries(definition.set);
  const selected = sql.join(
    columns.flatMap(([column, expression], index) => [
      sql`${id(column)} AS ${id(`safemig_before_${index}`)}`,
      sql`(${sql.raw(expression)}) AS ${id(`safemig_after_${index}`)}`,
    ]),
  );
  const rows = await sql<
    Record<string, unknown>
  >`SELECT ${keyColumnList(shape.key)}, ${selected} FROM ${id(definition.table)}
    WHERE ${where} ORDER BY ${keyOrder(shape.key)} LIMIT ${sampleSize}`.execute(db);
  const samples = rows.rows.map((row) => ({
    key: keyOfRow(shape.key, row),
    before: Object.fromEntries(columns.map(([column], index) => [column, row[`safemig_before_${index}`]])),
    after: Object.fromEntries(columns.map(([column], index) => [column, row[`safemig_after_${index}`]])),
  }));
  return { matching, samples };
}
