import { isOperationNodeSource, sql, type Kysely, type RawBuilder } from 'kysely';
import { SafemigError, ERROR_CODES } from '../errors';
import { id, validateColumnType, validateIdentifier, validateTriggerBody } from '../sql';
import {
  columnExists,
  foreignKeyExists,
  indexExists,
  tableExists,
  triggerBody,
  triggerExists,
} from './information-schema';

/** A column default: a bound value, or an SQL expression such as ``sql`CURRENT_TIMESTAMP(3)` ``. */
export type ColumnDefault = string | number | boolean | null | RawBuilder<unknown>;

export interface AddColumnOptions {
  /** Defaults to `true`: an expand step adds NULLable columns (or NOT NULL ones with a safe default). */
  readonly nullable?: boolean;
  readonly default?: ColumnDefault;
  /** Place the column after this one. */
  readonly after?: string;
  readonly comment?: string;
}

/**
 * Adds a column unless it already exists. Returns whether it changed the schema.
 *
 * ### Examples
 * ```ts
 * await addColumn(db, 'external_order', 'total_amount', 'DECIMAL(12,2)', { nullable: true });
 * ```
 */
export async function addColumn(
  db: Kysely<any>,
  table: string,
  column: string,
  type: string,
  options: AddColumnOptions = {},
): Promise<boolean> {
  const columnType = sql.raw(validateColumnType(type));
  if (options.after !== undefined) validateIdentifier(options.after);
  if (await columnExists(db, table, column)) return false;
  const nullability = sql.raw(options.nullable === false ? 'NOT NULL' : 'NULL');
  const defaultClause = 'default' in options ? sql` DEFAULT ${defaultValue(options.default ?? null)}` : sql``;
  const commentClause = options.comment !== undefined ? sql` COMMENT ${options.comment}` : sql``;
  const afterClause = options.after !== undefined ? sql` AFTER ${id(options.after)}` : sql``;
  await sql`ALTER TABLE ${id(table)} ADD COLUMN ${id(column)} ${columnType} ${nullability}${defaultClause}${commentClause}${afterClause}`.execute(
    db,
  );
  return true;
}

/** One column of an index: a name, or a name with a prefix length and/or a sort order. */
export type IndexColumn =
  string | { readonly column: string; readonly length?: number; readonly order?: 'ASC' | 'DESC' };

export interface AddIndexOptions {
  readonly unique?: boolean;
}

/**
 * Adds an index unless an index with that name exists. Returns whether it changed the schema.
 * A UNIQUE index on existing data should follow a compat collision check.
 *
 * ### Examples
 * ```ts
 * await addIndex(db, 'external_order', 'idx.external_order.status', ['status', 'created_at']); // throws: bad name
 * await addIndex(db, 'external_order', 'idx_external_order_status', ['status', 'created_at']);
 * ```
 */
export async function addIndex(
  db: Kysely<any>,
  table: string,
  index: string,
  columns: readonly IndexColumn[],
  options: AddIndexOptions = {},
): Promise<boolean> {
  const parts = columns.map(indexColumnSql);
  if (parts.length === 0)
    throw new SafemigError(ERROR_CODES.INVALID_CONFIG, `Index ${index} on ${table} needs at least one column.`);
  if (await indexExists(db, table, index)) return false;
  const kind = sql.raw(options.unique ? 'UNIQUE INDEX' : 'INDEX');
  await sql`ALTER TABLE ${id(table)} ADD ${kind} ${id(index)} (${sql.join(parts)})`.execute(db);
  return true;
}

/** Drops a column if it exists. Returns whether it dropped one. */
export async function dropColumnIfExists(db: Kysely<any>, table: string, column: string): Promise<boolean> {
  if (!(await columnExists(db, table, column))) return false;
  await sql`ALTER TABLE ${id(table)} DROP COLUMN ${id(column)}`.execute(db);
  return true;
}

/** Drops an index if it exists. Returns whether it dropped one. */
export async function dropIndexIfExists(db: Kysely<any>, table: string, index: string): Promise<boolean> {
  if (!(await indexExists(db, table, index))) return false;
  await sql`ALTER TABLE ${id(table)} DROP INDEX ${id(index)}`.execute(db);
  return true;
}

/** Drops a foreign key constraint if it exists. Returns whether it dropped one. */
export async function dropForeignKeyIfExists(db: Kysely<any>, table: string, foreignKey: string): Promise<boolean> {
  if (!(await foreignKeyExists(db, table, foreignKey))) return false;
  await sql`ALTER TABLE ${id(table)} DROP FOREIGN KEY ${id(foreignKey)}`.execute(db);
  return true;
}

