import { sql, type Kysely } from 'kysely';
import {
  checkConstraintsQuery,
  ERROR_CODES,
  getServerInfo,
  indexExtrasSelect,
  isMariaDbJsonCheck,
  normalizeCheckClause,
  normalizeColumnDefault,
  normalizeColumnType,
  normalizeExtra,
  normalizeGeneration,
  normalizeViewDefinition,
  SafemigError,
  type ServerFlavor,
  validateIdentifier,
} from '@safemig/core';

/** One column, normalized so MySQL 8 and MariaDB report the same thing the same way. */
export interface ColumnSnapshot {
  /** 1-based position in the table. */
  readonly position: number;
  /** Full type, e.g. `varchar(32)`, `decimal(12,2) unsigned`, `enum('new','paid')`, `json`. */
  readonly type: string;
  readonly nullable: boolean;
  /** `null` (none, or NULL), a quoted literal (`'new'`), or an expression (`current_timestamp(3)`). */
  readonly default: string | null;
  /** `auto_increment`, `on update current_timestamp(3)`, `stored generated`, ... or `''`. */
  readonly extra: string;
  readonly charset: string | null;
  readonly collation: string | null;
  /** The expression of a generated column. */
  readonly generation: string | null;
  readonly comment: string;
}

/** One key part of an index. */
export interface IndexPartSnapshot {
  /** The column, or the expression of a functional key part (MySQL). */
  readonly column: string;
  readonly order: 'ASC' | 'DESC' | null;
  /** Prefix length, e.g. 10 for `name(10)`. */
  readonly prefix: number | null;
}

export interface IndexSnapshot {
  readonly unique: boolean;
  /** BTREE, HASH, FULLTEXT, SPATIAL. */
  readonly type: string;
  readonly parts: readonly IndexPartSnapshot[];
  readonly visible: boolean;
  readonly comment: string;
}

export interface ForeignKeySnapshot {
  readonly columns: readonly string[];
  readonly referencedTable: string;
  readonly referencedColumns: readonly string[];
  readonly onUpdate: string;
  readonly onDelete: string;
}

export interface CheckSnapshot {
  readonly clause: string;
  readonly enforced: boolean;
}

export interface TriggerSnapshot {
  readonly table: string;
  readonly timing: string;
  readonly event: string;
  /** Order among triggers with the same table, timing and event. */
  readonly order: number;
  readonly body: string;
}

export interface ViewSnapshot {
  /** The definition with the schema name removed, so views compare across test databases. */
  readonly definition: string;
  readonly checkOption: string;
  readonly updatable: boolean;
  readonly security: string;
}

export interface TableSnapshot {
  readonly engine: string | null;
  readonly collation: string | null;
  readonly rowFormat: string | null;
  readonly comment: string;
  readonly columns: Readonly<Record<string, ColumnSnapshot>>;
  readonly indexes: Readonly<Record<string, IndexSnapshot>>;
  readonly foreignKeys: Readonly<Record<string, ForeignKeySnapshot>>;
  readonly checks: Readonly<Record<string, CheckSnapshot>>;
}

/**
 * The structure of one schema as information_schema reports it, normalized and deterministic (names sorted):
 * tables with their options, columns, indexes, foreign keys and check constraints; triggers; views.
 * AUTO_INCREMENT counters and table statistics are left out: they change with the data and are not schema.
 */
export interface SchemaSnapshot {
  readonly kind: 'schema';
  readonly flavor: ServerFlavor;
  readonly tables: Readonly<Record<string, TableSnapshot>>;
  readonly triggers: Readonly<Record<string, TriggerSnapshot>>;
  readonly views: Readonly<Record<string, ViewSnapshot>>;
}

export interface SnapshotSchemaOptions {
  /** The schema to read; defaults to the connection's current schema (`DATABASE()`). */
  readonly schema?: string;
}

/**
 * Reads the whole schema in eight information_schema queries (not one per table), run in parallel.
 *
 * ### Examples
 * ```ts
 * const before = await snapshotSchema(db);
 * await new Migration1700000100AddStatus().update(db);
 * console.log(diffSnapshots(before, await snapshotSchema(db)).lines);
 * // [ 'external_order.status: column added (varchar(32) NULL)' ]
 * ```
 */
