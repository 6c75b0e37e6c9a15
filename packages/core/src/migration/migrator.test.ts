import { spawn } from 'node:child_process';
import { sql, type Kysely } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { MigrationFailedError, MigrationLockedError } from '../errors';
import { MigrationSource } from './migration-source';
import { MigrationStep } from './migration-step';
import { lockNameFor } from './named-lock';
import { Migrator, type MigrationProgressEvent } from './migrator';

let schema: TestSchema;
beforeEach(async () => {
  schema = await createTestSchema();
  await sql`CREATE TABLE run_log (seq INT AUTO_INCREMENT PRIMARY KEY, step VARCHAR(64) NOT NULL, event VARCHAR(16) NOT NULL, conn BIGINT NOT NULL)`.execute(
    schema.db,
  );
});
afterEach(() => schema.destroy());

async function log(db: Kysely<any>, step: string, event: string): Promise<void> {
  await sql`INSERT INTO run_log (step, event, conn) VALUES (${step}, ${event}, CONNECTION_ID())`.execute(db);
}

async function logged(): Promise<string[]> {
  const result = await sql<{ step: string; event: string }>`SELECT step, event FROM run_log ORDER BY seq`.execute(
    schema.db,
  );
  return result.rows.map((row) => `${row.step}:${row.event}`);
}

class Migration1700000001One extends MigrationStep {
  getCreationTimestamp() {
    return 1700000001;
  }
  async update(db: Kysely<any>) {
    await log(db, 'one', 'update');
  }
  override async updateDestructive(db: Kysely<any>) {
    await log(db, 'one', 'destructive');
  }
}

class Migration1700000002Two extends MigrationStep {
  getCreationTimestamp() {
    return 1700000002;
  }
  async update(db: Kysely<any>) {
    await log(db, 'two', 'update');
  }
  override async updateDestructive(db: Kysely<any>) {
    await log(db, 'two', 'destructive');
  }
}

class Migration1700000003Three extends MigrationStep {
  getCreationTimestamp() {
    return 1700000003;
  }
  async update(db: Kysely<any>) {
    await log(db, 'three', 'update');
  }
}

const source = MigrationSource.fromClasses([Migration1700000003Three, Migration1700000001One, Migration1700000002Two]);

async function bookkeeping(): Promise<
  Record<string, { update: string | null; destructive: string | null; message: string | null }>
> {
  const result = await sql<{
    class: string;
    update: Date | null;
    update_destructive: Date | null;
    message: string | null;
  }>`
    SELECT \`class\`, \`update\`, \`update_destructive\`, \`message\` FROM \`migration\``.execute(schema.db);
  return Object.fromEntries(
    result.rows.map((row) => [
      row.class,
      {
        update: row.update?.toISOString() ?? null,
        destructive: row.update_destructive?.toISOString() ?? null,
        message: row.message,
      },
    ]),
  );
}

describe('Migrator.migrate', () => {
  it("creates the bookkeeping table with exactly Shopware's columns", async () => {
    await new Migrator({ db: schema.db, source }).sync();
    const columns = await sql<{ name: string; type: string; nullable: string; key: string }>`
      SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_KEY AS \`key\`
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'migration' ORDER BY ORDINAL_POSITION`.execute(
      schema.db,
    );
    expect(columns.rows.map((c) => [c.name, c.type.replace(/int\(\d+\)/, 'int'), c.nullable, c.key])).toEqual([
      ['class', 'varchar(255)', 'NO', 'PRI'],
      ['creation_timestamp', 'int', 'NO', ''],
      ['update', 'timestamp(6)', 'YES', ''],
      ['update_destructive', 'timestamp(6)', 'YES', ''],
      ['message', 'text', 'YES', ''],
    ]);
  });

  it('with limit 1 runs exactly one step, the oldest', async () => {
    const result = await new Migrator({ db: schema.db, source }).migrate({ limit: 1 });
    expect(result.executed.map((step) => step.className)).toEqual(['Migration1700000001One']);
    expect(result.remaining).toBe(2);
    expect(await logged()).toEqual(['one:update']);
  });

  it('skips executed steps and leaves their timestamps unchanged', async () => {
    const migrator = new Migrator({ db: schema.db, source });
    await migrator.migrate({ limit: 2 });
    const before = await bookkeeping();
    const second = await migrator.migrate();
    expect(second.executed.map((step) => step.className)).toEqual(['Migration1700000003Three']);
    const after = await bookkeeping();
    expect(after.Migration1700000001One).toEqual(before.Migration1700000001One);
    expect(after.Migration1700000002Two).toEqual(before.Migration1700000002Two);
    expect((await migrator.migrate()).executed).toEqual([]);
    expect(await logged()).toEqual(['one:update', 'two:update', 'three:update']);
  });

  it('caps at until, inclusive', async () => {
    const migrator = new Migrator({ db: schema.db, source });
    const result = await migrator.migrate({ until: 1700000002 });
    expect(result.executed.map((step) => step.className)).toEqual(['Migration1700000001One', 'Migration1700000002Two']);
    expect(result.remaining).toBe(1);
    expect((await migrator.status()).map((s) => s.state)).toEqual(['updated', 'updated', 'pending']);
  });

  it('rejects a negative limit or a fractional until with a message naming the option', async () => {
    const migrator = new Migrator({ db: schema.db, source });
    await expect(migrator.migrate({ limit: -1 })).rejects.toThrow(/Invalid migrate options:\n {2}- limit:/);
    await expect(migrator.migrate({ until: 1.5 })).rejects.toThrow(/until/);
    expect(await logged()).toEqual([]);
  });
});

