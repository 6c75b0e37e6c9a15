import { sql, type Kysely } from 'kysely';

/** A column as information_schema reports it. */
export interface SnapshotColumn {
  readonly name: string;
  /** COLUMN_TYPE, lower case, e.g. `varchar(64)`, `int(11) unsigned`, `enum('new','paid')`. */
  readonly columnType: string;
  readonly nullable: boolean;
}

export interface SnapshotIndex {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
}

export interface SnapshotTable {
  readonly name: string;
  readonly columns: ReadonlyMap<string, SnapshotColumn>;
  readonly indexes: readonly SnapshotIndex[];
}

/** The tables of one schema, keyed by lower-case name (column keys are lower case too). */
export type SchemaSnapshot = ReadonlyMap<string, SnapshotTable>;

/**
 * Reads tables, columns and indexes of the connection's current schema. The linter reads the scratch schema after
 * every DDL statement, so each statement is judged against the schema as it was right before it.
 */
export async function readSchemaSnapshot(db: Kysely<any>): Promise<SchemaSnapshot> {
  const columns = await sql<{ table: string; name: string; type: string; nullable: string }>`
    SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`.execute(db);
  const indexes = await sql<{ table: string; name: string; column: string | null; nonUnique: number | string }>`
    SELECT TABLE_NAME AS \`table\`, INDEX_NAME AS name, COLUMN_NAME AS \`column\`, NON_UNIQUE AS nonUnique
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
    ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`.execute(db);
  const tables = new Map<string, { name: string; columns: Map<string, SnapshotColumn>; indexes: SnapshotIndex[] }>();
  const tableOf = (name: string) => {
    const key = name.toLowerCase();
    let table = tables.get(key);
    if (!table) {
      table = { name, columns: new Map(), indexes: [] };
      tables.set(key, table);
    }
    return table;
  };
  for (const row of columns.rows) {
    tableOf(row.table).columns.set(row.name.toLowerCase(), {
      name: row.name,
      columnType: String(row.type).toLowerCase(),
      nullable: row.nullable === 'YES',
    });
  }
  for (const row of indexes.rows) {
    const table = tableOf(row.table);
    let index = table.indexes.find((candidate) => candidate.name === row.name);
    if (!index) {
      index = { name: row.name, columns: [], unique: Number(row.nonUnique) === 0 };
      table.indexes.push(index);
    }
    if (row.column) (index.columns as string[]).push(row.column.toLowerCase());
  }
  return tables;
}

/** Estimated rows per table of the connection's current schema (`information_schema.TABLES.TABLE_ROWS`). */
export async function readTableRowEstimates(db: Kysely<any>): Promise<ReadonlyMap<string, number>> {
  const result = await sql<{ name: string; estimate: number | string | null }>`
    SELECT TABLE_NAME AS name, TABLE_ROWS AS estimate FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`.execute(db);
  return new Map(result.rows.map((row) => [row.name.toLowerCase(), Number(row.estimate ?? 0)]));
}
