import { id, validateIdentifier } from '@safemig/core';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { CompatSchemaError } from '../compat-errors';

/** A column as information_schema describes it. */
export interface ColumnMetadata {
  readonly name: string;
  /** Lower-case base type: `varchar`, `int`, `date`, `json`, `longtext` (MariaDB's JSON), ... */
  readonly dataType: string;
  /** Full type, e.g. `varchar(20)`, `int(10) unsigned`, `enum('a','b')`. */
  readonly columnType: string;
  readonly nullable: boolean;
  /** COLUMN_DEFAULT as the server reports it (MariaDB quotes string defaults, MySQL does not). */
  readonly columnDefault: string | null;
  readonly characterSet: string | null;
  readonly collation: string | null;
  readonly maxLength: number | null;
}

/** The columns and primary key of a table in the current schema. */
export interface TableMetadata {
  readonly table: string;
  readonly columns: ReadonlyMap<string, ColumnMetadata>;
  readonly primaryKey: readonly string[];
}

const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/**
 * Reads a table's columns and primary key; throws {@link CompatSchemaError} naming the check when the table does not
 * exist or has no primary key (findings, fixes and the audit trail identify rows by primary key).
 */
export async function loadTableMetadata(db: Kysely<any>, check: string, table: string): Promise<TableMetadata> {
  validateIdentifier(table);
  const result = await sql<{
    name: string;
    dataType: string;
    columnType: string;
    nullable: string;
    columnDefault: string | null;
    characterSet: string | null;
    collation: string | null;
    maxLength: number | string | null;
    keyPosition: number | null;
  }>`
    SELECT c.COLUMN_NAME AS name, c.DATA_TYPE AS dataType, c.COLUMN_TYPE AS columnType, c.IS_NULLABLE AS nullable,
           c.COLUMN_DEFAULT AS columnDefault, c.CHARACTER_SET_NAME AS characterSet, c.COLLATION_NAME AS collation,
           c.CHARACTER_MAXIMUM_LENGTH AS maxLength, k.ORDINAL_POSITION AS keyPosition
    FROM information_schema.COLUMNS c
    LEFT JOIN information_schema.KEY_COLUMN_USAGE k
      ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME
     AND k.CONSTRAINT_NAME = 'PRIMARY'
    WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ${table}
    ORDER BY c.ORDINAL_POSITION`.execute(db);
  if (result.rows.length === 0)
    throw new CompatSchemaError(check, table, undefined, 'does not exist in the current schema');
  const columns = new Map<string, ColumnMetadata>();
  for (const row of result.rows) {
    columns.set(row.name, {
      name: row.name,
      dataType: String(row.dataType).toLowerCase(),
      columnType: String(row.columnType).toLowerCase(),
      nullable: row.nullable === 'YES',
      columnDefault: row.columnDefault,
      characterSet: row.characterSet,
      collation: row.collation,
      maxLength: row.maxLength === null ? null : Number(row.maxLength),
    });
  }
  const primaryKey = result.rows
    .filter((row) => row.keyPosition !== null)
    .sort((a, b) => Number(a.keyPosition) - Number(b.keyPosition))
    .map((row) => row.name);
  if (primaryKey.length === 0) {
    throw new CompatSchemaError(check, table, undefined, 'has no primary key, so its rows cannot be named in findings');
  }
  return { table, columns, primaryKey };
}

/** The column's metadata, or a {@link CompatSchemaError} naming the check. */
export function requireColumn(metadata: TableMetadata, check: string, column: string): ColumnMetadata {
  validateIdentifier(column);
  const found = metadata.columns.get(column);
  if (!found) throw new CompatSchemaError(check, metadata.table, column, 'does not exist');
  return found;
}

/** Whether values of the column are bytes rather than text (shown and audited as hex). */
export function isBinaryColumn(column: ColumnMetadata): boolean {
  return BINARY_TYPES.has(column.dataType);
}

/** The primary key columns of the table, quoted, optionally qualified with an alias. */
export function keyColumns(metadata: TableMetadata, alias?: string): RawBuilder<unknown> {
  return sql.join(metadata.primaryKey.map((column) => (alias ? sql`${id(alias)}.${id(column)}` : id(column))));
}

/**
 * The row key as JSON text (`[42]`, `[7, "de"]`; binary key columns as hex): the audit trail stores it and matches
 * rows by its SHA-256. Both servers print JSON_ARRAY the same way, and a key is only compared on the server that
 * wrote it.
 */
export function rowKeyExpression(metadata: TableMetadata, qualifier?: string): RawBuilder<unknown> {
  const parts = metadata.primaryKey.map((column) => {
    const ref = qualifier ? sql`${id(qualifier)}.${id(column)}` : id(column);
    const meta = metadata.columns.get(column);
    return meta && isBinaryColumn(meta) ? sql`HEX(${ref})` : ref;
  });
  return sql`JSON_ARRAY(${sql.join(parts)})`;
}

/** The key columns of a result row, by name. */
export function keyOf(metadata: TableMetadata, row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(metadata.primaryKey.map((column) => [column, displayValue(row[column])]));
}

/** A driver value in a form that prints and compares stably: Buffers as hex, Dates as ISO text. */
export function displayValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}
