import { sql, type Kysely } from 'kysely';
import { validateIdentifier } from '../sql';

/*
 * Existence checks read information_schema of the connection's current schema (DATABASE()), never SHOW output and
 * never MariaDB-only IF [NOT] EXISTS clauses, so the same helper answers the same way on MySQL 8 and MariaDB.
 */

async function exists(db: Kysely<any>, query: ReturnType<typeof sql<{ found: number }>>): Promise<boolean> {
  const result = await query.execute(db);
  return result.rows.length > 0;
}

/** Whether a base table or view with this name exists in the current schema. */
export async function tableExists(db: Kysely<any>, table: string): Promise<boolean> {
  validateIdentifier(table);
  return exists(
    db,
    sql`SELECT 1 AS found FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} LIMIT 1`,
  );
}

/** Whether `table` has a column named `column`. */
export async function columnExists(db: Kysely<any>, table: string, column: string): Promise<boolean> {
  validateIdentifier(table);
  validateIdentifier(column);
  return exists(
    db,
    sql`SELECT 1 AS found FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND COLUMN_NAME = ${column} LIMIT 1`,
  );
}

/** Whether `table` has an index (including `PRIMARY` and unique keys) named `index`. */
export async function indexExists(db: Kysely<any>, table: string, index: string): Promise<boolean> {
  validateIdentifier(table);
  validateIdentifier(index);
  return exists(
    db,
    sql`SELECT 1 AS found FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND INDEX_NAME = ${index} LIMIT 1`,
  );
}

/** Whether `table` has a foreign key constraint named `foreignKey`. */
export async function foreignKeyExists(db: Kysely<any>, table: string, foreignKey: string): Promise<boolean> {
  validateIdentifier(table);
  validateIdentifier(foreignKey);
  return exists(
    db,
    sql`SELECT 1 AS found FROM information_schema.TABLE_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ${table}
          AND CONSTRAINT_NAME = ${foreignKey} AND CONSTRAINT_TYPE = 'FOREIGN KEY' LIMIT 1`,
  );
}

/** Whether a trigger named `trigger` exists in the current schema (trigger names are unique per schema). */
export async function triggerExists(db: Kysely<any>, trigger: string): Promise<boolean> {
  validateIdentifier(trigger);
  return exists(
    db,
    sql`SELECT 1 AS found FROM information_schema.TRIGGERS
        WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ${trigger} LIMIT 1`,
  );
}

/** The body (ACTION_STATEMENT) of a trigger, or undefined when it does not exist. */
export async function triggerBody(db: Kysely<any>, trigger: string): Promise<string | undefined> {
  validateIdentifier(trigger);
  const result = await sql<{ body: string }>`
    SELECT ACTION_STATEMENT AS body FROM information_schema.TRIGGERS
    WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ${trigger} LIMIT 1`.execute(db);
  return result.rows[0]?.body;
}
