import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import type { CollisionGroup, Finding } from '../finding';
import {
  displayValue,
  keyColumns,
  loadTableMetadata,
  requireColumn,
  type TableMetadata,
} from '../schema/table-metadata';
import { resolveTargetCollation, type TargetCollation } from '../schema/target-collation';
import type { UniqueCheck } from './check-definition';
import { finding, type CheckContext } from './check-context';

const STRING_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set']);

/** A column of a planned unique index, with its optional prefix length. */
export interface UniqueColumn {
  readonly column: string;
  readonly prefix: number | undefined;
}

export function uniqueColumnsOf(check: UniqueCheck): UniqueColumn[] {
  return check.columns.map((entry) =>
    typeof entry === 'string' ? { column: entry, prefix: undefined } : { column: entry.column, prefix: entry.prefix },
  );
}

/** What the planned index compares, per column: the prefix, converted into the target collation for text columns. */
export interface CollisionKey {
  readonly columns: readonly UniqueColumn[];
  readonly expressions: readonly RawBuilder<unknown>[];
  /** Rows where any key column is NULL never collide: a UNIQUE index admits any number of them. */
  readonly notNull: RawBuilder<unknown>;
  readonly collation: TargetCollation | undefined;
}

/** Resolves the target collation and builds the per-column comparison expressions. */
export async function collisionKey(
  context: CheckContext,
  check: UniqueCheck,
  metadata: TableMetadata,
): Promise<CollisionKey> {
  const columns = uniqueColumnsOf(check);
  const metas = columns.map((entry) => requireColumn(metadata, check.id, entry.column));
  const collationName = check.collation ?? metas.find((meta) => meta.collation)?.collation ?? undefined;
  const collation = collationName ? await resolveTargetCollation(context.db, check.id, collationName) : undefined;
  const expressions = columns.map((entry, index) => {
    const meta = metas[index]!;
    const value = entry.prefix ? sql`LEFT(${id(entry.column)}, ${entry.prefix})` : id(entry.column);
    if (!collation || !STRING_TYPES.has(meta.dataType)) return value;
    // Converting is only needed across character sets; skipping it keeps the GROUP BY cheaper on big tables.
    const converted =
      meta.characterSet === collation.characterSet
        ? value
        : sql`CONVERT(${value} USING ${sql.raw(collation.characterSet)})`;
    return sql`${converted} COLLATE ${sql.raw(collation.name)}`;
  });
  const notNull = sql.join(
    columns.map((entry) => sql`${id(entry.column)} IS NOT NULL`),
    sql` AND `,
  );
  return { columns, expressions, notNull, collation };
}

/**
 * Groups rows the planned unique index would consider equal: `GROUP BY <column> COLLATE <target>` with
 * `HAVING COUNT(*) > 1`. The server applies the target collation's rules itself: case and accents under `_ci`/`_ai`,
 * trailing spaces under PAD SPACE (utf8mb4_unicode_ci) but not under NO PAD (utf8mb4_0900_ai_ci,
 * utf8mb4_unicode_nopad_ci); prefix lengths compare `LEFT(col, n)`; NULLs never collide. Every colliding group is
 * listed with all its keys (up to `maxGroups` groups).
 *
 * ### Examples
 * ```ts
 * await runUniqueCollisionCheck(context, { id: 'email', type: 'unique', table: 'customer', columns: ['email'], collation: 'utf8mb4_unicode_ci' });
 * ```
 */
export async function runUniqueCollisionCheck(context: CheckContext, check: UniqueCheck): Promise<Finding[]> {
  const metadata = await loadTableMetadata(context.db, check.id, check.table);
  const key = await collisionKey(context, check, metadata);
  // One sort under the target collation (one named window shared by ROW_NUMBER, LAG and LEAD): rows equal under
  // the collation end up adjacent, and a row collides when it equals a neighbour. Same cost class as
  // GROUP BY ... HAVING COUNT(*) > 1 (both sort every value by its collation weights), but it returns the members
  // of every group in the same pass instead of needing a second scan for their keys.
  const window = sql`ORDER BY ${sql.join([...key.expressions])}, ${keyColumns(metadata)}`;
  const equalTo = (fn: 'LAG' | 'LEAD') =>
    sql.join(
      key.expressions.map((expression) => sql`${expression} = ${sql.raw(fn)}(${expression}) OVER safemig_w`),
      sql` AND `,
    );
  const values = sql.join(
    key.columns.map((entry, index) => sql`${id(entry.column)} AS ${sql.raw(`safemig_v${index}`)}`),
  );
  const members = await sql<Record<string, unknown>>`
    SELECT * FROM (
      SELECT ${keyColumns(metadata)}, ${values}, ROW_NUMBER() OVER safemig_w AS safemig_pos,
             COALESCE(${equalTo('LAG')}, 0) AS safemig_same, COALESCE(${equalTo('LEAD')}, 0) AS safemig_next
      FROM ${id(check.table)} WHERE ${key.notNull}
      WINDOW safemig_w AS (${window})
    ) ranked WHERE safemig_same = 1 OR safemig_next = 1 ORDER BY safemig_pos`.execute(context.db);
  const width = metadata.primaryKey.length;
  const grouped: unknown[][][] = [];
  for (const row of members.rows) {
    const member = [
      ...metadata.primaryKey.map((column) => row[column]),
      ...key.columns.map((_, index) => row[`safemig_v${index}`]),
    ];
    if (Number(row.safemig_same) === 1 && grouped.length > 0) grouped[grouped.length - 1]!.push(member);
    else grouped.push([member]);
  }
  const rows = members.rows.length;
  const groupCount = grouped.length;
  const groups: CollisionGroup[] = grouped
    .map((parsed) => {
      const sorted = parsed.sort((a, b) => compareKeys(a.slice(0, width), b.slice(0, width)));
      return {
        values: (sorted[0] ?? []).slice(width).map(displayValue),
        keys: sorted.map((member) =>
          Object.fromEntries(metadata.primaryKey.map((column, index) => [column, displayValue(member[index])])),
        ),
      };
    })
    .sort((a, b) => compareKeys(Object.values(a.keys[0] ?? {}), Object.values(b.keys[0] ?? {})))
    .slice(0, check.maxGroups);
  return [
    finding({
      check: check.id,
      kind: 'unique-collision',
      table: check.table,
      column: key.columns.map((entry) => (entry.prefix ? `${entry.column}(${entry.prefix})` : entry.column)).join(', '),
      severity: check.severity,
      count: rows,
      samples: groups.slice(0, context.sampleSize).map((group) => ({ key: group.keys[0] ?? {}, value: group.values })),
      suggestedFix: 'dedupe: keep the oldest or newest row of each group, suffix, merge or quarantine the others',
      details: {
        collation: key.collation?.name,
        padSpace: key.collation?.padSpace,
        groupCount,
        groups,
        truncated: groupCount > groups.length,
      },
    }),
  ];
}

function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
