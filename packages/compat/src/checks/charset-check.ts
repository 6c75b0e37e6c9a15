import { id, validateIdentifier } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import type { Finding } from '../finding';
import { countAndSampleMany } from '../schema/sample-rows';
import { loadTableMetadata, requireColumn, type ColumnMetadata } from '../schema/table-metadata';
import type { CharsetCheck } from './check-definition';
import { finding, type CheckContext } from './check-context';

/**
 * UTF-8 text that was decoded as latin1/cp1252 and stored again: `ä` became `Ã¤`, `€` became `â‚¬`. Matched byte for
 * byte (utf8mb4_bin), so legitimate `ã` followed by `¤` in a _ci collation cannot be folded into a match.
 */
export const MOJIBAKE_PATTERN = 'Ã¤|Ã¶|Ã¼|ÃŸ|Ã„|Ã–|Ãœ|Ã©|Ã¨|Ã¡|Ã³|Ã±|Ã§|â‚¬|â€™|â€œ|â€“';

/**
 * SQL that repairs double-encoded UTF-8 (the usual normalize expression for mojibake). Guarded by the pattern: the
 * server may evaluate a SELECT list before its WHERE, and converting a value with an emoji to latin1 is an error
 * under strict mode.
 */
export function mojibakeRepairExpression(column: string): string {
  const ref = `\`${validateIdentifier(column)}\``;
  return `IF(CAST(${ref} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin REGEXP '${MOJIBAKE_PATTERN}', CONVERT(CAST(CONVERT(${ref} USING latin1) AS BINARY) USING utf8mb4), ${ref})`;
}

/**
 * SQL that replaces characters outside the BMP by `?` (what utf8mb3 would store), for a normalize fix. A regular
 * expression rather than CONVERT(... USING utf8mb3): inside the fix's INSERT ... SELECT, strict mode turns the lossy
 * conversion into an error. `\\x{...}` code points are spelled the same in MariaDB's PCRE2 and MySQL 8's ICU, so the
 * one expression serves both servers.
 */
export function stripFourByteExpression(column: string): string {
  return `REGEXP_REPLACE(\`${validateIdentifier(column)}\`, '[\\\\x{10000}-\\\\x{10FFFF}]', '?')`;
}

export function charsetPredicates(column: ColumnMetadata): {
  fourByte: RawBuilder<unknown>;
  mojibake: RawBuilder<unknown>;
} {
  const ref = id(column.name);
  const utf8mb4 = column.characterSet === 'utf8mb4';
  return {
    // A 4-byte UTF-8 sequence starts with a byte F0-F4: matched on the hex text, byte-aligned by (..)*. An ASCII
    // pattern reads the same in MySQL 8's ICU and MariaDB's PCRE2, and no conversion is involved (converting to
    // utf8mb3 inside a fix's INSERT ... SELECT is an error under strict mode).
    fourByte: utf8mb4 ? sql`(HEX(${ref}) REGEXP '^(..)*F[0-4]')` : sql`1 = 0`,
    mojibake: sql`(CAST(${ref} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin REGEXP ${MOJIBAKE_PATTERN})`,
  };
}

/**
 * Character-set problems: 4-byte characters that a move to utf8mb3 would turn into `?` (or refuse under strict
 * mode), and latin1 mojibake (double-encoded UTF-8) that the application shows as `Ã¤`.
 *
 * ### Examples
 * ```ts
 * await runCharsetCheck(context, { id: 'name', type: 'charset', table: 'customer', column: 'name', target: 'utf8mb3' });
 * ```
 */
export async function runCharsetCheck(context: CheckContext, check: CharsetCheck): Promise<Finding[]> {
  const metadata = await loadTableMetadata(context.db, check.id, check.table);
  const column = requireColumn(metadata, check.id, check.column);
  const predicates = charsetPredicates(column);
  const findings: Finding[] = [];
  const base = { check: check.id, table: check.table, column: check.column };
  const counted = await countAndSampleMany(
    context.db,
    metadata,
    id(check.column),
    {
      fourByte: check.target === 'utf8mb3' ? predicates.fourByte : sql`1 = 0`,
      mojibake: check.mojibake ? predicates.mojibake : sql`1 = 0`,
    },
    context.sampleSize,
  );
  if (check.target === 'utf8mb3') {
    const found = counted.fourByte;
    findings.push(
      finding({
        ...base,
        kind: 'four-byte-characters',
        severity: check.severity,
        count: found.count,
        samples: found.samples,
        suggestedFix: `keep utf8mb4, or normalize with ${stripFourByteExpression(check.column)} (lossy: the characters become ?)`,
      }),
    );
  }
  if (check.mojibake) {
    const found = counted.mojibake;
    findings.push(
      finding({
        ...base,
        kind: 'mojibake',
        severity: 'warning',
        count: found.count,
        samples: found.samples,
        suggestedFix: `normalize with ${mojibakeRepairExpression(check.column)} (re-decodes double-encoded UTF-8)`,
      }),
    );
  }
  return findings;
}
