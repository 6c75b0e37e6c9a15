import { sql, type Kysely } from 'kysely';

/** `SELECT n FROM (...)` yielding 1..count without recursion limits: cross joins of digit tables. */
export function sequence(count: number) {
  const digits = Math.max(1, Math.ceil(Math.log10(count)));
  const tables = Array.from({ length: digits }, (_, i) =>
    sql.raw(
      `(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) d${i}`,
    ),
  );
  const value = sql.raw(Array.from({ length: digits }, (_, i) => `d${i}.d * ${10 ** i}`).join(' + '));
  return sql`SELECT ${value} + 1 AS n FROM ${sql.join(tables, sql`, `)} HAVING n <= ${count}`;
}

/**
 * `external_order` with integer ids 1..count: `legacy_status` holds single letters, `status` is the new column to
 * fill, `n` counts how often a backfill touched a row and `done` marks rows a counting backfill has processed.
 */
export async function createOrders(db: Kysely<any>, count: number, table = 'external_order'): Promise<void> {
  await sql`DROP TABLE IF EXISTS ${sql.id(table)}`.execute(db);
  await sql`CREATE TABLE ${sql.id(table)} (
    id INT UNSIGNED NOT NULL PRIMARY KEY,
    legacy_status VARCHAR(16) NULL,
    status VARCHAR(16) NULL,
    n INT NOT NULL DEFAULT 0,
    done TINYINT NOT NULL DEFAULT 0
  ) ENGINE=InnoDB`.execute(db);
  await sql`INSERT INTO ${sql.id(table)} (id, legacy_status)
    SELECT s.n, ELT(1 + s.n % 3, 'P', 'O', 'C') FROM (${sequence(count)}) s`.execute(db);
}

/** `CHECKSUM TABLE`: changes when any row of the table changes. */
export async function checksum(db: Kysely<any>, table: string): Promise<string> {
  const result = await sql<{ Checksum: string | number }>`CHECKSUM TABLE ${sql.id(table)}`.execute(db);
  return String(result.rows[0]?.Checksum);
}

/** Rows per value of `n`: `{ '1': 500 }` when every one of 500 rows was touched exactly once. */
export async function touchCounts(db: Kysely<any>, table = 'external_order'): Promise<Record<string, number>> {
  const result = await sql<{
    n: number;
    rows: number;
  }>`SELECT n, COUNT(*) AS \`rows\` FROM ${sql.id(table)} GROUP BY n ORDER BY n`.execute(db);
  return Object.fromEntries(result.rows.map((row) => [String(row.n), Number(row.rows)]));
}

/** Maps the legacy one-letter status to the new one (the transform the tests use). */
export function mapStatus(legacy: unknown): string {
  switch (legacy) {
    case 'P':
      return 'paid';
    case 'O':
      return 'open';
    case 'C':
      return 'cancelled';
    default:
      throw new Error(`unknown legacy status ${JSON.stringify(legacy)}`);
  }
}

/** Resolves once a transaction of this schema waits for a row lock (polls information_schema, gives up after 20 s). */
export async function waitForLockWait(db: Kysely<any>, schemaName: string): Promise<void> {
  for (let i = 0; i < 80; i += 1) {
    const result = await sql<{ state: string; db: string | null }>`SELECT t.trx_state AS state, p.DB AS db
      FROM information_schema.INNODB_TRX t LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id`.execute(
      db,
    );
    if (result.rows.some((row) => row.state === 'LOCK WAIT' && row.db === schemaName)) return;
    // InnoDB refreshes its INNODB_TRX snapshot only when nobody read it for 100 ms: poll slower than that.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no transaction of ${schemaName} started waiting for a lock`);
}
