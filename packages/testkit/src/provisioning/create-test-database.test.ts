import { createServer } from 'node:net';
import { sql } from 'kysely';
import { createDatabase, DEFAULT_DATABASE_URL } from '@safemig/core';
import { NoTestServerError, TestServerError } from '../errors';
import { containerRuntimeUnavailable } from './container-server';
import { createTestDatabase } from './create-test-database';

/** The server these tests may use: the configured one, else the local default. */
const CONFIGURED_URL = process.env.SAFEMIG_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
const WORKING_URL = CONFIGURED_URL ?? DEFAULT_DATABASE_URL;

/** A port nothing listens on: handed out by the OS, then closed again. */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

async function schemaExists(name: string): Promise<boolean> {
  const admin = createDatabase(WORKING_URL);
  try {
    const result = await sql`SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${name}`.execute(admin);
    return result.rows.length > 0;
  } finally {
    await admin.destroy();
  }
}

describe('createTestDatabase', () => {
  it('creates a utf8mb4 schema of its own, reachable through its URL, and drops it on destroy()', async () => {
    const testDb = await createTestDatabase();
    try {
      expect(testDb.name).toMatch(/^safemig_test_[0-9a-f]{12}$/);
      expect(testDb.server.kind).toBe(CONFIGURED_URL ? 'env' : 'local');
      const schema = await sql<{ charset: string; collation: string }>`
        SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
        FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()`.execute(testDb.db);
      expect(schema.rows).toEqual([{ charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' }]);
      const viaUrl = createDatabase(testDb.url);
      const current = await sql<{ name: string }>`SELECT DATABASE() AS name`.execute(viaUrl);
      await viaUrl.destroy();
      expect(current.rows[0]?.name).toBe(testDb.name);
    } finally {
      await testDb.destroy();
    }
    expect(await schemaExists(testDb.name)).toBe(false);
    await testDb.destroy();
  });

  it('gives every call its own schema, so parallel suites never meet', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
      await sql`CREATE TABLE only_in_a (id INT)`.execute(a.db);
      const inB =
        await sql`SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'only_in_a'`.execute(
          b.db,
        );
      expect(inB.rows).toEqual([]);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });

  it('destroys the extra pools of connect() with the schema', async () => {
    const testDb = await createTestDatabase();
    const second = testDb.connect();
    await sql`SELECT 1`.execute(second);
    await testDb.destroy();
    await expect(sql`SELECT 1`.execute(second)).rejects.toThrow();
  });
});

describe('the order in which a server is found', () => {
  it('uses SAFEMIG_TEST_DATABASE_URL first, or DATABASE_URL, and says so', async () => {
    for (const variable of ['SAFEMIG_TEST_DATABASE_URL', 'DATABASE_URL']) {
      const testDb = await createTestDatabase({
        env: { [variable]: WORKING_URL },
        localUrl: 'mysql://root@127.0.0.1:1',
      });
      await testDb.destroy();
      expect(testDb.server.kind).toBe('env');
      expect(testDb.server.description).toMatch(new RegExp(`^${variable} \\(mysql://`));
    }
  });

  it('fails loudly, naming it, when an explicitly set URL does not answer, instead of testing another server', async () => {
    const port = await deadPort();
    const attempt = createTestDatabase({
      env: { SAFEMIG_TEST_DATABASE_URL: `mysql://root:secret@127.0.0.1:${port}/x` },
      localUrl: WORKING_URL,
    });
    await expect(attempt).rejects.toBeInstanceOf(TestServerError);
    await expect(attempt).rejects.toThrow(
      `SAFEMIG_TEST_DATABASE_URL=mysql://root:***@127.0.0.1:${port} does not answer`,
    );
    await expect(attempt).rejects.toThrow(/does not fall back|do not fall back/);
    await expect(attempt).rejects.not.toThrow(/secret/);
  });

  it('falls back to the local default when no URL is set', async () => {
    const testDb = await createTestDatabase({ env: {}, localUrl: WORKING_URL });
    await testDb.destroy();
    expect(testDb.server.kind).toBe('local');
  });

  it('fails with ONE message listing all four options when none works', async () => {
    const port = await deadPort();
    const attempt = createTestDatabase({
      servers: ['env', 'local', 'throwaway'],
      env: { PATH: '' },
      localUrl: `mysql://root@127.0.0.1:${port}`,
      binaryDirectories: [],
    });
    await expect(attempt).rejects.toBeInstanceOf(NoTestServerError);
    const message = ((await attempt.catch((error: unknown) => error)) as Error).message;
    expect(message).toContain('No database server for the tests. Tried, in order:');
    expect(message).toContain('1. SAFEMIG_TEST_DATABASE_URL / DATABASE_URL: not set');
    expect(message).toContain(`2. the local server mysql://root@127.0.0.1:${port}: does not answer`);
    expect(message).toContain(
      '3. testcontainers (SAFEMIG_TEST_IMAGE, default mysql:8.0): not tried (only env, local, throwaway allowed)',
    );
    expect(message).toContain(
      '4. a throwaway mariadbd/mysqld from PATH: no mariadbd or mysqld on PATH or in (no other directories)',
    );
    expect(message).toMatch(
      /set SAFEMIG_TEST_DATABASE_URL=[\s\S]*127\.0\.0\.1:3306[\s\S]*Docker[\s\S]*mariadbd or mysqld is on PATH/,
    );
  });

  it('reads the allowed options from SAFEMIG_TEST_SERVER and refuses unknown ones', async () => {
    await expect(createTestDatabase({ env: { SAFEMIG_TEST_SERVER: 'local,docker' } })).rejects.toThrow(
      'SAFEMIG_TEST_SERVER=local,docker names unknown option(s) docker.',
    );
    const attempt = createTestDatabase({ env: { SAFEMIG_TEST_SERVER: 'env', SAFEMIG_TEST_DATABASE_URL: '' } });
    await expect(attempt).rejects.toThrow(
      /2\. the local server mysql:\/\/root@127\.0\.0\.1:3306: not tried \(only env allowed by SAFEMIG_TEST_SERVER\)/,
    );
  });
});

describe('the container option', () => {
  it('starts SAFEMIG_TEST_IMAGE when a container runtime answers, and is skipped with the reason when none does', async () => {
    const missing = await containerRuntimeUnavailable();
    const attempt = createTestDatabase({ servers: ['container'] });
    if (missing !== undefined) {
      await expect(attempt).rejects.toThrow(
        /3\. testcontainers \(SAFEMIG_TEST_IMAGE, default mysql:8\.0\): no container runtime/,
      );
      return;
    }
    const testDb = await attempt;
    try {
      expect(testDb.server.kind).toBe('container');
      const result = await sql<{ one: number }>`SELECT 1 AS one`.execute(testDb.db);
      expect(Number(result.rows[0]?.one)).toBe(1);
    } finally {
      await testDb.destroy();
    }
  }, 300_000);
});
