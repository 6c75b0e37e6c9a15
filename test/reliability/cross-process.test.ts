import { sql } from 'kysely';
import { BackfillRunner, type SetBackfillDefinitionInput } from '@safemig/backfill';
import { MigrationSource, Migrator } from '@safemig/core';
import { assertIdempotent, createTestDatabase, type TestDatabase } from '@safemig/testkit';
import { buildPackages, startScript } from './support/processes';
import { COUNTING_SET, createCountingTable, touchCounts } from './support/tables';
// The same step classes the child processes run (plain JS, shared with them).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Migration1700000100TwoDdl } = require('./fixtures/migration-steps') as {
  Migration1700000100TwoDdl: new () => import('@safemig/core').MigrationStep;
};

let testDb: TestDatabase;
beforeAll(async () => {
  await buildPackages();
  testDb = await createTestDatabase();
}, 180_000);
afterAll(() => testDb?.destroy());

describe('runners in separate processes started together', () => {
  it('two backfill worker processes share the ranges: every range claimed once, every row processed once', async () => {
    await createCountingTable(testDb.db, 'shared_target', 8_000);
    const definition: SetBackfillDefinitionInput = {
      name: 'reliability.shared',
      table: 'shared_target',
      where: 'done = 0',
      set: COUNTING_SET,
      parts: 8,
      batchSize: 100,
      minBatchSize: 100,
      maxBatchSize: 100,
    };
    const env = { WORKER_DB_URL: testDb.url, WORKER_DEFINITION: JSON.stringify(definition) };
    const workers = [
      startScript('backfill-worker.js', { ...env, WORKER_NAME: 'process-a' }),
      startScript('backfill-worker.js', { ...env, WORKER_NAME: 'process-b' }),
    ];
    const summaries = await Promise.all(
      workers.map(async (worker) => JSON.parse((await worker.line(/^done /)).slice(5)) as { updated: number }),
    );
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);

    const claimed = workers.flatMap((worker) => worker.lines.filter((line) => line.startsWith('claim ')));
    expect(claimed.map((line) => Number(line.slice(6))).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Batches of a range come from the process that claimed it, and no key range is written twice.
    const batchKeys = workers.flatMap((worker) => worker.lines.filter((line) => line.startsWith('batch ')));
    expect(new Set(batchKeys).size).toBe(batchKeys.length);
    expect(summaries.reduce((sum, summary) => sum + summary.updated, 0)).toBe(8_000);
    expect(await touchCounts(testDb.db, 'shared_target')).toEqual({ '1': 8_000 });
    const status = await new BackfillRunner({ db: testDb.db, definition }).status();
    expect(status.status).toBe('completed');
    expect(status.total).toMatchObject({ processed: 8_000, updated: 8_000 });
    expect(new Set(status.parts.map((part) => part.worker))).toEqual(new Set(['process-a', 'process-b']));
  });

  it('two Migrator processes never interleave and run every step once', async () => {
    await sql`CREATE TABLE step_log (step VARCHAR(20) NOT NULL, pid INT NOT NULL, started_at DATETIME(6) NOT NULL,
      ended_at DATETIME(6) NULL, PRIMARY KEY (step, pid))`.execute(testDb.db);
    const env = { WORKER_DB_URL: testDb.url, WORKER_STEPS: 'slow' };
    const runners = [startScript('migrator-worker.js', env), startScript('migrator-worker.js', env)];
    const done = await Promise.all(runners.map((runner) => runner.line(/^done /)));
    expect(await Promise.all(runners.map((runner) => runner.exited))).toEqual([0, 0]);
    expect(done.sort()).toEqual(['done 0', 'done 2']);

    const log = await sql<{ step: string; pid: number; started: string; ended: string }>`SELECT step, pid,
      DATE_FORMAT(started_at, '%Y%m%d%H%i%s%f') AS started, DATE_FORMAT(ended_at, '%Y%m%d%H%i%s%f') AS ended
      FROM step_log ORDER BY started_at`.execute(testDb.db);
    expect(log.rows.map((row) => row.step)).toEqual(['SlowA', 'SlowB']);
    expect(new Set(log.rows.map((row) => row.pid)).size).toBe(1);
    const [first, second] = log.rows;
    expect(first?.ended && second && first.ended <= second.started).toBe(true);
  });

  it('a migration killed between two DDL statements completes on the rerun and still passes the harness', async () => {
    await sql`CREATE TABLE ddl_target (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB`.execute(testDb.db);
    const child = startScript('migrator-worker.js', {
      WORKER_DB_URL: testDb.url,
      WORKER_STEPS: 'ddl',
      PAUSE_BETWEEN_DDL: '1',
    });
    await child.line(/^between$/);
    child.child.kill('SIGKILL');
    expect(await child.exited).toBe('SIGKILL');
    const columns = await sql<{ name: string }>`SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ${testDb.name} AND TABLE_NAME = 'ddl_target' ORDER BY ORDINAL_POSITION`.execute(testDb.db);
    expect(columns.rows.map((row) => row.name)).toEqual(['id', 'first_col']);

    const migrator = new Migrator({ db: testDb.db, source: MigrationSource.fromClasses([Migration1700000100TwoDdl]) });
    const result = await migrator.migrate();
    expect(result.executed.map((step) => step.className)).toEqual(['Migration1700000100TwoDdl']);
    expect((await migrator.status())[0]?.state).toBe('updated');
    const index = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ${testDb.name} AND TABLE_NAME = 'ddl_target' AND INDEX_NAME = 'idx_first_col'`.execute(
      testDb.db,
    );
    expect(Number(index.rows[0]?.n)).toBe(1);
    await expect(assertIdempotent(Migration1700000100TwoDdl, { db: testDb.db })).resolves.toMatchObject({ runs: 2 });
  });
});
