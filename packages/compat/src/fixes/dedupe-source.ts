import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import type { CheckContext } from '../checks/check-context';
import type { UniqueCheck } from '../checks/check-definition';
import { collisionCandidates, collisionKey } from '../checks/unique-collision-check';
import { rowKeyExpression, type TableMetadata } from '../schema/table-metadata';
import { textOfExpression, valueAsText } from '../schema/value-text';
import type { FixDefinition } from './fix-definition';

type DedupeFix = Extract<FixDefinition, { strategy: 'dedupe' }>;

/**
 * The rows of each colliding group ranked by the same GROUP BY key the check used (target collation, prefix,
 * NULLs excluded; only the rows whose collation hash is shared, see {@link collisionCandidates}): rank 1 is the row
 * that keeps its value (oldest or newest by `orderBy`, then by primary key), `safemig_keeper` its primary key
 * (single-column keys, for merge).
 */
export async function rankedDuplicates(
  context: CheckContext,
  check: UniqueCheck,
  fix: DedupeFix,
  metadata: TableMetadata,
): Promise<RawBuilder<unknown>> {
  const key = await collisionKey(context, check, metadata);
  const direction = fix.keep === 'oldest' ? sql`ASC` : sql`DESC`;
  const order = sql.join([
    ...(fix.orderBy ? [sql`${id(fix.orderBy)} ${direction}`] : []),
    ...metadata.primaryKey.map((column) => sql`${id(column)} ${direction}`),
  ]);
  const window = sql`PARTITION BY ${sql.join([...key.expressions])} ORDER BY ${order}`;
  const firstKey = id(metadata.primaryKey[0] ?? 'id');
  return sql`SELECT ${id(metadata.table)}.*, ROW_NUMBER() OVER (${window}) AS safemig_rank,
      FIRST_VALUE(${firstKey}) OVER (${window}) AS safemig_keeper
    FROM ${id(metadata.table)} ${collisionCandidates(key, metadata)} WHERE ${key.notNull}`;
}

/**
 * The suffix variant: every row but the kept one gets `~<rank>` appended, cut so the result still fits the column
 * and, with a prefix index, lands inside the compared prefix (otherwise the suffix would not make it unique).
 */
export function suffixSource(
  ranked: RawBuilder<unknown>,
  check: UniqueCheck,
  metadata: TableMetadata,
  column: string,
  width: number,
): RawBuilder<unknown> {
  const meta = metadata.columns.get(column)!;
  const suffix = sql`CONCAT('~', ranked.safemig_rank)`;
  const value = sql`CONCAT(LEFT(ranked.${id(column)}, ${width} - CHAR_LENGTH(${suffix})), ${suffix})`;
  return sql`SELECT ${rowKeyExpression(metadata, 'ranked')} AS safemig_key, ${valueAsText(meta, 'ranked')} AS safemig_old,
      ${textOfExpression(meta, value)} AS safemig_new
    FROM (${ranked}) ranked WHERE ranked.safemig_rank > 1`;
}

/** The rows to quarantine (or merge away): every row of a group but the kept one. */
export function duplicateRowsSource(ranked: RawBuilder<unknown>, metadata: TableMetadata): RawBuilder<unknown> {
  return sql`SELECT ${rowKeyExpression(metadata, 'ranked')} AS safemig_key, NULL AS safemig_old, NULL AS safemig_new
    FROM (${ranked}) ranked WHERE ranked.safemig_rank > 1`;
}

/** For merge: the rows of `child` that point at a duplicate, re-pointed to the kept row. */
export function mergeReferencesSource(
  ranked: RawBuilder<unknown>,
  metadata: TableMetadata,
  child: TableMetadata,
  column: string,
): RawBuilder<unknown> {
  const meta = child.columns.get(column)!;
  const firstKey = id(metadata.primaryKey[0] ?? 'id');
  return sql`SELECT ${rowKeyExpression(child, 'safemig_child')} AS safemig_key, ${valueAsText(meta, 'safemig_child')} AS safemig_old,
      ${textOfExpression(meta, sql`ranked.safemig_keeper`)} AS safemig_new
    FROM ${id(child.table)} safemig_child JOIN (${ranked}) ranked
      ON ranked.safemig_rank > 1 AND safemig_child.${id(column)} = ranked.${firstKey}`;
}

export type { DedupeFix };
