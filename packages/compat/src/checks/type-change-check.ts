import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import type { Finding } from '../finding';
import { countAndSampleMany } from '../schema/sample-rows';
import { loadTableMetadata, requireColumn } from '../schema/table-metadata';
import type { TypeChangeCheck } from './check-definition';
import { finding, type CheckContext } from './check-context';
import { parseTargetType, type TargetType } from './target-type';

/** One kind of value the target type cannot hold, with the SQL predicate that finds it. */
export interface TypeChangeProblem {
  readonly kind: 'length-overflow' | 'numeric-overflow' | 'precision-loss' | 'value-not-in-list';
  readonly predicate: RawBuilder<unknown>;
  readonly severity: 'error' | 'warning';
  readonly suggestedFix: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The predicates of every problem the change to `target` can have (empty for unchecked types). */
export function typeChangeProblems(check: TypeChangeCheck, target: TargetType): TypeChangeProblem[] {
  const column = id(check.column);
  switch (target.kind) {
    case 'chars':
      return [
        {
          kind: 'length-overflow',
          predicate: sql`CHAR_LENGTH(${column}) > ${target.length}`,
          severity: 'error',
          suggestedFix: `truncate to ${target.length} characters (quarantine first if the full text matters)`,
        },
      ];
    case 'bytes':
      return [
        {
          kind: 'length-overflow',
          predicate: sql`LENGTH(${column}) > ${target.length}`,
          severity: 'error',
          suggestedFix: `truncate to ${target.length} bytes`,
        },
      ];
    case 'integer':
      return [
        {
          kind: 'numeric-overflow',
          predicate: sql`(${column} < ${target.min.toString()} OR ${column} > ${target.max.toString()})`,
          severity: 'error',
          suggestedFix: `null-out or quarantine the rows, or pick a wider type than ${target.type}`,
        },
        {
          kind: 'precision-loss',
          predicate: sql`${column} <> ROUND(${column}, 0)`,
          severity: 'warning',
          suggestedFix: 'normalize with ROUND() or TRUNCATE() deliberately before the change rounds silently',
        },
      ];
    case 'decimal': {
      const limit = `1${'0'.repeat(target.precision - target.scale)}`;
      return [
        {
          kind: 'numeric-overflow',
          predicate: sql`ABS(${column}) >= ${limit}`,
          severity: 'error',
          suggestedFix: `null-out or quarantine, or widen ${target.type}`,
        },
        {
          kind: 'precision-loss',
          predicate: sql`${column} <> ROUND(${column}, ${target.scale})`,
          severity: 'warning',
          suggestedFix: `truncate to ${target.scale} decimals (or normalize with ROUND) so no value is rounded by the ALTER`,
        },
      ];
    }
    case 'enum':
      return [
        {
          kind: 'value-not-in-list',
          predicate:
            target.members.length === 0
              ? sql`${column} IS NOT NULL`
              : sql`${column} NOT IN (${sql.join(target.members.map((member) => sql`${member}`))})`,
          severity: 'error',
          suggestedFix: 'normalize to a listed value, null-out or quarantine the rows',
        },
      ];
    case 'set': {
      const alternatives = target.members.map(escapeRegExp).join('|');
      return [
        {
          kind: 'value-not-in-list',
          predicate: sql`NOT (${column} REGEXP ${`^((${alternatives})(,(${alternatives}))*)?$`})`,
          severity: 'error',
          suggestedFix: 'normalize to listed members, null-out or quarantine the rows',
        },
      ];
    }
  }
}

/**
 * Values a planned type change cannot hold: strings longer than the new length, numbers outside the new range,
 * decimals that would be rounded, ENUM/SET values outside the new list. Strict mode turns each into a failed ALTER;
 * without it the server truncates or clamps silently.
 *
 * ### Examples
 * ```ts
 * await runTypeChangeCheck(context, { id: 'sku', type: 'type-change', table: 'product', column: 'sku', to: 'VARCHAR(20)' });
 * ```
 */
export async function runTypeChangeCheck(context: CheckContext, check: TypeChangeCheck): Promise<Finding[]> {
  const metadata = await loadTableMetadata(context.db, check.id, check.table);
  requireColumn(metadata, check.id, check.column);
  const target = parseTargetType(check.to);
  if (!target) return [];
  const problems = typeChangeProblems(check, target);
  const counted = await countAndSampleMany(
    context.db,
    metadata,
    id(check.column),
    Object.fromEntries(problems.map((problem) => [problem.kind, problem.predicate])),
    context.sampleSize,
  );
  const findings: Finding[] = [];
  for (const problem of problems) {
    const found = counted[problem.kind]!;
    findings.push(
      finding({
        check: check.id,
        kind: problem.kind,
        table: check.table,
        column: check.column,
        severity: problem.severity === 'error' ? check.severity : 'warning',
        count: found.count,
        samples: found.samples,
        suggestedFix: problem.suggestedFix,
        details: { to: target.type },
      }),
    );
  }
  return findings;
}
