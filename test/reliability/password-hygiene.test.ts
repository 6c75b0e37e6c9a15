import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { sql } from 'kysely';
import { BackfillRunner } from '@safemig/backfill';
import { runCli } from '@safemig/cli';
import {
  ConnectionError,
  connectDatabase,
  createDatabase,
  MigrationSource,
  MigrationStep,
  Migrator,
  parseDatabaseConfig,
  type Logger,
} from '@safemig/core';
import { createTestDatabase, type TestDatabase } from '@safemig/testkit';

// Characters that need URL encoding, so both the raw and the encoded form are searched for.
const PASSWORD = `Pw-${randomBytes(9).toString('hex')}!#%`;
const USER = `safemig_pw_${randomBytes(4).toString('hex')}`;

let testDb: TestDatabase;
const project = join(__dirname, 'fixtures', 'password-project');
let url: string;
const captured: string[] = [];

/** Every line a logger was given, serialized the way a JSON log shipper would. */
const logger: Logger = {
  debug: (object, message) => captured.push(JSON.stringify({ object, message })),
  info: (object, message) => captured.push(JSON.stringify({ object, message })),
  warn: (object, message) => captured.push(JSON.stringify({ object, message })),
  error: (object, message) => captured.push(JSON.stringify({ object, message })),
};

function capture(error: unknown): void {
  captured.push(inspect(error, { depth: 10 }));
  if (error instanceof Error) captured.push(error.message, String(error.stack), JSON.stringify(error));
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  await sql`CREATE USER ${sql.lit(USER)}@'%' IDENTIFIED BY ${sql.lit(PASSWORD)}`.execute(testDb.db);
  await sql`GRANT ALL ON ${sql.id(testDb.name)}.* TO ${sql.lit(USER)}@'%'`.execute(testDb.db);
  await sql`CREATE TABLE pw_table (id INT PRIMARY KEY, v INT NULL)`.execute(testDb.db);
  await sql`INSERT INTO pw_table (id) VALUES (1), (2), (3)`.execute(testDb.db);
  url = parseDatabaseConfig({
    host: testDb.config.host,
    port: testDb.config.port,
    user: USER,
    password: PASSWORD,
    database: testDb.name,
  }).toUrl();
  expect(url).toContain(encodeURIComponent(PASSWORD));
});
afterAll(async () => {
  await sql`DROP USER IF EXISTS ${sql.lit(USER)}@'%'`.execute(testDb.db);
  await testDb.destroy();
});

async function cli(...args: string[]): Promise<number> {
  const code = await runCli(['node', 'safemig', ...args, '--log-level', 'debug'], {
    stdout: { write: (text: string) => void captured.push(text) },
    stderr: { write: (text: string) => void captured.push(text) },
    isTTY: false,
    env: {},
    cwd: project,
  });
  captured.push(`exit ${code}`);
  return code;
}

class Migration1700000002Broken extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000002;
  }
  async update(db: Parameters<MigrationStep['update']>[0]): Promise<void> {
    await sql`ALTER TABLE no_such_table ADD COLUMN x INT`.execute(db);
  }
}

describe('passwords in logs and errors', () => {
  it('never show up in CLI output, logger output, error messages or stacks, also when things fail', async () => {
    const wrongDatabase = url.replace(`/${testDb.name}`, '/safemig_no_such_schema');
    const unreachable = url.replace(`:${testDb.config.port}/`, ':1/');
    // The CLI: a command that works, then failures of every kind.
    expect(await cli('status', '--database-url', url)).toBe(0);
    expect(await cli('backfill', 'run', 'pw.ok', '--database-url', url)).toBe(0);
    expect(await cli('backfill', 'status', 'pw.ok', '--json', '--database-url', url)).toBe(0);
    expect(await cli('migrate', '--database-url', url)).not.toBe(0);
    expect(await cli('backfill', 'run', 'pw.broken', '--database-url', url)).not.toBe(0);
    expect(await cli('migrate', '--database-url', wrongDatabase)).not.toBe(0);
    expect(await cli('backfill', 'run', 'pw.ok', '--database-url', unreachable)).not.toBe(0);

    // The library, with a logger: a failing migration, a failing backfill, a replica that is no replica.
    const db = createDatabase(url);
    try {
      capture(
        await new Migrator({ db, source: MigrationSource.fromClasses([Migration1700000002Broken]), logger })
          .migrate()
          .catch((error: unknown) => error),
      );
      capture(
        await new BackfillRunner({
          db,
          logger,
          definition: { name: 'pw.lib', table: 'pw_table', where: '1 = 1', set: { v: 'no_such_column' } },
        })
          .run()
          .catch((error: unknown) => error),
      );
      // A replica that cannot be reached: the throttle reports it (by its redacted URL) until the run is stopped.
      await sql`UPDATE pw_table SET v = NULL`.execute(db);
      const stop = new AbortController();
      const throttled = new BackfillRunner({
        db,
        logger,
        definition: { name: 'pw.replica', table: 'pw_table', where: 'v IS NULL', set: { v: '2' }, batchSize: 1 },
        throttle: { replicas: [unreachable], checkIntervalMs: 1, waitMs: 10 },
      });
      throttled.on('progress', (event) => {
        if (event.type === 'throttle') {
          captured.push(JSON.stringify(event));
          stop.abort();
        }
      });
      captured.push(JSON.stringify(await throttled.run({ signal: stop.signal })));
    } finally {
      await db.destroy();
    }
    for (const target of [wrongDatabase, unreachable, url.replace(encodeURIComponent(PASSWORD), 'wrong')]) {
      const error = await connectDatabase(target).then(
        async (connected) => {
          await connected.destroy();
          return new Error(`connecting to ${target} should have failed`);
        },
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(ConnectionError);
      capture(error);
    }
    captured.push(String(parseDatabaseConfig(url)), inspect(parseDatabaseConfig(url)));

    const output = captured.join('\n');
    // The capture holds real failures and the user's name, so the search below searched the right text.
    expect(output).toMatch(/no_such_table/);
    expect(output).toMatch(/no_such_column/);
    expect(output).toMatch(/lag is unknown: unreachable/);
    expect(output).toMatch(/ECONNREFUSED|cannot reach/);
    expect(output).toContain(USER);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(encodeURIComponent(PASSWORD));
    expect(output).not.toContain(PASSWORD.slice(0, 12));
  });
});
