import { sql, type RawBuilder } from 'kysely';

/**
 * `SELECT n` for n = 1 .. 10^places (at least `count`): a cross join of digit tables, so a benchmark fills a table of
 * millions of rows with one INSERT ... SELECT instead of millions of statements. Filter with `WHERE n <= count`.
 */
export function digits(count: number): RawBuilder<{ n: number }> {
  const places = Math.max(1, Math.ceil(Math.log10(count)));
  const tables = Array.from({ length: places }, (_, i) =>
    sql.raw(
      `(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) d${i}`,
    ),
  );
  const value = sql.raw(Array.from({ length: places }, (_, i) => `d${i}.d * ${10 ** i}`).join(' + '));
  return sql<{ n: number }>`SELECT ${value} + 1 AS n FROM ${sql.join(tables, sql`, `)}`;
}
