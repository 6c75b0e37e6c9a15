import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../test/support/test-schema';
import { createOrders, sequence, touchCounts, waitForLockWait } from './__fixtures__/orders';
import { BackfillRunner, retryReasonOf, type BackfillProgressEvent } from './index';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(() => schema.destroy());

describe('retryReasonOf', () => {
  it('classifies deadlocks, lock wait timeouts, statement timeouts, KILL QUERY and lost connections, and nothing else', () => {
    const error = (fields: object) => Object.assign(new Error('x'), fields);
    expect(retryReasonOf(error({ errno: 1213, code: 'ER_LOCK_DEADLOCK' }))).toBe('deadlock');
    expect(retryReasonOf(error({ errno: 1205 }))).toBe('lock-wait-timeout');
    expect(retryReasonOf(error({ errno: 1969 }))).toBe('statement-timeout');
    expect(retryReasonOf(error({ errno: 3024 }))).toBe('statement-timeout');
    expect(retryReasonOf(error({ errno: 1317, code: 'ER_QUERY_INTERRUPTED' }))).toBe('query-interrupted');
    expect(retryReasonOf(error({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))).toBe('connection-lost');
    expect(retryReasonOf(error({ errno: 2013 }))).toBe('connection-lost');
    expect(retryReasonOf(error({ errno: 1062, code: 'ER_DUP_ENTRY' }))).toBeUndefined();
    expect(retryReasonOf(error({ errno: 1064 }))).toBeUndefined();
    expect(retryReasonOf('text')).toBeUndefined();
  });
});

describe('retries against a real server', () => {
  function counting(table: string, batchSize: number, lockWaitTimeoutSeconds: number) {
    const runner = new BackfillRunner({
      db: schema.db,
      definition: {
        name: `retry.${table}`,
        table,
        where: 'done = 0',
        set: { n: 'n + 1', done: '1' },
        batchSize,
        minBatchSize: 10,
        maxBatchSize: batchSize,
      },
      lockWaitTimeoutSeconds,
      retry: { minTimeoutMs: 20, maxTimeoutMs: 200 },
    });
    const events: BackfillProgressEvent[] = [];
    runner.on('progress', (event) => events.push(event));
    return { runner, events };
  }

  it('retries a batch after a lock wait timeout and counts the retry', async () => {
    await createOrders(schema.db, 300, 'lock_order');
    const { runner, events } = counting('lock_order', 100, 1);
    const retried = new Promise<void>((resolve) =>
      runner.on('progress', (event) => event.type === 'retry' && resolve()),
    );
    const app = schema.connect();
    const summary = await app.connection().execute(async (connection) => {
      await sql`START TRANSACTION`.execute(connection);
      await sql`SELECT id FROM lock_order WHERE id = 150 FOR UPDATE`.execute(connection);
      const run = runner.run();
      await retried;
      await sql`COMMIT`.execute(connection);
      return run;
    });
    const retries = events.filter((event) => event.type === 'retry');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]).toMatchObject({ reason: 'lock-wait-timeout', attempt: 1 });
    expect(summary).toMatchObject({ status: 'completed', updated: 300, retries: retries.length });
    expect(summary.total.retries).toBe(retries.length);
    expect(await touchCounts(schema.db, 'lock_order')).toEqual({ '1': 300 });
  });

  it('retries a batch chosen as deadlock victim and counts the retry', async () => {
    await createOrders(schema.db, 200, 'deadlock_order');
    await sql`CREATE TABLE app_ballast (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB`.execute(schema.db);
    const { runner, events } = counting('deadlock_order', 200, 30);
    const app = schema.connect();
    const summary = await app.connection().execute(async (connection) => {
      await sql`START TRANSACTION`.execute(connection);
      // Many written rows make the application's transaction the heavier one, so InnoDB rolls back the backfill's.
      // (Not read from deadlock_order: INSERT ... SELECT would share-lock its rows.)
      await sql`INSERT INTO app_ballast (id) SELECT s.n FROM (${sequence(2_000)}) s`.execute(connection);
      await sql`SELECT id FROM deadlock_order WHERE id = 150 FOR UPDATE`.execute(connection);
      const run = runner.run();
      await waitForLockWait(schema.db, schema.name);
      // The backfill holds rows 1..149 and waits for 150; asking for row 10 now closes the cycle.
      await sql`SELECT id FROM deadlock_order WHERE id = 10 FOR UPDATE`.execute(connection);
      await sql`COMMIT`.execute(connection);
      return run;
    });
    const retries = events.filter((event) => event.type === 'retry');
    expect(retries.map((event) => event.type === 'retry' && event.reason)).toEqual(['deadlock']);
    expect(summary).toMatchObject({ status: 'completed', updated: 200, retries: 1 });
    expect((await runner.status()).total.retries).toBe(1);
    expect(await touchCounts(schema.db, 'deadlock_order')).toEqual({ '1': 200 });
  });
});
