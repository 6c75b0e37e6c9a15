import { id } from '@safemig/core';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { FindingSample } from '../finding';
import { displayValue, keyColumns, keyOf, type TableMetadata } from './table-metadata';

/** How many rows match and the first `sampleSize` of them (by primary key) with their value. */
export interface CountAndSamples {
  readonly count: number;
  readonly samples: FindingSample[];
}

/**
 * Two set-based statements: a COUNT over the predicate and a keyed sample with LIMIT. The sample query stops after
 * `sampleSize` matches when offending rows are frequent; when they are rare the scan is the same as the count's.
 */
export async function countAndSample(
  db: Kysely<any>,
  metadata: TableMetadata,
  value: RawBuilder<unknown>,
  predicate: RawBuilder<unknown>,
  sampleSize: number,
): Promise<CountAndSamples> {
  const counted = await sql<{
    n: number | string;
  }>`SELECT COUNT(*) AS n FROM ${id(metadata.table)} WHERE ${predicate}`.execute(db);
  const count = Number(counted.rows[0]?.n ?? 0);
  if (count === 0 || sampleSize <= 0) return { count, samples: [] };
  return { count, samples: await sampleRows(db, metadata, value, predicate, sampleSize) };
}

/** The first `limit` rows matching the predicate by primary key, with their key and value. */
export async function sampleRows(
  db: Kysely<any>,
  metadata: TableMetadata,
  value: RawBuilder<unknown>,
  predicate: RawBuilder<unknown>,
  limit: number,
): Promise<FindingSample[]> {
  const rows = await sql<Record<string, unknown>>`
    SELECT ${keyColumns(metadata)}, ${value} AS safemig_value FROM ${id(metadata.table)}
    WHERE ${predicate} ORDER BY ${keyColumns(metadata)} LIMIT ${limit}`.execute(db);
  return rows.rows.map((row) => ({ key: keyOf(metadata, row), value: displayValue(row.safemig_value) }));
}

/**
 * Counts several predicates in ONE scan (`SUM(CASE WHEN p THEN 1 ELSE 0 END)` per predicate), then fetches keyed
 * samples only for predicates that matched: a check with three kinds of problems reads the table once, not three
 * times.
 */
export async function countAndSampleMany<K extends string>(
  db: Kysely<any>,
  metadata: TableMetadata,
  value: RawBuilder<unknown>,
  predicates: Readonly<Record<K, RawBuilder<unknown>>>,
  sampleSize: number,
): Promise<Record<K, CountAndSamples>> {
  const kinds = Object.keys(predicates) as K[];
  const sums = kinds.map(
    (kind, index) => sql`COALESCE(SUM(CASE WHEN ${predicates[kind]} THEN 1 ELSE 0 END), 0) AS ${sql.raw(`n${index}`)}`,
  );
  const counted = await sql<
    Record<string, number | string>
  >`SELECT ${sql.join(sums)} FROM ${id(metadata.table)}`.execute(db);
  const result = {} as Record<K, CountAndSamples>;
  for (const [index, kind] of kinds.entries()) {
    const count = Number(counted.rows[0]?.[`n${index}`] ?? 0);
    const samples =
      count > 0 && sampleSize > 0 ? await sampleRows(db, metadata, value, predicates[kind], sampleSize) : [];
    result[kind] = { count, samples };
  }
  return result;
}