describe('Migrator.migrateDestructive', () => {
  it('never runs a destructive step before its update ran', async () => {
    const migrator = new Migrator({ db: schema.db, source });
    expect((await migrator.migrateDestructive()).executed).toEqual([]);
    await migrator.migrate({ limit: 1 });
    const result = await migrator.migrateDestructive();
    expect(result.executed.map((step) => step.className)).toEqual(['Migration1700000001One']);
    expect(await logged()).toEqual(['one:update', 'one:destructive']);
    await migrator.migrate();
    await migrator.migrateDestructive({ until: 1700000002 });
    expect((await migrator.status()).map((s) => [s.name, s.state])).toEqual([
      ['Migration1700000001One', 'complete'],
      ['Migration1700000002Two', 'complete'],
      ['Migration1700000003Three', 'updated'],
    ]);
    expect((await migrator.migrateDestructive()).executed.map((s) => s.className)).toEqual([
      'Migration1700000003Three',
    ]);
    expect((await migrator.migrateDestructive()).executed).toEqual([]);
  });
});

describe('a step failing half-way', () => {
  class Migration1700000010Flaky extends MigrationStep {
    getCreationTimestamp() {
      return 1700000010;
    }
    async update(db: Kysely<any>) {
      await sql`CREATE TABLE IF NOT EXISTS flaky (id INT PRIMARY KEY)`.execute(db);
      await this.addColumn(db, 'flaky', 'first_half', 'INT');
      // Fails until the operator creates the table the second half needs.
      await sql`INSERT INTO flaky_prerequisite (id) SELECT 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM flaky_prerequisite)`.execute(
        db,
      );
      await this.addColumn(db, 'flaky', 'second_half', 'INT');
    }
  }
  class Migration1700000011After extends MigrationStep {
    getCreationTimestamp() {
      return 1700000011;
    }
    async update(db: Kysely<any>) {
      await log(db, 'after', 'update');
    }
  }
  const flakySource = MigrationSource.fromClasses([Migration1700000010Flaky, Migration1700000011After]);

  it('stores its message, keeps update NULL, stops the run and completes once the cause is fixed', async () => {
    const migrator = new Migrator({ db: schema.db, source: flakySource });
    const failure = await migrator.migrate().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationFailedError);
    expect((failure as MigrationFailedError).migration).toBe('Migration1700000010Flaky');
    expect((failure as MigrationFailedError).sql).toMatch(/INSERT INTO flaky_prerequisite/);
    expect((failure as Error).message).toMatch(
      /Migration Migration1700000010Flaky failed in update\(\): Table '.*flaky_prerequisite' doesn't exist/,
    );
    let rows = await bookkeeping();
    expect(rows.Migration1700000010Flaky).toMatchObject({
      update: null,
      message: expect.stringMatching(/flaky_prerequisite/),
    });
    expect(rows.Migration1700000011After?.update).toBeNull();
    expect(await logged()).toEqual([]);
    expect((await migrator.status())[0]).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/flaky_prerequisite/),
    });

    await sql`CREATE TABLE flaky_prerequisite (id INT PRIMARY KEY)`.execute(schema.db);
    const retry = await migrator.migrate();
    expect(retry.executed.map((step) => step.className)).toEqual([
      'Migration1700000010Flaky',
      'Migration1700000011After',
    ]);
    rows = await bookkeeping();
    expect(rows.Migration1700000010Flaky).toMatchObject({ update: expect.any(String), message: null });
    const columns = await sql<{ name: string }>`SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'flaky' ORDER BY ORDINAL_POSITION`.execute(schema.db);
    expect(columns.rows.map((c) => c.name)).toEqual(['id', 'first_half', 'second_half']);
  });
});

