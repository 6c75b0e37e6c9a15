import { sql, type Kysely, type RawBuilder } from 'kysely';
import { id, idList } from '@safemig/core';
import { TableWithoutPrimaryKeyError, UnsupportedSnapshotTableError } from './table-snapshot-errors';

/** How many rows one `INSERT ... SELECT` batch copies. */
export const DEFAULT_COPY_BATCH_SIZE = 5_000;

/** Where a table lives: schema and name. */
export interface TableRef {
  readonly schema: string;
  readonly table: string;
}

interface KeyColumn {
  readonly name: string;
  /** Temporal keys travel as text: a JavaScript Date would lose fractional seconds and shift with the time zone. */
  readonly temporal: boolean;
}

/** What copying a table needs: its primary key and the columns that take values (not generated ones). */
export interface TableShape {
  readonly key: readonly KeyColumn[];
  readonly columns: readonly string[];
}

const TEMPORAL_TYPES = new Set(['date', 'datetime', 'timestamp', 'time', 'year']);
const GENERATED_EXTRA = /\b(VIRTUAL|STORED|PERSISTENT)\b/i;

/** Whether a base table exists in a schema. */
export async function tableExists(db: Kysely<any>, ref: TableRef): Promise<boolean> {
  const result = await sql`
    SELECT 1 FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = ${ref.schema} AND TABLE_NAME = ${ref.table} AND TABLE_TYPE = 'BASE TABLE'`.execute(db);
  return result.rows.length > 0;
}

/** Reads the primary key and the writable columns; a table without a primary key is refused. */
export async function tableShape(db: Kysely<any>, ref: TableRef): Promise<TableShape> {
  const [columns, key] = await Promise.all([
    sql<{ name: string; data_type: string; extra: string | null }>`
      SELECT COLUMN_NAME AS name, DATA_TYPE AS data_type, EXTRA AS extra FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ${ref.schema} AND TABLE_NAME = ${ref.table} ORDER BY ORDINAL_POSITION`.execute(db),
    sql<{ name: string }>`
      SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ${ref.schema} AND TABLE_NAME = ${ref.table} AND INDEX_NAME = 'PRIMARY'
      ORDER BY SEQ_IN_INDEX`.execute(db),
  ]);
  if (key.rows.length === 0) throw new TableWithoutPrimaryKeyError(ref.table);
  const types = new Map(columns.rows.map((row) => [String(row.name), String(row.data_type).toLowerCase()]));
  return {
    key: key.rows.map((row) => ({ name: String(row.name), temporal: TEMPORAL_TYPES.has(types.get(row.name) ?? '') })),
    columns: columns.rows.filter((row) => !GENERATED_EXTRA.test(row.extra ?? '')).map((row) => String(row.name)),
  };
}

/**
 * Refuses a table that a table snapshot cannot restore faithfully: `CREATE TABLE ... LIKE` copies neither foreign
 * keys nor triggers, and `RENAME TABLE` makes other tables' foreign keys follow the renamed (old) table.
 */
export async function assertSnapshotable(db: Kysely<any>, ref: TableRef): Promise<void> {
  const [foreignKeys, triggers] = await Promise.all([
    sql<{ constraint_name: string; table_name: string; referenced_table_name: string }>`
      SELECT CONSTRAINT_NAME AS constraint_name, TABLE_NAME AS table_name,
             REFERENCED_TABLE_NAME AS referenced_table_name
      FROM information_schema.REFERENTIAL_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = ${ref.schema} AND (TABLE_NAME = ${ref.table} OR REFERENCED_TABLE_NAME = ${ref.table})
      ORDER BY TABLE_NAME, CONSTRAINT_NAME`.execute(db),
    sql<{ name: string }>`
      SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS
      WHERE EVENT_OBJECT_SCHEMA = ${ref.schema} AND EVENT_OBJECT_TABLE = ${ref.table}
      ORDER BY TRIGGER_NAME`.execute(db),
  ]);
  const blockers = [
    ...foreignKeys.rows.map((row) =>
      row.table_name === ref.table
        ? `its foreign key ${row.constraint_name} references ${row.referenced_table_name}`
        : `foreign key ${row.constraint_name} of ${row.table_name} references it`,
    ),
    ...triggers.rows.map((row) => `trigger ${row.name} is defined on it`),
  ];
  if (blockers.length > 0) throw new UnsupportedSnapshotTableError(ref.table, blockers);
}

/**
 * Copies every row of `from` into the empty table `to` (same structure) in keyset batches by primary key: each
 * batch is one `INSERT ... SELECT ... WHERE key > last ORDER BY key LIMIT n`, so the server moves the rows and no
 * batch rescans what earlier batches copied (no OFFSET). Returns the number of rows copied.
 */
export async function copyRows(
  db: Kysely<any>,
  from: TableRef,
  to: TableRef,
  shape: TableShape,
  batchSize: number = DEFAULT_COPY_BATCH_SIZE,
): Promise<number> {
  const columns = idList(shape.columns);
  const order = sql.join(shape.key.map((column) => id(column.name)));
  let last: readonly unknown[] | undefined;
  let copied = 0;
  for (;;) {
    const where = last ? sql`WHERE ${keyAfter(shape.key, last)}` : sql``;
    const result = await sql`
      INSERT INTO ${id(to.schema)}.${id(to.table)} (${columns})
      SELECT ${columns} FROM ${id(from.schema)}.${id(from.table)} ${where}
      ORDER BY ${order} LIMIT ${batchSize}`.execute(db);
    const inserted = Number(result.numAffectedRows ?? 0);
    copied += inserted;
    if (inserted < batchSize) return copied;
    // The target holds exactly the rows copied so far, in key order: its largest key is the cursor.
    const selected = sql.join(
      shape.key.map((column) =>
        column.temporal ? sql`CAST(${id(column.name)} AS CHAR) AS ${id(column.name)}` : id(column.name),
      ),
    );
    const descending = sql.join(shape.key.map((column) => sql`${id(column.name)} DESC`));
    const cursor = await sql<Record<string, unknown>>`
      SELECT ${selected} FROM ${id(to.schema)}.${id(to.table)} ORDER BY ${descending} LIMIT 1`.execute(db);
    const row = cursor.rows[0]!;
    last = shape.key.map((column) => row[column.name]);
  }
}

/** `(a > ?) OR (a = ? AND b > ?) ...`: the row-value comparison spelled out, which both servers use as a range. */
function keyAfter(key: readonly KeyColumn[], values: readonly unknown[]): RawBuilder<unknown> {
  const alternatives = key.map((column, index) => {
    const equal = key.slice(0, index).map((previous, j) => sql`${id(previous.name)} = ${values[j]}`);
    return sql`(${sql.join([...equal, sql`${id(column.name)} > ${values[index]}`], sql` AND `)})`;
  });
  return sql`(${sql.join(alternatives, sql` OR `)})`;
}
