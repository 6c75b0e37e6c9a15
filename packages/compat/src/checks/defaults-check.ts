import { id } from '@safemig/core';
import { sql } from 'kysely';
import type { Finding } from '../finding';
import { loadTableMetadata, requireColumn } from '../schema/table-metadata';
import type { DefaultsCheck } from './check-definition';
import { finding, type CheckContext } from './check-context';
import { implicitDefaultOf, isZeroDateText } from './implicit-default';

const TEMPORAL = new Set(['date', 'datetime', 'timestamp']);

/**
 * Defaults that bite during a migration: a column added NOT NULL without DEFAULT (existing rows silently get the
 * implicit value, or the ALTER fails under strict mode), a planned DEFAULT that strict mode refuses, and existing
 * columns whose DEFAULT strict mode refuses (zero dates), which break every INSERT that omits the column.
 *
 * ### Examples
 * ```ts
 * await runDefaultsCheck(context, { id: 'paid-at', type: 'defaults', table: 'orders', add: { column: 'paid_at', type: 'DATETIME', notNull: true } });
 * ```
 */
export async function runDefaultsCheck(context: CheckContext, check: DefaultsCheck): Promise<Finding[]> {
  const metadata = await loadTableMetadata(context.db, check.id, check.table);
  const findings: Finding[] = [];
  if (check.add) {
    const { column, type, notNull } = check.add;
    const counted = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${id(check.table)}`.execute(context.db);
    const rows = Number(counted.rows[0]?.n ?? 0);
    if (notNull && check.add.default === undefined) {
      const implicit = implicitDefaultOf(type);
      findings.push(
        finding({
          check: check.id,
          kind: 'implicit-default',
          table: check.table,
          column,
          severity: implicit.invalidUnderStrictMode ? 'error' : 'warning',
          count: rows,
          suggestedFix: `declare an explicit DEFAULT, or add the column NULLable, backfill it, then tighten to NOT NULL`,
          details: { type, implicitValue: implicit.value, explanation: implicit.explanation },
        }),
      );
    } else if (
      check.add.default !== undefined &&
      check.add.default !== null &&
      /^(date|datetime|timestamp)\b/i.test(type)
    ) {
      const invalid = isZeroDateText(String(check.add.default));
      findings.push(
        finding({
          check: check.id,
          kind: 'invalid-planned-default',
          table: check.table,
          column,
          severity: 'error',
          count: invalid ? 1 : 0,
          samples: invalid ? [{ key: { column }, value: check.add.default }] : [],
          suggestedFix: 'use a real date or NULL as DEFAULT: strict mode (NO_ZERO_DATE) refuses zero dates',
        }),
      );
    }
  }
  const inspected = (check.columns ?? [...metadata.columns.keys()]).map((name) =>
    requireColumn(metadata, check.id, name),
  );
  const invalid = inspected.filter(
    (column) => TEMPORAL.has(column.dataType) && column.columnDefault !== null && isZeroDateText(column.columnDefault),
  );
  findings.push(
    finding({
      check: check.id,
      kind: 'invalid-default',
      table: check.table,
      severity: check.severity,
      count: invalid.length,
      samples: invalid
        .slice(0, context.sampleSize)
        .map((column) => ({ key: { column: column.name }, value: column.columnDefault })),
      suggestedFix:
        'ALTER the column to DEFAULT NULL (or a real date) before the migration turns strict mode on for it',
      details: { columns: invalid.map((column) => column.name) },
    }),
  );
  return findings;
}