/** Drops a table if it exists. Returns whether it dropped one. */
export async function dropTableIfExists(db: Kysely<any>, table: string): Promise<boolean> {
  if (!(await tableExists(db, table))) return false;
  await sql`DROP TABLE ${id(table)}`.execute(db);
  return true;
}

export type TriggerTiming = 'BEFORE' | 'AFTER';
export type TriggerEvent = 'INSERT' | 'UPDATE' | 'DELETE';

export interface TriggerDefinition {
  readonly name: string;
  readonly table: string;
  readonly timing: TriggerTiming;
  readonly event: TriggerEvent;
  /** One statement, or `BEGIN ... END`. Written by the migration author; refer to rows as NEW/OLD. */
  readonly body: string;
}

export interface CreateTriggerOptions {
  /**
   * Create the trigger only for blue-green deployments, like Shopware's `BLUE_GREEN_DEPLOYMENT`: while release N-1
   * still writes the old columns, the trigger carries its writes forward. Defaults to {@link isBlueGreenDeployment}.
   */
  readonly blueGreen?: boolean;
}

/** Whether the environment asks for blue-green triggers: `BLUE_GREEN_DEPLOYMENT=1` (or `true`), as in Shopware. */
export function isBlueGreenDeployment(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.BLUE_GREEN_DEPLOYMENT ?? '').trim().toLowerCase();
  return value === '1' || value === 'true';
}

/**
 * Creates a trigger when blue-green deployment is enabled. An identical trigger is left alone; a trigger of the
 * same name with another body is replaced (MySQL has no CREATE OR REPLACE TRIGGER, so this drops, then creates).
 * Returns whether it changed the schema.
 */
export async function createTrigger(
  db: Kysely<any>,
  trigger: TriggerDefinition,
  options: CreateTriggerOptions = {},
): Promise<boolean> {
  validateIdentifier(trigger.name);
  validateIdentifier(trigger.table);
  const timing = oneOf('trigger timing', trigger.timing, ['BEFORE', 'AFTER'] as const);
  const event = oneOf('trigger event', trigger.event, ['INSERT', 'UPDATE', 'DELETE'] as const);
  const body = validateTriggerBody(trigger.body);
  if (!(options.blueGreen ?? isBlueGreenDeployment())) return false;
  const existing = await triggerBody(db, trigger.name);
  if (existing !== undefined) {
    if (normalizeBody(existing) === normalizeBody(body)) return false;
    await sql`DROP TRIGGER ${id(trigger.name)}`.execute(db);
  }
  await sql`CREATE TRIGGER ${id(trigger.name)} ${sql.raw(timing)} ${sql.raw(event)} ON ${id(trigger.table)} FOR EACH ROW ${sql.raw(body)}`.execute(
    db,
  );
  return true;
}

/** Drops a trigger if it exists. Returns whether it dropped one. */
export async function removeTrigger(db: Kysely<any>, trigger: string): Promise<boolean> {
  if (!(await triggerExists(db, trigger))) return false;
  await sql`DROP TRIGGER ${id(trigger)}`.execute(db);
  return true;
}

function defaultValue(value: ColumnDefault): RawBuilder<unknown> | string | number | boolean | null {
  return isOperationNodeSource(value) ? (value as RawBuilder<unknown>) : value;
}

function indexColumnSql(column: IndexColumn): RawBuilder<unknown> {
  if (typeof column === 'string') return id(column);
  const length = column.length;
  if (length !== undefined && (!Number.isInteger(length) || length < 1 || length > 3072)) {
    throw new SafemigError(
      ERROR_CODES.INVALID_CONFIG,
      `Index prefix length ${length} of ${column.column} must be an integer from 1 to 3072.`,
    );
  }
  const prefix = length !== undefined ? sql.raw(`(${length})`) : sql``;
  const order = column.order ? sql.raw(` ${oneOf('index order', column.order, ['ASC', 'DESC'] as const)}`) : sql``;
  return sql`${id(column.column)}${prefix}${order}`;
}

function oneOf<const T extends readonly string[]>(what: string, value: string, allowed: T): T[number] {
  const upper = String(value).toUpperCase();
  if (!allowed.includes(upper)) {
    throw new SafemigError(
      ERROR_CODES.INVALID_CONFIG,
      `Invalid ${what} ${JSON.stringify(value)}: use one of ${allowed.join(', ')}.`,
    );
  }
  return upper as T[number];
}

function normalizeBody(body: string): string {
  return body.replace(/\s+/g, ' ').trim().toLowerCase();
}
