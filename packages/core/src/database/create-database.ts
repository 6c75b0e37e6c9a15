import { Kysely, MysqlDialect, sql, type LogConfig } from 'kysely';
import { createPool } from 'mysql2';
import { ConnectionError } from '../errors';
import { parseDatabaseConfig, redactUrl, type DatabaseConfig, type DatabaseOptions } from './database-options';

const configs = new WeakMap<Kysely<any>, DatabaseConfig>();

/**
 * A `Kysely<any>` over a mysql2 pool, the connection every migration, backfill and check receives.
 *
 * Options are validated first (errors name the field); the pool connects lazily. BIGINT values come back as strings
 * so large ids keep their precision. `multipleStatements` stays off.
 *
 * ### Examples
 * ```ts
 * const db = createDatabase(process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test');
 * try {
 *   await new Migrator({ db, source }).migrate();
 * } finally {
 *   await db.destroy();
 * }
 * ```
 */
export interface CreateDatabaseOptions {
  /** kysely's query log: a callback that sees every statement and its duration (the linter captures SQL with it). */
  readonly log?: LogConfig;
}

export function createDatabase(
  options: string | DatabaseOptions | DatabaseConfig,
  { log }: CreateDatabaseOptions = {},
): Kysely<any> {
  const config = isDatabaseConfig(options) ? options : parseDatabaseConfig(options);
  const pool = createPool({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    connectionLimit: config.connectionLimit,
    connectTimeout: config.connectTimeoutMs,
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: false,
    charset: 'utf8mb4_unicode_ci',
  });
  const db = new Kysely<any>({ dialect: new MysqlDialect({ pool }), ...(log ? { log } : {}) });
  configs.set(db, config);
  return db;
}

/**
 * Like {@link createDatabase}, and proves the server answers before returning. A failure is a
 * {@link ConnectionError} naming the server by its redacted URL.
 */
export async function connectDatabase(options: string | DatabaseOptions | DatabaseConfig): Promise<Kysely<any>> {
  const db = createDatabase(options);
  try {
    await sql`SELECT 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new ConnectionError(databaseConfigOf(db)?.redactedUrl ?? 'the database', scrubError(error));
  }
  return db;
}

/** The validated settings a database handle was created with, if it was created by safemig. */
export function databaseConfigOf(db: Kysely<any>): DatabaseConfig | undefined {
  return configs.get(db);
}

function isDatabaseConfig(value: unknown): value is DatabaseConfig {
  return typeof value === 'object' && value !== null && 'redactedUrl' in value && 'toUrl' in value;
}

/** An error whose message has any URL password replaced; mysql2 itself never echoes the password. */
function scrubError(error: unknown): Error {
  if (error instanceof Error) {
    const scrubbed = new Error(redactUrl(error.message));
    Object.assign(scrubbed, { code: (error as { code?: unknown }).code });
    return scrubbed;
  }
  return new Error(redactUrl(String(error)));
}
