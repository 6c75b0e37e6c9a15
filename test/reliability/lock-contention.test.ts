import { sql, type Kysely } from 'kysely';
import { BackfillRunner, type BackfillProgressEvent, type SetBackfillDefinitionInput } from '@safemig/backfill';
import { createTestDatabase, type TestDatabase } from '@safemig/testkit';
import { sequence } from '../../packages/backfill/src/__fixtures__/orders';
import { sleep, waitFor } from './support/processes';
import { COUNTING_SET, createCountingTable, touchCounts } from './support/tables';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(() => testDb?.destroy());

function counting(table: string, lockWaitTimeoutSeconds: number) {
  const definition: SetBackfillDefinitionInput = {
    name: `reliability.${table}`,
    table,
    where: 'done = 0',
    set: COUNTING_SET,
    batchSize: 200,
    minBatchSize: 200,
    maxBatchSize: 200,
  };
  const runner = new BackfillRunner({
    db: testDb.connect(),
    definition,
    lockWaitTimeoutSeconds,
    retry: { minTimeoutMs: 10, maxTimeoutMs: 100 },
  });
  const retries: Extract<BackfillProgressEvent, { type: 'retry' }>[] = [];
  runner.on('progress', (event) => event.type === 'retry' && retries.push(event));
  return { runner, retries };
}

/**
 * Resolves with the id of a transaction of the test schema that waits for a row lock and is not in `seen`. InnoDB
 * refreshes INNODB_TRX at most every 100 ms, so a stale view can only show transactions already seen.
 */
async function newLockWait(db: Kysely<any>, seen: Set<string>): Promise<string> {
  const trx = await waitFor(async () => {
    const result = await sql<{ id: string }>`SELECT t.trx_id AS id FROM information_schema.INNODB_TRX t
      JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
      WHERE t.trx_state = 'LOCK WAIT' AND p.DB = ${testDb.name}`.execute(db);
    const fresh = result.rows.map((row) => String(row.id)).find((id) => !seen.has(id));
    if (fresh === undefined) await sleep(200);
    return fresh;
  }, 'the backfill to wait for a row lock');
  seen.add(trx);
  return trx;
}

/** An application transaction on a connection of its own, statement by statement. */
async function applicationTransaction(db: Kysely<any>) {
  const connection = await new Promise<{ run: (statement: ReturnType<typeof sql>) => Promise<void>; end: () => void }>(
    (resolve) => {
      void db
        .connection()
        .execute(
          (pinned) =>
            new Promise<void>((end) =>
              resolve({ run: async (statement) => void (await statement.execute(pinned)), end: () => end() }),
            ),
        );
    },
  );
  await connection.run(sql`START TRANSACTION`);
  return connection;
}

describe('lock contention between the backfill and the application', () => {
  it('gives way in three deadlocks with a concurrent writer: each retried and counted, every application write kept', async () => {
    const table = 'deadlock_target';
    await createCountingTable(testDb.db, table, 1_000);
    const { runner, retries } = counting(table, 30);
    const seen = new Set<string>();
    // Three application transactions, each holding a row in a different batch and heavy with ballast rows, so
    // InnoDB picks the backfill's batch as the victim when the cycle closes.
    const apps = [];
    for (const [index, held] of [150, 350, 550].entries()) {
      await sql`CREATE TABLE ${sql.id(`ballast_${index}`)} (id INT PRIMARY KEY) ENGINE=InnoDB`.execute(testDb.db);
      const app = await applicationTransaction(testDb.connect());
      await app.run(sql`INSERT INTO ${sql.id(`ballast_${index}`)} (id) SELECT s.n FROM (${sequence(2_000)}) s`);
      await app.run(sql`UPDATE ${sql.id(table)} SET app = app + 1 WHERE id = ${held}`);
      apps.push({ app, held });
    }
    const running = runner.run();
    for (const { app, held } of apps) {
      await newLockWait(testDb.db, seen);
      // The backfill holds the rows of this batch below `held` and waits for `held`: asking for one closes the cycle.
      await app.run(sql`UPDATE ${sql.id(table)} SET app = app + 1 WHERE id = ${held - 140}`);
      await app.run(sql`COMMIT`);
      app.end();
    }
    const summary = await running;

    expect(retries.map((retry) => retry.reason)).toEqual(['deadlock', 'deadlock', 'deadlock']);
    expect(summary).toMatchObject({ status: 'completed', updated: 1_000, retries: 3 });
    expect((await runner.status()).total).toMatchObject({ updated: 1_000, processed: 1_000, retries: 3 });
    expect(await touchCounts(testDb.db, table)).toEqual({ '1': 1_000 });
    const written = await sql<{ id: number; app: number }>`SELECT id, app FROM ${sql.id(table)} WHERE app <> 0
      ORDER BY id`.execute(testDb.db);
    expect(written.rows.map((row) => [Number(row.id), Number(row.app)])).toEqual([
      [10, 1],
      [150, 1],
      [210, 1],
      [350, 1],
      [410, 1],
      [550, 1],
    ]);
    for (const index of [0, 1, 2]) {
      const ballast = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.id(`ballast_${index}`)}`.execute(
        testDb.db,
      );
      expect(Number(ballast.rows[0]?.n)).toBe(2_000);
    }
  });

  it('waits and retries while the application holds a row lock longer than the lock wait timeout', async () => {
    const table = 'held_target';
    await createCountingTable(testDb.db, table, 1_000);
    const { runner, retries } = counting(table, 1);
    const app = await applicationTransaction(testDb.connect());
    await app.run(sql`SELECT id FROM ${sql.id(table)} WHERE id = 450 FOR UPDATE`);
    const running = runner.run();
    // Held through two lock wait timeouts of the backfill (1 s each), then the application writes and commits.
    await waitFor(async () => (retries.length >= 2 ? true : undefined), 'two lock wait timeouts');
    await app.run(sql`UPDATE ${sql.id(table)} SET app = 42 WHERE id = 450`);
    await app.run(sql`COMMIT`);
    app.end();
    const summary = await running;

    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(new Set(retries.map((retry) => retry.reason))).toEqual(new Set(['lock-wait-timeout']));
    expect(summary).toMatchObject({ status: 'completed', updated: 1_000, retries: retries.length });
    expect((await runner.status()).total).toMatchObject({ updated: 1_000, retries: retries.length });
    expect(await touchCounts(testDb.db, table)).toEqual({ '1': 1_000 });
    const row = await sql<{ app: number; n: number }>`SELECT app, n FROM ${sql.id(table)} WHERE id = 450`.execute(
      testDb.db,
    );
    expect(row.rows[0]).toEqual({ app: 42, n: 1 });
  });
});
