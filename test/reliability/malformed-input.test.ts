import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type LogEvent } from 'kysely';
import { BackfillKeyError, BackfillRunner } from '@safemig/backfill';
import { EXIT_CODES, runCli } from '@safemig/cli';
import { runCheck, type CheckDefinitionInput } from '@safemig/compat';
import { createDatabase, InvalidConfigError, MigrationSource, Migrator, parseDatabaseConfig } from '@safemig/core';
import { createTestDatabase, type TestDatabase } from '@safemig/testkit';
import { sequence } from '../../packages/backfill/src/__fixtures__/orders';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(() => testDb?.destroy());

const MEGABYTE = 1024 * 1024;

/** id -> what is wrong with the row; rows 1..50 are good. */
const BAD_ROWS: Readonly<Record<number, string>> = {
  51: 'invalid JSON',
  52: 'invalid JSON',
  53: 'invalid UTF-8',
  54: 'invalid UTF-8',
  55: 'zero date',
  56: 'zero date',
  57: 'too long',
  58: 'no input',
};

describe('a malformed-input zoo', () => {
  it('records every bad row (invalid JSON, invalid UTF-8, zero dates, 1 MB strings, NULL input) and never crashes', async () => {
    const { db } = testDb;
    await sql`CREATE TABLE legacy_zoo (
      id INT NOT NULL PRIMARY KEY,
      raw_json TEXT NULL,
      raw_bytes VARBINARY(64) NULL,
      legacy_date DATETIME NULL,
      big MEDIUMTEXT NULL,
      result VARCHAR(255) NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`.execute(db);
    await db.connection().execute(async (connection) => {
      // Zero dates only get in without the strict modes, as they do in old shops.
      await sql`SET SESSION sql_mode = ''`.execute(connection);
      await sql`INSERT INTO legacy_zoo (id, raw_json, raw_bytes, legacy_date, big)
        SELECT s.n, CONCAT('{"a":', s.n, '}'), CAST('grün' AS BINARY), '2024-02-29 10:00:00', 'x'
        FROM (${sequence(50)}) s`.execute(connection);
      const row = (id: number, json: string | null, bytes: Buffer, date: string, big: string) =>
        sql`INSERT INTO legacy_zoo (id, raw_json, raw_bytes, legacy_date, big)
          VALUES (${id}, ${json}, ${bytes}, ${date}, ${big})`.execute(connection);
      const ok = Buffer.from('ok');
      await row(51, '{"a":', ok, '2024-01-01', 'x');
      await row(52, "{'a': 1}", ok, '2024-01-01', 'x');
      await row(53, '{"a":53}', Buffer.from([0x66, 0xc3, 0x28, 0xa0]), '2024-01-01', 'x');
      await row(54, '{"a":54}', Buffer.from([0xff, 0xfe, 0xfd]), '2024-01-01', 'x');
      await row(55, '{"a":55}', ok, '0000-00-00 00:00:00', 'x');
      await row(56, '{"a":56}', ok, '2024-00-15 00:00:00', 'x');
      await row(57, '{"a":57}', ok, '2024-01-01', 'z'.repeat(MEGABYTE));
      await row(58, null, ok, '2024-01-01', 'x');
      // A good row carrying 1 MB of text: big values alone are not a failure.
      await row(59, '{"a":59}', ok, '2024-01-01', 'y'.repeat(MEGABYTE - 1));
    });
    const goodIds = (await sql<{ id: number }>`SELECT id FROM legacy_zoo WHERE id NOT BETWEEN 51 AND 58`.execute(db))
      .rows.length;
    expect(goodIds).toBe(51);

    const decoder = new TextDecoder('utf-8', { fatal: true });
    const runner = new BackfillRunner({
      db,
      definition: {
        name: 'reliability.zoo',
        table: 'legacy_zoo',
        where: 'result IS NULL',
        select: ['raw_json', 'raw_bytes', 'legacy_date', 'big'],
        maxErrorRate: 1,
        batchSize: 7,
        minBatchSize: 7,
        maxBatchSize: 7,
        transform: (row) => {
          if (row.raw_json === null) throw new Error('no input: raw_json is NULL');
          const parsed = JSON.parse(String(row.raw_json)) as { a: number };
          const text = decoder.decode(row.raw_bytes as Buffer);
          const date = row.legacy_date as Date | string | null;
          if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new Error(`zero date ${String(date)}`);
          const big = String(row.big);
          if (big.length > MEGABYTE - 1) throw new Error(`too long: ${big}`);
          return { result: `${parsed.a}:${text}:${date.getUTCFullYear()}:${big.length}` };
        },
      },
    });
    const summary = await runner.run();

    expect(summary).toMatchObject({ status: 'completed', processed: 59, updated: 51, failed: 8, errorRows: 8 });
    const errors = await runner.errorRows();
    const byId = Object.fromEntries(errors.map((error) => [Number(JSON.parse(error.rowKey)[0]), error]));
    expect(Object.keys(byId).map(Number).sort()).toEqual(Object.keys(BAD_ROWS).map(Number).sort());
    for (const [id, kind] of Object.entries(BAD_ROWS)) {
      const error = byId[Number(id)];
      expect(error?.reason).toBe('error');
      if (kind === 'invalid JSON') expect(error?.message).toMatch(/JSON/);
      if (kind === 'invalid UTF-8') expect(error?.message).toMatch(/encoded data was not valid for encoding utf-8/);
      if (kind !== 'invalid JSON' && kind !== 'invalid UTF-8') expect(error?.message.startsWith(kind)).toBe(true);
    }
    // The 1 MB message is kept short in the error table.
    expect(byId[57]?.message.length).toBeLessThanOrEqual(4_001);
    const results = await sql<{
      id: number;
      result: string | null;
    }>`SELECT id, result FROM legacy_zoo ORDER BY id`.execute(db);
    for (const row of results.rows) {
      if (BAD_ROWS[row.id]) expect(row.result).toBeNull();
      else expect(row.result).toBe(row.id === 59 ? `59:ok:2024:${MEGABYTE - 1}` : `${row.id}:grün:2024:1`);
    }
  });

  it('refuses a key on a nullable column that is not the primary key, before writing anything', async () => {
    const { db } = testDb;
    await sql`CREATE TABLE keyed_zoo (id INT NOT NULL PRIMARY KEY, code VARCHAR(20) NULL UNIQUE, v INT NULL)`.execute(
      db,
    );
    await sql`INSERT INTO keyed_zoo (id, code) VALUES (1, 'a'), (2, NULL), (3, NULL)`.execute(db);
    const runner = new BackfillRunner({
      db,
      definition: {
        name: 'reliability.null-key',
        table: 'keyed_zoo',
        key: 'code',
        where: 'v IS NULL',
        set: { v: '1' },
      },
    });
    const error = await runner.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackfillKeyError);
    expect((error as Error).message).toMatch(/key \(code\) is not the primary key \(id\)/);
    expect((await runner.status()).status).toBe('not-started');
    const touched = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM keyed_zoo WHERE v IS NOT NULL`.execute(db);
    expect(Number(touched.rows[0]?.n)).toBe(0);
  });
});

describe('an identifier zoo', () => {
  const BAD_NAMES = ['order`s', "order's", 'orders; DROP TABLE legacy_zoo', 'orders"', 'orders -- x', 'a\u0000b'];

  it('rejects quotes, backticks and semicolons in backfill, compat and Migrator configuration before any SQL', async () => {
    const statements: string[] = [];
    const counted = createDatabase(testDb.config, {
      log: (event: LogEvent) => void statements.push(event.query.sql),
    });
    try {
      for (const bad of BAD_NAMES) {
        const attempts: (() => unknown)[] = [
          () =>
            new BackfillRunner({ db: counted, definition: { name: 'zoo', table: bad, where: '1', set: { v: '1' } } }),
          () =>
            new BackfillRunner({
              db: counted,
              definition: { name: 'zoo', table: 't', key: bad, where: '1', set: { v: '1' } },
            }),
          () =>
            new BackfillRunner({
              db: counted,
              definition: { name: 'zoo', table: 't', where: '1', set: { [bad]: '1' } },
            }),
          () =>
            new BackfillRunner({
              db: counted,
              definition: { name: 'zoo', table: 't', where: '1', select: [bad], transform: () => ({}) },
            }),
          () => new BackfillRunner({ db: counted, definition: { name: bad, table: 't', where: '1', set: { v: '1' } } }),
          () => new Migrator({ db: counted, source: MigrationSource.fromClasses([]), migrationTable: bad }),
          () => parseDatabaseConfig({ host: '127.0.0.1', database: bad }),
        ];
        for (const attempt of attempts) expect(attempt).toThrow(InvalidConfigError);
        for (const check of [
          { id: 'zoo', type: 'nullability', table: bad, column: 'c' },
          { id: 'zoo', type: 'dates', table: 't', column: bad },
          { id: 'zoo', type: 'unique', table: 't', columns: [bad] as string[] },
          { id: 'zoo', type: 'orphans', table: 't', columns: ['c'], references: { table: bad, columns: ['id'] } },
        ] as CheckDefinitionInput[]) {
          await expect(runCheck(counted, check)).rejects.toBeInstanceOf(InvalidConfigError);
        }
      }
      // A statement separator in a SQL expression is refused too.
      expect(
        () =>
          new BackfillRunner({
            db: counted,
            definition: { name: 'zoo', table: 't', where: 'v IS NULL; DROP TABLE legacy_zoo', set: { v: '1' } },
          }),
      ).toThrow(/where: SQL expression/);
      expect(statements).toEqual([]);
    } finally {
      await counted.destroy();
    }
  });

  it('rejects them in the CLI configuration with USAGE, and nothing reaches the schema', async () => {
    const project = mkdtempSync(join(tmpdir(), 'safemig-reliability-zoo-'));
    try {
      writeFileSync(
        join(project, 'safemig.config.js'),
        `module.exports = {
  migrations: { directory: '.', migrationTable: 'migration\`; DROP TABLE legacy_zoo; -- ' },
  backfills: { definitions: [{ name: 'zoo', table: "legacy'zoo", where: 'result IS NULL', set: { result: "'x'" } }] },
};
`,
      );
      const tablesBefore = await tableNames();
      for (const args of [['migrate'], ['status'], ['backfill', 'run', 'zoo']]) {
        let stderr = '';
        const code = await runCli(['node', 'safemig', ...args, '--database-url', testDb.url], {
          stdout: { write: () => undefined },
          stderr: { write: (text: string) => (stderr += text) },
          isTTY: false,
          env: {},
          cwd: project,
        });
        expect({ args, code }).toEqual({ args, code: EXIT_CODES.USAGE });
        expect(stderr).toMatch(args[0] === 'backfill' ? /table: may contain only/ : /migrationTable: may contain only/);
      }
      expect(await tableNames()).toEqual(tablesBefore);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

async function tableNames(): Promise<string[]> {
  const result = await sql<{ name: string }>`SELECT TABLE_NAME AS name FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = ${testDb.name} ORDER BY TABLE_NAME`.execute(testDb.db);
  return result.rows.map((row) => row.name);
}