export async function snapshotSchema(db: Kysely<any>, options: SnapshotSchemaOptions = {}): Promise<SchemaSnapshot> {
  const [schema, server] = await Promise.all([resolveSchema(db, options.schema), getServerInfo(db)]);
  const flavor = server.flavor;
  const [tables, columns, statistics, foreignKeys, keyColumns, checks, triggers, views] = await Promise.all([
    sql<TableRow>`
      SELECT TABLE_NAME AS table_name, ENGINE AS engine, TABLE_COLLATION AS collation, ROW_FORMAT AS row_format,
             TABLE_COMMENT AS comment
      FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ${schema} AND TABLE_TYPE <> 'VIEW'
      ORDER BY TABLE_NAME`.execute(db),
    sql<ColumnRow>`
      SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name, ORDINAL_POSITION AS position, COLUMN_TYPE AS type,
             IS_NULLABLE AS nullable, COLUMN_DEFAULT AS \`default\`, EXTRA AS extra, CHARACTER_SET_NAME AS charset,
             COLLATION_NAME AS collation, GENERATION_EXPRESSION AS generation, COLUMN_COMMENT AS comment
      FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ${schema}
      ORDER BY TABLE_NAME, ORDINAL_POSITION`.execute(db),
    sql<StatisticsRow>`
      SELECT TABLE_NAME AS table_name, INDEX_NAME AS name, NON_UNIQUE AS non_unique, SEQ_IN_INDEX AS seq,
             COLUMN_NAME AS \`column\`, COLLATION AS \`order\`, SUB_PART AS prefix, INDEX_TYPE AS type,
             INDEX_COMMENT AS comment, ${indexExtrasSelect(flavor)}
      FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ${schema}
      ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`.execute(db),
    // Two queries joined in Node: MariaDB evaluates a join of these two information_schema tables row by row,
    // which made this the slowest query of the snapshot (130 ms instead of 35 ms at 300 tables).
    sql<ForeignKeyRow>`
      SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, REFERENCED_TABLE_NAME AS referenced_table,
             UPDATE_RULE AS on_update, DELETE_RULE AS on_delete
      FROM information_schema.REFERENTIAL_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = ${schema}`.execute(db),
    sql<KeyColumnRow>`
      SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, COLUMN_NAME AS \`column\`,
             REFERENCED_COLUMN_NAME AS referenced_column
      FROM information_schema.KEY_COLUMN_USAGE
      WHERE CONSTRAINT_SCHEMA = ${schema} AND REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`.execute(db),
    checkConstraintsQuery(flavor, schema).execute(db),
    sql<TriggerRow>`
      SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS table_name, ACTION_TIMING AS timing,
             EVENT_MANIPULATION AS event, ACTION_ORDER AS action_order, ACTION_STATEMENT AS body
      FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA = ${schema}
      ORDER BY TRIGGER_NAME`.execute(db),
    sql<ViewRow>`
      SELECT TABLE_NAME AS name, VIEW_DEFINITION AS definition, CHECK_OPTION AS check_option,
             IS_UPDATABLE AS updatable, SECURITY_TYPE AS security
      FROM information_schema.VIEWS
      WHERE TABLE_SCHEMA = ${schema}
      ORDER BY TABLE_NAME`.execute(db),
  ]);

  const jsonColumns = new Set<string>();
  const checksByTable = new Map<string, Record<string, CheckSnapshot>>();
  for (const check of checks.rows) {
    const name = text(check.name);
    const clause = text(check.clause);
    if (isMariaDbJsonCheck(flavor, { name, clause, level: nullableText(check.level) })) {
      jsonColumns.add(`${check.table_name}.${name}`);
      continue;
    }
    entry(checksByTable, text(check.table_name))[name] = {
      clause: normalizeCheckClause(clause),
      enforced: truthy(check.enforced),
    };
  }

  const columnsByTable = new Map<string, Record<string, ColumnSnapshot>>();
  for (const column of columns.rows) {
    const table = text(column.table_name);
    const name = text(column.name);
    const isJson = jsonColumns.has(`${table}.${name}`);
    const extra = text(column.extra);
    entry(columnsByTable, table)[name] = {
      position: Number(column.position),
      type: normalizeColumnType(text(column.type), isJson),
      nullable: text(column.nullable) === 'YES',
      default: normalizeColumnDefault(flavor, nullableText(column.default), extra),
      extra: normalizeExtra(extra),
      charset: isJson ? null : nullableText(column.charset),
      collation: isJson ? null : nullableText(column.collation),
      generation: normalizeGeneration(nullableText(column.generation)),
      comment: text(column.comment),
    };
  }

  const indexesByTable = new Map<string, Record<string, IndexSnapshot>>();
  for (const row of statistics.rows) {
    const indexes = entry(indexesByTable, text(row.table_name));
    const name = text(row.name);
    const part: IndexPartSnapshot = {
      column: nullableText(row.column) ?? `(${normalizeCheckClause(text(row.expression))})`,
      order: row.order === 'A' ? 'ASC' : row.order === 'D' ? 'DESC' : null,
      prefix: row.prefix === null ? null : Number(row.prefix),
    };
    const existing = indexes[name];
    indexes[name] = existing
      ? { ...existing, parts: [...existing.parts, part] }
      : {
          unique: Number(row.non_unique) === 0,
          type: text(row.type),
          parts: [part],
          visible: truthy(row.visible),
          comment: text(row.comment),
        };
  }

  const foreignKeysByTable = new Map<string, Record<string, ForeignKeySnapshot>>();
  const constraints = new Map(foreignKeys.rows.map((row) => [`${text(row.table_name)}.${text(row.name)}`, row]));
  for (const row of keyColumns.rows) {
    const table = text(row.table_name);
    const name = text(row.name);
    const constraint = constraints.get(`${table}.${name}`);
    if (!constraint) continue;
    const keys = entry(foreignKeysByTable, table);
    const existing = keys[name];
    keys[name] = existing
      ? {
          ...existing,
          columns: [...existing.columns, text(row.column)],
          referencedColumns: [...existing.referencedColumns, text(row.referenced_column)],
        }
      : {
          columns: [text(row.column)],
          referencedTable: text(constraint.referenced_table),
          referencedColumns: [text(row.referenced_column)],
          onUpdate: text(constraint.on_update),
          onDelete: text(constraint.on_delete),
        };
  }

  const tableSnapshots: Record<string, TableSnapshot> = {};
  for (const table of tables.rows) {
    const name = text(table.table_name);
    tableSnapshots[name] = {
      engine: nullableText(table.engine),
      collation: nullableText(table.collation),
      rowFormat: nullableText(table.row_format),
      comment: text(table.comment),
      columns: columnsByTable.get(name) ?? {},
      indexes: indexesByTable.get(name) ?? {},
      foreignKeys: foreignKeysByTable.get(name) ?? {},
      checks: checksByTable.get(name) ?? {},
    };
  }

  const triggerSnapshots: Record<string, TriggerSnapshot> = {};
  for (const trigger of triggers.rows) {
    triggerSnapshots[text(trigger.name)] = {
      table: text(trigger.table_name),
      timing: text(trigger.timing),
      event: text(trigger.event),
      order: Number(trigger.action_order),
      body: text(trigger.body).replace(/\s+/g, ' ').trim(),
    };
  }

  const viewSnapshots: Record<string, ViewSnapshot> = {};
  for (const view of views.rows) {
    viewSnapshots[text(view.name)] = {
      definition: normalizeViewDefinition(text(view.definition), schema),
      checkOption: text(view.check_option),
      updatable: text(view.updatable) === 'YES',
      security: text(view.security),
    };
  }

  return { kind: 'schema', flavor, tables: tableSnapshots, triggers: triggerSnapshots, views: viewSnapshots };
}

