import { id, tableExists } from '@safemig/core';
import { sql, type Kysely } from 'kysely';

/** Row counts and checksums per table, captured before a deploy. */
export const VALIDATION_BASELINE_TABLE = 'safemig_validation_baseline';
/** The manual items signed off since the baseline was captured. */
export const VALIDATION_SIGNOFF_TABLE = 'safemig_validation_signoff';

export interface BaselineEntry {
  readonly table: string;
  readonly rows: number;
  readonly checksum: string;
  readonly capturedAt: Date;
  readonly capturedBy: string;
}

export interface SignOff {
  readonly item: string;
  readonly by: string;
  readonly at: Date;
}

/** Creates both tables unless they exist (CREATE TABLE IF NOT EXISTS is portable). */
export async function ensureValidationTables(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS ${id(VALIDATION_BASELINE_TABLE)} (
      \`table_name\` VARCHAR(64) NOT NULL,
      \`row_count\` BIGINT UNSIGNED NOT NULL,
      \`checksum\` VARCHAR(40) NOT NULL,
      \`captured_at\` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      \`captured_by\` VARCHAR(255) NOT NULL,
      PRIMARY KEY (\`table_name\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);
  await sql`
    CREATE TABLE IF NOT EXISTS ${id(VALIDATION_SIGNOFF_TABLE)} (
      \`item\` VARCHAR(64) NOT NULL,
      \`signed_by\` VARCHAR(255) NOT NULL,
      \`signed_at\` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      PRIMARY KEY (\`item\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);
}

/**
 * Replaces the baseline and clears the sign-offs in one transaction: capturing a baseline starts a new validation
 * cycle, so sign-offs of the previous deploy do not carry over.
 */
export async function storeBaseline(
  db: Kysely<any>,
  tables: readonly { readonly table: string; readonly rows: number; readonly checksum: string }[],
  by: string,
): Promise<void> {
  await ensureValidationTables(db);
  await db.transaction().execute(async (trx) => {
    await sql`DELETE FROM ${id(VALIDATION_BASELINE_TABLE)}`.execute(trx);
    await sql`DELETE FROM ${id(VALIDATION_SIGNOFF_TABLE)}`.execute(trx);
    if (tables.length === 0) return;
    const values = tables.map((entry) => sql`(${entry.table}, ${entry.rows}, ${entry.checksum}, ${by})`);
    await sql`
      INSERT INTO ${id(VALIDATION_BASELINE_TABLE)} (\`table_name\`, \`row_count\`, \`checksum\`, \`captured_by\`)
      VALUES ${sql.join(values)}`.execute(trx);
  });
}

/** The stored baseline, or undefined when none was captured. */
export async function readBaseline(db: Kysely<any>): Promise<BaselineEntry[] | undefined> {
  if (!(await tableExists(db, VALIDATION_BASELINE_TABLE))) return undefined;
  const result = await sql<{
    table_name: string;
    row_count: number | string;
    checksum: string;
    captured_at: Date;
    captured_by: string;
  }>`SELECT \`table_name\`, \`row_count\`, \`checksum\`, \`captured_at\`, \`captured_by\`
     FROM ${id(VALIDATION_BASELINE_TABLE)} ORDER BY \`table_name\``.execute(db);
  if (result.rows.length === 0) return undefined;
  return result.rows.map((row) => ({
    table: row.table_name,
    rows: Number(row.row_count),
    checksum: String(row.checksum),
    capturedAt: row.captured_at,
    capturedBy: row.captured_by,
  }));
}

/** Records (or renews) the sign-off of a manual item. */
export async function storeSignOff(db: Kysely<any>, item: string, by: string): Promise<SignOff> {
  await ensureValidationTables(db);
  await sql`
    INSERT INTO ${id(VALIDATION_SIGNOFF_TABLE)} (\`item\`, \`signed_by\`, \`signed_at\`)
    VALUES (${item}, ${by}, CURRENT_TIMESTAMP(6))
    ON DUPLICATE KEY UPDATE \`signed_by\` = ${by}, \`signed_at\` = CURRENT_TIMESTAMP(6)`.execute(db);
  const signOffs = await readSignOffs(db);
  return signOffs.get(item)!;
}

/** Every sign-off of the current cycle, by item. */
export async function readSignOffs(db: Kysely<any>): Promise<Map<string, SignOff>> {
  if (!(await tableExists(db, VALIDATION_SIGNOFF_TABLE))) return new Map();
  const result = await sql<{ item: string; signed_by: string; signed_at: Date }>`
    SELECT \`item\`, \`signed_by\`, \`signed_at\` FROM ${id(VALIDATION_SIGNOFF_TABLE)}`.execute(db);
  return new Map(result.rows.map((row) => [row.item, { item: row.item, by: row.signed_by, at: row.signed_at }]));
}
