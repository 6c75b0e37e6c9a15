import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { createDatabase, id, SafemigError, ERROR_CODES, type DatabaseConfig } from '@safemig/core';
import { TestServerError } from '../errors';
import { findTestServer, type FindTestServerOptions } from './find-test-server';
import type { TestServerInfo } from './test-server';

/** Prefix of every schema the testkit creates; `safemig_test_<12 hex digits>`. */
export const TEST_SCHEMA_PREFIX = 'safemig_test_';

export interface CreateTestDatabaseOptions extends FindTestServerOptions {
  /** Default character set of the schema; utf8mb4 as in Shopware. */
  readonly charset?: string;
  /** Default collation of the schema; utf8mb4_unicode_ci as in Shopware. */
  readonly collation?: string;
}

/** A schema of its own on a test server, dropped by `destroy()`. */
export interface TestDatabase {
  /** A pool on the schema. */
  readonly db: Kysely<any>;
  /** The schema name, `safemig_test_<random>`. */
  readonly name: string;
  /** `mysql://user:password@host:port/<name>`, to hand to another process (a CLI under test). Contains the password: never log it. */
  readonly url: string;
  /** The same as settings; its `redactedUrl` and `toString()` are safe to log. */
  readonly config: DatabaseConfig;
  /** Which of the four options provided the server. */
  readonly server: Omit<TestServerInfo, 'config'>;
  /** Another pool on the same schema (a second runner, a concurrent writer), destroyed with the schema. */
  connect(): Kysely<any>;
  /** Drops the schema, closes every pool and, for a started server, stops it after its last user. Safe to call twice. */
  destroy(): Promise<void>;
}

/**
 * Creates a fresh schema (`CREATE DATABASE safemig_test_<random>`, utf8mb4) on the first server it finds (see
 * {@link findTestServer}) and returns a pool on it. Every call gets its own schema, so test files can run in
 * parallel workers against one server.
 *
 * ### Examples
 * ```ts
 * const testDb = await createTestDatabase();
 * try {
 *   await assertIdempotent(Migration1700000100AddStatus, { db: testDb.db });
 * } finally {
 *   await testDb.destroy();
 * }
 * ```
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const charset = charsetName('charset', options.charset ?? 'utf8mb4');
  const collation = charsetName('collation', options.collation ?? 'utf8mb4_unicode_ci');
  const server = await findTestServer(options);
  const name = `${TEST_SCHEMA_PREFIX}${randomBytes(6).toString('hex')}`;
  const admin = createDatabase(server.config.withDatabase(undefined));
  try {
    await sql`CREATE DATABASE ${id(name)} CHARACTER SET ${sql.raw(charset)} COLLATE ${sql.raw(collation)}`.execute(
      admin,
    );
  } catch (error) {
    await server.release();
    throw new TestServerError(
      `Could not create the test schema ${name} on ${server.description}: ${(error as Error).message}`,
      {
        cause: error,
        hint: `The user needs CREATE and DROP privileges on \`${TEST_SCHEMA_PREFIX}%\` schemas.`,
      },
    );
  } finally {
    await admin.destroy();
  }
  const config = server.config.withDatabase(name);
  const pools: Kysely<any>[] = [];
  const connect = () => {
    const pool = createDatabase(config);
    pools.push(pool);
    return pool;
  };
  const db = connect();
  let destroying: Promise<void> | undefined;
  return {
    db,
    name,
    url: config.toUrl(),
    config,
    server: { kind: server.kind, description: server.description },
    connect,
    destroy: () =>
      (destroying ??= (async () => {
        try {
          await Promise.all(pools.filter((pool) => pool !== db).map((pool) => pool.destroy()));
          await sql`DROP DATABASE IF EXISTS ${id(name)}`.execute(db);
        } finally {
          await db.destroy();
          await server.release();
        }
      })()),
  };
}

function charsetName(what: string, value: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(value)) {
    throw new SafemigError(
      ERROR_CODES.INVALID_CONFIG,
      `Invalid ${what} ${JSON.stringify(value)}: use a name such as utf8mb4 or utf8mb4_unicode_ci.`,
    );
  }
  return value;
}
