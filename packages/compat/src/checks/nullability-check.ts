import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import type { Finding } from '../finding';
import { countAndSampleMany } from '../schema/sample-rows';
import { loadTableMetadata, requireColumn } from '../schema/table-metadata';
import type { NullabilityCheck } from './check-definition';
import { finding, type CheckContext } from './check-context';

/** The rows a NOT NULL tightening would reject (NULL, and `''` when `emptyStrings` is set). */
export function nullabilityOffendingRows(check: NullabilityCheck): RawBuilder<unknown> {
  const column = id(check.column);
  return check.emptyStrings ? sql`(${column} IS NULL OR ${column} = '')` : sql`${column} IS NULL`;
}

/**
 * Before `MODIFY ... NOT NULL`: counts NULLs (and empty strings when asked, which the application may treat as
 * missing too). Under strict mode the ALTER fails on the first NULL; without it the server silently writes the
 * implicit default, so both are findings of severity `error`.
 *
 * ### Examples
 * ```ts
 * await runNullabilityCheck(context, { id: 'email', type: 'nullability', table: 'customer', column: 'email', emptyStrings: true });
 * ```
 */
export async function runNullabilityCheck(context: CheckContext, check: NullabilityCheck): Promise<Finding[]> {
  const metadata = await loadTableMetadata(context.db, check.id, check.table);
  requireColumn(metadata, check.id, check.column);
  const column = id(check.column);
  const counted = await countAndSampleMany(
    context.db,
    metadata,
    column,
    { nulls: sql`${column} IS NULL`, empty: check.emptyStrings ? sql`${column} = ''` : sql`1 = 0` },
    context.sampleSize,
  );
  const nulls = counted.nulls;
  const findings = [
    finding({
      check: check.id,
      kind: 'null-values',
      table: check.table,
      column: check.column,
      severity: check.severity,
      count: nulls.count,
      samples: nulls.samples,
      suggestedFix: 'fill-default with the value the application assumes for a missing one, or quarantine the rows',
    }),
  ];
  if (check.emptyStrings) {
    const empty = counted.empty;
    findings.push(
      finding({
        check: check.id,
        kind: 'empty-strings',
        table: check.table,
        column: check.column,
        severity: check.severity,
        count: empty.count,
        samples: empty.samples,
        suggestedFix: 'fill-default (the application treats an empty string as missing) or null-out before a fill',
      }),
    );
  }
  return findings;
}
