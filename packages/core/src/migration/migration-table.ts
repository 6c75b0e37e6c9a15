import { sql, type Kysely } from 'kysely';
import { tableExists } from '../schema';
import { id } from '../sql';
import type { LoadedMigration } from './migration-source';

/** Shopware's bookkeeping table name. */
export const DEFAULT_MIGRATION_TABLE = 'migration';

/** One row of the bookkeeping table. */
export interface MigrationRow {
  readonly className: string;
  readonly creationTimestamp: number;
  readonly update: Date | null;
  readonly updateDestructive: Date | null;
  readonly message: string | null;
}

/**
 * Creates the bookkeeping table exactly as Shopware's `migration` table, unless it exists. CREATE TABLE IF NOT EXISTS
 * is valid on MySQL and MariaDB alike.
 */
export async function ensureMigrationTable(db: Kysely<any>, table: string): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS ${id(table)} (
      \`class\` VARCHAR(255) NOT NULL,
      \`creation_timestamp\` INT NOT NULL,
      \`update\` TIMESTAMP(6) NULL DEFAULT NULL,
      \`update_destructive\` TIMESTAMP(6) NULL DEFAULT NULL,
      \`message\` TEXT NULL,
      PRIMARY KEY (\`class\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
}

/** Registers discovered steps; rows that exist keep their timestamps (INSERT IGNORE, as Shopware's sync). */
export async function syncMigrationTable(
  db: Kysely<any>,
  table: string,
  migrations: readonly LoadedMigration[],
): Promise<void> {
  if (migrations.length === 0) return;
  const values = migrations.map((migration) => sql`(${migration.className}, ${migration.timestamp})`);
  await sql`INSERT IGNORE INTO ${id(table)} (\`class\`, \`creation_timestamp\`) VALUES ${sql.join(values)}`.execute(db);
}

/** The rows of the given steps (or all rows), keyed by class. An absent table reads as no rows. */
export async function readMigrationRows(db: Kysely<any>, table: string): Promise<Map<string, MigrationRow>> {
  if (!(await tableExists(db, table))) return new Map();
  const result = await sql<{
    class: string;
    creation_timestamp: number;
    update: Date | null;
    update_destructive: Date | null;
    message: string | null;
  }>`SELECT \`class\`, \`creation_timestamp\`, \`update\`, \`update_destructive\`, \`message\` FROM ${id(table)}`.execute(
    db,
  );
  return new Map(
    result.rows.map((row) => [
      row.class,
      {
        className: row.class,
        creationTimestamp: Number(row.creation_timestamp),
        update: row.update,
        updateDestructive: row.update_destructive,
        message: row.message,
      },
    ]),
  );
}

/** Marks a phase as done and clears the message of an earlier failed attempt. */
export async function markExecuted(
  db: Kysely<any>,
  table: string,
  className: string,
  destructive: boolean,
): Promise<void> {
  const column = id(destructive ? 'update_destructive' : 'update');
  await sql`UPDATE ${id(table)} SET ${column} = CURRENT_TIMESTAMP(6), \`message\` = NULL WHERE \`class\` = ${className}`.execute(
    db,
  );
}

/** Stores the error of a failed attempt; the phase column stays NULL so the next run retries. */
export async function markFailed(db: Kysely<any>, table: string, className: string, message: string): Promise<void> {
  await sql`UPDATE ${id(table)} SET \`message\` = ${message} WHERE \`class\` = ${className}`.execute(db);
}
