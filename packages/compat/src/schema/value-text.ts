import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import { isBinaryColumn, type ColumnMetadata } from './table-metadata';

/*
 * The audit trail keeps old and new values as utf8mb4 text (hex for binary columns), compared byte for byte
 * (utf8mb4_bin): a fix that only changes case or trailing spaces must still count as a change, which a _ci
 * comparison would hide. Assigning the text back converts it to the column type exactly for strings, integers,
 * DECIMAL, dates and JSON.
 */

/** `'text'` or `'hex'`: how the audit trail stores values of this column. */
export type ValueEncoding = 'text' | 'hex';

export function encodingOf(column: ColumnMetadata): ValueEncoding {
  return isBinaryColumn(column) ? 'hex' : 'text';
}

/** SQL of the column's value as audit text, for an optional table qualifier. */
export function valueAsText(column: ColumnMetadata, qualifier?: string): RawBuilder<unknown> {
  const ref = qualifier ? sql`${id(qualifier)}.${id(column.name)}` : id(column.name);
  return textOfExpression(column, ref);
}

/** SQL of any expression with the column's type as audit text. */
export function textOfExpression(column: ColumnMetadata, expression: RawBuilder<unknown>): RawBuilder<unknown> {
  return encodingOf(column) === 'hex'
    ? sql`CONVERT(HEX(${expression}) USING utf8mb4) COLLATE utf8mb4_bin`
    : sql`CAST(${expression} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin`;
}

/** SQL that turns audit text back into a value for the column. */
export function valueFromText(column: ColumnMetadata, text: RawBuilder<unknown>): RawBuilder<unknown> {
  return encodingOf(column) === 'hex' ? sql`UNHEX(${text})` : text;
}

const TYPED_COMPARISON =
  /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|year|date|datetime|timestamp|time)$/;

/**
 * Whether the column still holds the audited value. Strings, JSON and bytes compare as exact text (a case-only
 * change is a change); numbers and dates compare as values, because the server stores `TRUNCATE(1.005, 2)` in a
 * DECIMAL(12,3) as `1.000` while the audit captured the expression's text `1.00`.
 */
export function holdsAuditedValue(column: ColumnMetadata, qualifier: string, audited: string): string {
  const ref = `\`${qualifier}\`.\`${column.name}\``;
  if (TYPED_COMPARISON.test(column.dataType)) return `${audited} <=> ${ref}`;
  return encodingOf(column) === 'hex'
    ? `${audited} <=> CONVERT(HEX(${ref}) USING utf8mb4) COLLATE utf8mb4_bin`
    : `${audited} <=> CAST(${ref} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin`;
}