/** The schema a snapshot reads: the given one (validated) or the connection's current one. */
export async function resolveSchema(db: Kysely<any>, schema: string | undefined): Promise<string> {
  if (schema !== undefined) return validateIdentifier(schema);
  const result = await sql<{ name: string | null }>`SELECT DATABASE() AS name`.execute(db);
  const name = result.rows[0]?.name;
  if (!name) {
    throw new SafemigError(ERROR_CODES.INVALID_CONFIG, 'The connection has no current schema to snapshot.', {
      hint: 'Connect with a database in the URL (mysql://host/schema) or pass { schema }.',
    });
  }
  return name;
}

interface TableRow {
  table_name: unknown;
  engine: unknown;
  collation: unknown;
  row_format: unknown;
  comment: unknown;
}

interface ColumnRow {
  table_name: unknown;
  name: unknown;
  position: unknown;
  type: unknown;
  nullable: unknown;
  default: unknown;
  extra: unknown;
  charset: unknown;
  collation: unknown;
  generation: unknown;
  comment: unknown;
}

interface StatisticsRow {
  table_name: unknown;
  name: unknown;
  non_unique: unknown;
  seq: unknown;
  column: unknown;
  order: unknown;
  prefix: unknown;
  type: unknown;
  comment: unknown;
  visible: unknown;
  expression: unknown;
}

interface ForeignKeyRow {
  table_name: unknown;
  name: unknown;
  referenced_table: unknown;
  on_update: unknown;
  on_delete: unknown;
}

interface KeyColumnRow {
  table_name: unknown;
  name: unknown;
  column: unknown;
  referenced_column: unknown;
}

interface TriggerRow {
  name: unknown;
  table_name: unknown;
  timing: unknown;
  event: unknown;
  action_order: unknown;
  body: unknown;
}

interface ViewRow {
  name: unknown;
  definition: unknown;
  check_option: unknown;
  updatable: unknown;
  security: unknown;
}

/** information_schema text columns arrive as strings, or as Buffers for some BLOB-typed columns on some servers. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}

function truthy(value: unknown): boolean {
  return value === true || Number(value) === 1;
}

function entry<T>(map: Map<string, Record<string, T>>, key: string): Record<string, T> {
  let record = map.get(key);
  if (!record) {
    record = {};
    map.set(key, record);
  }
  return record;
}
