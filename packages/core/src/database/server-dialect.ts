import { sql, type RawBuilder } from 'kysely';
import type { ServerFlavor } from './server-info';

/*
 * How MySQL and MariaDB report the same schema differently in information_schema. With server-info.ts this is the
 * only place that branches on the server: the testkit's snapshots see one normalized shape, so a schema reads the
 * same way on MySQL 8 and MariaDB 10.11+.
 */

/** Integer types whose display width MySQL 8.0.19+ stopped reporting and MariaDB still reports (`int(11)`). */
const INTEGER_WITH_WIDTH = /^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/;

/**
 * The full column type without server noise: integer display widths are dropped (unless ZEROFILL makes them
 * meaningful), and MariaDB's JSON alias (a LONGTEXT with a `json_valid` check) reads `json` as on MySQL.
 */
export function normalizeColumnType(columnType: string, isMariaDbJson: boolean): string {
  if (isMariaDbJson) return 'json';
  const type = columnType.trim().replace(/\s+/g, ' ');
  const lower = type.toLowerCase();
  if (INTEGER_WITH_WIDTH.test(lower) && !/\bzerofill\b/.test(lower)) return type.replace(/\(\d+\)/, '');
  return type;
}

/**
 * A column default as one notation on both servers: `null` when there is none (or it is NULL), a literal in single
 * quotes (`'new'`, `'0'`), an expression without quotes (`current_timestamp(3)`).
 *
 * MariaDB reports literals quoted (numbers unquoted) and the string `NULL` for a NULL default; MySQL reports
 * literals bare and marks expression defaults with `DEFAULT_GENERATED` in EXTRA.
 */
export function normalizeColumnDefault(flavor: ServerFlavor, raw: string | null, extra: string): string | null {
  if (raw === null) return null;
  if (flavor === 'mariadb') {
    if (raw === 'NULL') return null;
    if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) return quoteLiteral(unquoteMariaDbLiteral(raw));
    if (/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(raw)) return quoteLiteral(raw);
    return normalizeExpression(raw);
  }
  if (/\bDEFAULT_GENERATED\b/i.test(extra) || /^current_timestamp(\(\d*\))?$/i.test(raw))
    return normalizeExpression(raw);
  return quoteLiteral(raw);
}

/** EXTRA without MySQL's `DEFAULT_GENERATED` marker (the default carries that), lower case, one spacing. */
export function normalizeExtra(extra: string): string {
  return normalizeExpression(extra.replace(/\bDEFAULT_GENERATED\b/gi, '')).trim();
}

/** Generation expressions: MySQL reports `''` for ordinary columns, MariaDB NULL. */
export function normalizeGeneration(expression: string | null): string | null {
  if (expression === null || expression.trim() === '') return null;
  return stripOuterParentheses(expression.trim().replace(/\s+/g, ' '));
}

/** CHECK clauses: MySQL wraps them in parentheses, MariaDB does not. */
export function normalizeCheckClause(clause: string): string {
  return stripOuterParentheses(clause.trim().replace(/\s+/g, ' '));
}

/** View definitions name their tables with the schema (`\`safemig_test_x\`.\`t\``), which differs per test database. */
export function normalizeViewDefinition(definition: string, schema: string): string {
  return definition.split(`\`${schema}\`.`).join('').replace(/\s+/g, ' ').trim();
}

/** Whether a MariaDB check constraint is the implicit `json_valid` check of a JSON column. */
export function isMariaDbJsonCheck(
  flavor: ServerFlavor,
  check: { name: string; clause: string; level: string | null },
): boolean {
  return (
    flavor === 'mariadb' &&
    check.level === 'Column' &&
    check.clause.replace(/\s+/g, '').toLowerCase() === `json_valid(\`${check.name.toLowerCase()}\`)`
  );
}

/** Index visibility and functional key parts: MySQL has IS_VISIBLE and EXPRESSION, MariaDB has IGNORED and neither. */
export function indexExtrasSelect(flavor: ServerFlavor): RawBuilder<unknown> {
  return flavor === 'mysql'
    ? sql.raw(`IS_VISIBLE = 'YES' AS visible, EXPRESSION AS expression`)
    : sql.raw(`IGNORED = 'NO' AS visible, NULL AS expression`);
}

/** Check constraints with their table: MariaDB's CHECK_CONSTRAINTS has TABLE_NAME and LEVEL, MySQL's needs a join. */
export function checkConstraintsQuery(flavor: ServerFlavor, schema: string) {
  if (flavor === 'mariadb') {
    return sql<CheckRow>`
      SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause, LEVEL AS level, 1 AS enforced
      FROM information_schema.CHECK_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = ${schema}
      ORDER BY TABLE_NAME, CONSTRAINT_NAME`;
  }
  return sql<CheckRow>`
    SELECT tc.TABLE_NAME AS table_name, cc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS clause, NULL AS level,
           tc.ENFORCED = 'YES' AS enforced
    FROM information_schema.CHECK_CONSTRAINTS cc
    JOIN information_schema.TABLE_CONSTRAINTS tc
      ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME
     AND tc.CONSTRAINT_TYPE = 'CHECK'
    WHERE cc.CONSTRAINT_SCHEMA = ${schema}
    ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME`;
}

export interface CheckRow {
  readonly table_name: string;
  readonly name: string;
  readonly clause: string;
  readonly level: string | null;
  readonly enforced: number | string;
}

/**
 * A column's value as bytes for the data checksum. MySQL's JSON type must become text first; everything else
 * (numbers, dates, strings in any charset, BINARY(16) ids, BLOBs) casts to BINARY directly.
 */
export function columnBytes(flavor: ServerFlavor, quotedColumn: string, dataType: string): string {
  if (flavor === 'mysql' && dataType.toLowerCase() === 'json') return `CAST(CAST(${quotedColumn} AS CHAR) AS BINARY)`;
  return `CAST(${quotedColumn} AS BINARY)`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function unquoteMariaDbLiteral(raw: string): string {
  return raw.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1');
}

function normalizeExpression(expression: string): string {
  return expression
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase()
    .replace(/current_timestamp\(\)/g, 'current_timestamp');
}

function stripOuterParentheses(text: string): string {
  let result = text;
  while (result.startsWith('(') && result.endsWith(')') && wrapsWhole(result)) result = result.slice(1, -1).trim();
  return result;
}

/** Whether the first `(` closes at the very end, i.e. `(a) AND (b)` is not wrapped as a whole. */
function wrapsWhole(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote) {
      if (char === quote) quote = undefined;
      continue;
    }
    if (char === "'" || char === '"' || char === '`') quote = char;
    else if (char === '(') depth++;
    else if (char === ')') {
      depth--;
      if (depth === 0 && index < text.length - 1) return false;
    }
  }
  return depth === 0;
}
