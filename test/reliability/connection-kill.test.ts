import { sql, type Kysely } from 'kysely';
import { BackfillRunner, type BackfillProgressEvent, type SetBackfillDefinitionInput } from '@safemig/backfill';
import { createTestDatabase, type TestDatabase } from '@safemig/testkit';
import { waitFor } from './support/processes';
import { applyReference, COUNTING_SET, createCountingTable, tableChecksum, touchCounts } from './support/tables';

const ROWS = 2_000;

let testDb: TestDatabase;
let admin: Kysely<any>;
beforeAll(async () => {
  testDb = await createTestDatabase();
  admin = testDb.connect();
});
afterAll(() => testDb?.destroy());

function definition(table: string): SetBackfillDefinitionInput {
  return {
    name: `reliability.${table}`,
    table,
    where: 'done = 0',
    // Rows 700 and 1300 sleep inside the UPDATE: two batches run long enough to be killed from outside.
    set: { ...COUNTING_SET, v: `${COUNTING_SET.v} + SLEEP(IF(id IN (700, 1300), 2, 0))` },
    batchSize: 200,
    minBatchSize: 200,
    maxBatchSize: 200,
  };
}

/** The session id of the backfill while it runs an UPDATE of the table (seen from a second connection). */
async function backfillSession(table: string): Promise<number> {
  return waitFor(async () => {
    const result = await sql<{ id: number }>`SELECT ID AS id FROM information_schema.PROCESSLIST
      WHERE DB = ${testDb.name} AND INFO LIKE ${`UPDATE \`${table}\` SET%SLEEP%`} AND TIME_MS > 100`.execute(admin);
    return result.rows[0] ? Number(result.rows[0].id) : undefined;
  }, `a running batch of ${table}`);
}

async function killDuringBatches(table: string, statement: 'KILL CONNECTION' | 'KILL QUERY') {
  await createCountingTable(testDb.db, table, ROWS);
  await sql`CREATE TABLE ${sql.id(`${table}_ref`)} LIKE ${sql.id(table)}`.execute(testDb.db);
  await sql`INSERT INTO ${sql.id(`${table}_ref`)} SELECT * FROM ${sql.id(table)}`.execute(testDb.db);
  await applyReference(testDb.db, `${table}_ref`);
  const runner = new BackfillRunner({
    db: testDb.connect(),
    definition: definition(table),
    retry: { minTimeoutMs: 10 },
  });
  const retries: Extract<BackfillProgressEvent, { type: 'retry' }>[] = [];
  runner.on('progress', (event) => event.type === 'retry' && retries.push(event));
  let failure: unknown;
  const running = runner.run();
  running.catch((error: unknown) => (failure = error));
  const killed: number[] = [];
  for (let kill = 0; kill < 2; kill += 1) {
    const session = await backfillSession(table);
    await sql`${sql.raw(statement)} ${sql.lit(session)}`.execute(admin);
    killed.push(session);
    // The next kill waits for the retried batch to be running again (a new statement, maybe a new session).
    await waitFor(
      async () => {
        if (failure !== undefined) throw failure;
        return retries.length > kill ? true : undefined;
      },
      `retry ${kill + 1}`,
    );
  }
  const summary = await running;
  return { runner, summary, retries, killed };
}

describe('the backfill connection killed from outside', () => {
  it('KILL CONNECTION mid-batch: retried on a new connection, counted, completed with exact data', async () => {
    const { runner, summary, retries } = await killDuringBatches('conn_killed', 'KILL CONNECTION');
    expect(summary.status).toBe('completed');
    expect(retries.map((retry) => retry.reason)).toEqual(['connection-lost', 'connection-lost']);
    expect(summary.retries).toBe(2);
    const status = await runner.status();
    expect(status.total).toMatchObject({ processed: ROWS, updated: ROWS, retries: 2 });
    expect(await touchCounts(testDb.db, 'conn_killed')).toEqual({ '1': ROWS });
    expect(await tableChecksum(testDb.db, 'conn_killed')).toEqual(await tableChecksum(testDb.db, 'conn_killed_ref'));
  });

  it('KILL QUERY mid-batch: the interrupted batch is retried, counted, completed with exact data', async () => {
    const { runner, summary, retries } = await killDuringBatches('query_killed', 'KILL QUERY');
    expect(summary.status).toBe('completed');
    expect(retries.map((retry) => retry.reason)).toEqual(['query-interrupted', 'query-interrupted']);
    expect(summary.retries).toBe(2);
    const status = await runner.status();
    expect(status.total).toMatchObject({ processed: ROWS, updated: ROWS, retries: 2 });
    expect(await touchCounts(testDb.db, 'query_killed')).toEqual({ '1': ROWS });
    expect(await tableChecksum(testDb.db, 'query_killed')).toEqual(await tableChecksum(testDb.db, 'query_killed_ref'));
  });
});
