import { id } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { keyAfter, keyAtMost, keyColumnList, keyOfRow, keyOrder, type KeyTuple } from './cursor';
import type { KeyColumn } from './table-shape';

/** The next chunk of the key order: at most `size` keys after the cursor. */
export interface KeyChunk {
  /** Inclusive upper bound of the chunk: the last of its keys. */
  readonly last: KeyTuple;
  /** How many keys the chunk holds (fewer than asked for at the end of a range). */
  readonly keys: number;
}

/**
 * Finds the upper bound of the next chunk with one index range read: the `size` keys after `after` (never OFFSET),
 * of which only the last comes back, with their count. `undefined` when no key is left in the range.
 *
 * ### Examples
 * ```ts
 * const chunk = await nextKeyChunk(db, 'external_order', key, cursor, null, 1000);
 * // UPDATE ... WHERE key > cursor AND key <= chunk.last AND (where)
 * ```
 */
export async function nextKeyChunk(
  db: Kysely<any>,
  table: string,
  columns: readonly KeyColumn[],
  after: KeyTuple | null,
  atMost: KeyTuple | null,
  size: number,
): Promise<KeyChunk | undefined> {
  const conditions = [after ? keyAfter(columns, after) : sql`1 = 1`, atMost ? keyAtMost(columns, atMost) : sql`1 = 1`];
  const result = await sql<Record<string, unknown>>`SELECT chunk.*, COUNT(*) OVER () AS safemig_keys FROM (
      SELECT ${keyColumnList(columns)} FROM ${id(table)}
      WHERE ${sql.join(conditions, sql` AND `)}
      ORDER BY ${keyOrder(columns)} LIMIT ${size}
    ) AS chunk ORDER BY ${keyOrder(columns, 'DESC')} LIMIT 1`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  return { last: keyOfRow(columns, row), keys: Number(row.safemig_keys) };
}

/** The first and the last key of the table (or `undefined` when it is empty): cheap reads at both ends of the index. */
export async function keyBounds(
  db: Kysely<any>,
  table: string,
  columns: readonly KeyColumn[],
): Promise<{ readonly first: KeyTuple; readonly last: KeyTuple } | undefined> {
  const read = async (direction: 'ASC' | 'DESC') => {
    const result = await sql<Record<string, unknown>>`SELECT ${keyColumnList(columns)} FROM ${id(table)}
      ORDER BY ${keyOrder(columns, direction)} LIMIT 1`.execute(db);
    return result.rows[0] ? keyOfRow(columns, result.rows[0]) : undefined;
  };
  const first = await read('ASC');
  const last = await read('DESC');
  return first && last ? { first, last } : undefined;
}