describe('the migration lock', () => {
  class Migration1700000020Slow extends MigrationStep {
    getCreationTimestamp() {
      return 1700000020;
    }
    async update(db: Kysely<any>) {
      await log(db, 'slow', 'start');
      await sql`SELECT SLEEP(0.6)`.execute(db);
      await log(db, 'slow', 'end');
    }
  }
  class Migration1700000021Other extends MigrationStep {
    getCreationTimestamp() {
      return 1700000021;
    }
    async update(db: Kysely<any>) {
      await log(db, 'other', 'start');
      await sql`SELECT SLEEP(0.3)`.execute(db);
      await log(db, 'other', 'end');
    }
  }

  it('keeps two runners started together from interleaving', async () => {
    // Two plugins with their own sources share the schema's bookkeeping table and therefore its lock.
    const first = new Migrator({
      db: schema.connect(),
      source: MigrationSource.fromClasses([Migration1700000020Slow]),
    });
    const second = new Migrator({
      db: schema.connect(),
      source: MigrationSource.fromClasses([Migration1700000021Other]),
    });
    await Promise.all([first.migrate(), second.migrate()]);
    const events = await logged();
    expect(events).toHaveLength(4);
    expect([events.slice(0, 2), events.slice(2)].sort()).toEqual([
      ['other:start', 'other:end'],
      ['slow:start', 'slow:end'],
    ]);
  });

  it('gives up with a clear error naming the holder when another runner keeps the lock', async () => {
    const first = new Migrator({
      db: schema.connect(),
      source: MigrationSource.fromClasses([Migration1700000020Slow]),
    });
    const impatient = new Migrator({
      db: schema.connect(),
      source: MigrationSource.fromClasses([Migration1700000021Other]),
      lockTimeoutSeconds: 0,
    });
    const running = first.migrate();
    await waitFor(async () => (await logged()).includes('slow:start'));
    const error = await impatient.migrate().catch((e: unknown) => e);
    await running;
    expect(error).toBeInstanceOf(MigrationLockedError);
    expect((error as MigrationLockedError).holderConnectionId).toEqual(expect.any(Number));
    expect((error as Error).message).toMatch(
      /Another migration runner holds the lock "safemig:migrate:migration:safemig_test_\w+" \(server connection \d+\)/,
    );
    expect(await logged()).toEqual(['slow:start', 'slow:end']);
  });

  it('is released by the server when the process holding it is killed with SIGKILL', async () => {
    const lockName = lockNameFor('migrate:migration', schema.name);
    const { config } = schema;
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const mysql = require('mysql2');
         const c = mysql.createConnection({ host: ${JSON.stringify(config.host)}, port: ${config.port}, user: ${JSON.stringify(config.user)}, password: ${JSON.stringify(config.password ?? '')}, database: ${JSON.stringify(schema.name)} });
         c.query('SELECT GET_LOCK(?, 0) AS got', [${JSON.stringify(lockName)}], (err, rows) => { if (err) throw err; console.log('locked ' + rows[0].got); });
         setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk: Buffer) =>
        String(chunk).includes('locked 1') ? resolve() : reject(new Error(String(chunk))),
      );
      holder.on('exit', (code) => reject(new Error(`lock holder exited early with ${code}`)));
    });
    const blocked = new Migrator({ db: schema.db, source, lockTimeoutSeconds: 0 });
    await expect(blocked.migrate()).rejects.toBeInstanceOf(MigrationLockedError);

    holder.kill('SIGKILL');
    const patient = new Migrator({ db: schema.db, source, lockTimeoutSeconds: 10 });
    const result = await patient.migrate();
    expect(result.executed).toHaveLength(3);
  });
});

describe('observability', () => {
  it('emits progress events and logs each step to an injected logger', async () => {
    const lines: string[] = [];
    const logger = {
      debug: () => undefined,
      info: (_: object, message?: string) => lines.push(`info ${message}`),
      warn: (_: object, message?: string) => lines.push(`warn ${message}`),
      error: (_: object, message?: string) => lines.push(`error ${message}`),
    };
    const migrator = new Migrator({ db: schema.db, source, logger });
    const events: MigrationProgressEvent[] = [];
    migrator.on('progress', (event) => events.push(event));
    await migrator.migrate({ limit: 2 });
    expect(events.map((e) => e.type)).toEqual([
      'run:start',
      'step:start',
      'step:done',
      'step:start',
      'step:done',
      'run:done',
    ]);
    expect(events[0]).toEqual({ type: 'run:start', mode: 'update', total: 2 });
    expect(lines).toContain('info safemig: running Migration1700000002Two.update()');
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
