import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import type { Finding } from '../finding';
import { countAndSampleMany } from '../schema/sample-rows';
import { loadTableMetadata, requireColumn, type ColumnMetadata } from '../schema/table-metadata';
import type { DateCheck } from './check-definition';
import { finding, type CheckContext } from './check-context';

const TEMPORAL = new Set(['date', 'datetime', 'timestamp']);
const ISO_DATE = '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?)?$';

/** The date problems a check looks for, each with its predicate. */
export type DateProblemKind = 'zero-date' | 'zero-in-date' | 'impossible-date' | 'unparseable-date';

/**
 * Predicates per problem. Dates are judged from their parts (YEAR/MONTH/DAYOFMONTH of a temporal column, or the
 * digits of an ISO string) and LAST_DAY of the month's first day, never through STR_TO_DATE or a cast, whose result
 * depends on the session's sql_mode (NO_ZERO_DATE, ALLOW_INVALID_DATES) and would differ between servers and
 * sessions.
 */
export function dateProblemPredicates(column: ColumnMetadata): Record<DateProblemKind, RawBuilder<unknown>> {
  const ref = id(column.name);
  const temporal = TEMPORAL.has(column.dataType);
  const wellFormed = temporal
    ? sql`${ref} IS NOT NULL`
    : sql`(CAST(${ref} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin REGEXP ${ISO_DATE})`;
  const year = temporal ? sql`YEAR(${ref})` : sql`CAST(SUBSTRING(${ref}, 1, 4) AS UNSIGNED)`;
  const month = temporal ? sql`MONTH(${ref})` : sql`CAST(SUBSTRING(${ref}, 6, 2) AS UNSIGNED)`;
  const day = temporal ? sql`DAYOFMONTH(${ref})` : sql`CAST(SUBSTRING(${ref}, 9, 2) AS UNSIGNED)`;
  const lastDay = sql`DAYOFMONTH(LAST_DAY(CONCAT(LPAD(GREATEST(${year}, 1), 4, '0'), '-', LPAD(${month}, 2, '0'), '-01')))`;
  return {
    'zero-date': sql`(${wellFormed} AND ${year} = 0 AND ${month} = 0 AND ${day} = 0)`,
    'zero-in-date': sql`(${wellFormed} AND NOT (${year} = 0 AND ${month} = 0 AND ${day} = 0) AND (${month} = 0 OR ${day} = 0))`,
    'impossible-date': sql`(${wellFormed} AND ${day} > 0 AND (${month} > 12 OR (${month} >= 1 AND ${day} > ${lastDay})))`,
    'unparseable-date': temporal ? sql`1 = 0` : sql`(${ref} IS NOT NULL AND NOT ${wellFormed})`,
  };
}

const FIXES: Record<DateProblemKind, string> = {
  'zero-date':
    'null-out (the column must be NULLable) or fill-default with a real date; MySQL 8 strict mode refuses 0000-00-00',
  'zero-in-date': 'null-out or fill-default; NO_ZERO_IN_DATE refuses a zero month or day',
  'impossible-date': 'normalize (e.g. LAST_DAY of the month) or null-out; strict mode refuses dates like 2020-02-30',
  'unparseable-date': 'normalize into YYYY-MM-DD with the legacy-format mapping, or quarantine',
};

/**
 * Zero dates (`0000-00-00`), zero parts (`2020-00-10`), impossible dates (`2020-02-30`) in temporal columns, and the
 * same plus unparseable text in string columns about to become DATE/DATETIME. They were written under a lenient
 * sql_mode (or ALLOW_INVALID_DATES) and break strict mode on the next write of the row or on the ALTER.
 *
 * ### Examples
 * ```ts
 * await runDateCheck(context, { id: 'birthday', type: 'dates', table: 'customer', column: 'birthday' });
 * ```
 */
export async function runDateCheck(context: CheckContext, check: DateCheck): Promise<Finding[]> {
  const metadata = await loadTableMetadata(context.db, check.id, check.table);
  const column = requireColumn(metadata, check.id, check.column);
  const predicates = dateProblemPredicates(column);
  const kinds = (Object.keys(predicates) as DateProblemKind[]).filter(
    (kind) => kind !== 'unparseable-date' || !TEMPORAL.has(column.dataType),
  );
  const value = TEMPORAL.has(column.dataType) ? sql`CAST(${id(column.name)} AS CHAR)` : id(column.name);
  const counted = await countAndSampleMany(
    context.db,
    metadata,
    value,
    Object.fromEntries(kinds.map((kind) => [kind, predicates[kind]])) as Record<DateProblemKind, RawBuilder<unknown>>,
    context.sampleSize,
  );
  const findings: Finding[] = [];
  for (const kind of kinds) {
    const found = counted[kind];
    findings.push(
      finding({
        check: check.id,
        kind,
        table: check.table,
        column: check.column,
        severity: check.severity,
        count: found.count,
        samples: found.samples,
        suggestedFix: FIXES[kind],
      }),
    );
  }
  return findings;
}
