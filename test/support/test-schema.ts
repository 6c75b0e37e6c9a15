import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import {
  createDatabase,
  DEFAULT_DATABASE_URL,
  parseDatabaseConfig,
  quoteIdentifier,
  type DatabaseConfig,
} from '@safemig/core';

/**
 * A throwaway schema on the configured server for one test file of @safemig/core (which cannot use the testkit,
 * because the testkit depends on it). Other packages use `createTestDatabase()` from @safemig/testkit.
 */
export interface TestSchema {
  readonly db: Kysely<any>;
  readonly name: string;
  readonly config: DatabaseConfig;
  /** Another pool on the same schema, e.g. for a second runner. Destroyed with the schema. */
  connect(): Kysely<any>;
  destroy(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const server = parseDatabaseConfig(
    process.env.SAFEMIG_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
  );
  const name = `safemig_test_${randomBytes(6).toString('hex')}`;
  const admin = createDatabase(server.withDatabase(undefined));
  await sql`CREATE DATABASE ${sql.raw(quoteIdentifier(name))} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(
    admin,
  );
  const config = server.withDatabase(name);
  const pools: Kysely<any>[] = [];
  const connect = () => {
    const db = createDatabase(config);
    pools.push(db);
    return db;
  };
  const db = connect();
  return {
    db,
    name,
    config,
    connect,
    async destroy() {
      await Promise.all(pools.map((pool) => pool.destroy()));
      await sql`DROP DATABASE IF EXISTS ${sql.raw(quoteIdentifier(name))}`.execute(admin);
      await admin.destroy();
    },
  };
}
