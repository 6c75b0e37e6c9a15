import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import { charsetPredicates } from '../checks/charset-check';
import type { CheckDefinition } from '../checks/check-definition';
import { dateProblemPredicates } from '../checks/date-check';
import {
  classifiesInJs,
  formatBucketExpression,
  INVALID_JSON_BUCKET,
  NULL_BUCKET,
  UNRECOGNIZED_BUCKET,
} from '../checks/legacy-format-check';
import { nullabilityOffendingRows } from '../checks/nullability-check';
import { orphanPredicate } from '../checks/orphan-check';
import { parseTargetType } from '../checks/target-type';
import { typeChangeProblems } from '../checks/type-change-check';
import type { TableMetadata } from '../schema/table-metadata';
import type { FixStrategy } from './fix-definition';

function anyOf(predicates: readonly RawBuilder<unknown>[]): RawBuilder<unknown> {
  return predicates.length === 0 ? sql`1 = 0` : sql`(${sql.join(predicates, sql` OR `)})`;
}

/**
 * The SQL predicate of the rows a fix of this check touches: the same predicate the check counted with, so a
 * re-check after the fix looks at exactly the rows the fix changed. `undefined` for checks without row predicates
 * (defaults, unique) or formats classified in JS.
 */
export function offendingRows(
  check: CheckDefinition,
  metadata: TableMetadata,
  strategy: FixStrategy,
): RawBuilder<unknown> | undefined {
  switch (check.type) {
    case 'nullability':
      return nullabilityOffendingRows(check);
    case 'format': {
      if (classifiesInJs(check)) return undefined;
      const broken = [UNRECOGNIZED_BUCKET, ...(check.expectJson ? [INVALID_JSON_BUCKET] : [])];
      const bucket = formatBucketExpression(check);
      return strategy === 'normalize' && check.canonical !== undefined
        ? sql`${bucket} NOT IN (${check.canonical}, ${NULL_BUCKET})`
        : sql`${bucket} IN (${sql.join(broken.map((name) => sql`${name}`))})`;
    }
    case 'type-change': {
      const target = parseTargetType(check.to);
      if (!target) return undefined;
      const problems = typeChangeProblems(check, target);
      // Truncating or normalizing is how a decimal's extra digits go away; null-out and quarantine fix the hard errors.
      const rewrites = strategy === 'truncate' || strategy === 'normalize';
      const wanted = problems.filter(
        (problem) => problem.severity === 'error' || (rewrites && problem.kind === 'precision-loss'),
      );
      return anyOf(wanted.map((problem) => problem.predicate));
    }
    case 'dates': {
      const column = metadata.columns.get(check.column);
      return column ? anyOf(Object.values(dateProblemPredicates(column))) : undefined;
    }
    case 'charset': {
      const column = metadata.columns.get(check.column);
      if (!column) return undefined;
      const predicates = charsetPredicates(column);
      return anyOf([
        ...(check.target === 'utf8mb3' ? [predicates.fourByte] : []),
        ...(check.mojibake ? [predicates.mojibake] : []),
      ]);
    }
    case 'orphans':
      return orphanPredicate(check);
    case 'defaults':
    case 'unique':
      return undefined;
  }
}

/** The column a value-changing fix writes. */
export function fixedColumnOf(check: CheckDefinition): string | undefined {
  switch (check.type) {
    case 'nullability':
    case 'format':
    case 'type-change':
    case 'dates':
    case 'charset':
      return check.column;
    case 'orphans':
      return check.columns.length === 1 ? check.columns[0] : undefined;
    case 'unique':
    case 'defaults':
      return undefined;
  }
}

/** The truncation expression of a type-change check's column, when its target type has a length or scale. */
export function truncateExpression(
  check: CheckDefinition,
  length: number | undefined,
): RawBuilder<unknown> | undefined {
  const column = 'column' in check && typeof check.column === 'string' ? id(check.column) : undefined;
  if (!column) return undefined;
  if (length !== undefined) return sql`LEFT(${column}, ${length})`;
  if (check.type !== 'type-change') return undefined;
  const target = parseTargetType(check.to);
  if (target?.kind === 'chars' || target?.kind === 'bytes') return sql`LEFT(${column}, ${target.length})`;
  if (target?.kind === 'decimal') return sql`TRUNCATE(${column}, ${target.scale})`;
  return undefined;
}
