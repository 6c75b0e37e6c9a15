import { sql } from 'kysely';
import { createDatabase } from '@safemig/core';
import { Registry } from 'prom-client';
import { createTestSchema, type TestSchema } from '../../../test/support/test-schema';
import { createOrders, mapStatus, touchCounts, waitForLockWait } from './__fixtures__/orders';
import {
  BackfillDefinitionChangedError,
  BackfillNotStartedError,
  BackfillRunner,
  defineBackfill,
  skipRow,
  type BackfillPatch,
  type BackfillProgressEvent,
  type BackfillRunnerProps,
} from './index';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(() => schema.destroy());

function runner(definition: BackfillRunnerProps['definition'], props: Partial<BackfillRunnerProps> = {}) {
  return new BackfillRunner({ db: schema.db, definition, ...props });
}

function collect(backfill: BackfillRunner): BackfillProgressEvent[] {
  const events: BackfillProgressEvent[] = [];
  backfill.on('progress', (event) => events.push(event));
  return events;
}

async function statusCounts(table: string): Promise<Record<string, number>> {
  const result = await sql<{
    status: string | null;
    rows: number;
  }>`SELECT status, COUNT(*) AS \`rows\` FROM ${sql.id(table)}
    GROUP BY status ORDER BY status`.execute(schema.db);
  return Object.fromEntries(result.rows.map((row) => [String(row.status), Number(row.rows)]));
}

describe('set-based backfill', () => {
  const definition = defineBackfill({
    name: 'set.counts',
    table: 'set_order',
    where: 'done = 0',
    set: { n: 'n + 1', done: '1' },
    batchSize: 100,
    minBatchSize: 100,
    maxBatchSize: 100,
  });

  it('updates every matching row exactly once in keyset batches and records the checkpoint', async () => {
    await createOrders(schema.db, 1_050, 'set_order');
    await sql`UPDATE set_order SET done = 1 WHERE id % 10 = 0`.execute(schema.db);
    const backfill = runner(definition);
    const events = collect(backfill);
    const summary = await backfill.run();

    expect(summary).toMatchObject({
      status: 'completed',
      stopReason: 'completed',
      processed: 945,
      updated: 945,
      batches: 11,
      failed: 0,
    });
    expect(await touchCounts(schema.db, 'set_order')).toEqual({ '0': 105, '1': 945 });
    const batches = events.filter((event) => event.type === 'batch');
    expect(batches).toHaveLength(11);
    expect(batches.map((event) => event.type === 'batch' && event.batch.lastKey).slice(0, 3)).toEqual([
      '["100"]',
      '["200"]',
      '["300"]',
    ]);
    const status = await backfill.status();
    expect(status).toMatchObject({
      status: 'completed',
      total: { processed: 945, updated: 945, batches: 11 },
      errorRows: 0,
      changedFields: [],
    });
    expect(status.parts[0]).toMatchObject({ lastKey: '["1050"]', status: 'completed', active: false });
    expect(status.parts[0]?.completedAt).toBeInstanceOf(Date);
  });

  it('does nothing when a completed backfill runs again', async () => {
    await sql`UPDATE set_order SET done = 0 WHERE id = 7`.execute(schema.db);
    const backfill = runner(definition);
    const events = collect(backfill);
    const summary = await backfill.run();
    expect(summary).toMatchObject({ status: 'completed', stopReason: 'already-completed', processed: 0, batches: 0 });
    expect(events.some((event) => event.type === 'batch')).toBe(false);
    expect(await touchCounts(schema.db, 'set_order')).toEqual({ '0': 105, '1': 945 });
  });

  it('refuses to resume with a changed definition and names what changed', async () => {
    const changed = runner({ ...definition, where: 'done = 0 AND id > 5' });
    const failure = changed.run();
    await expect(failure).rejects.toBeInstanceOf(BackfillDefinitionChangedError);
    await expect(changed.run()).rejects.toThrow(/changed: where\)[\s\S]*backfill reset set\.counts/);
    expect((await changed.status()).changedFields).toEqual(['where']);
    // Tuning fields are not part of the definition's identity.
    await expect(
      runner({ ...definition, batchSize: 50, minBatchSize: 50, maxErrorRate: 0.5 }).run(),
    ).resolves.toMatchObject({
      stopReason: 'already-completed',
    });
  });

  it('starts over after reset, touching only rows that still match where', async () => {
    const backfill = runner(definition);
    await backfill.reset();
    expect((await backfill.status()).status).toBe('not-started');
    const summary = await backfill.run();
    expect(summary).toMatchObject({ status: 'completed', updated: 1 });
    // Row 7 was done once before and matched `where` again: it is the only row touched a second time.
    expect(await touchCounts(schema.db, 'set_order')).toEqual({ '0': 105, '1': 944, '2': 1 });
  });

  it('never overwrites what the application wrote while the backfill ran', async () => {
    await createOrders(schema.db, 600, 'app_order');
    const backfill = runner(
      {
        name: 'set.app-writes',
        table: 'app_order',
        where: 'status IS NULL',
        set: { status: "CASE legacy_status WHEN 'P' THEN 'paid' WHEN 'O' THEN 'open' ELSE 'cancelled' END" },
        batchSize: 100,
        maxBatchSize: 100,
      },
      { lockWaitTimeoutSeconds: 10 },
    );
    const app = schema.connect();
    await app.connection().execute(async (connection) => {
      // The application writes row 305 in an open transaction; the backfill's batch has to wait for it.
      await sql`START TRANSACTION`.execute(connection);
      await sql`UPDATE app_order SET status = 'app' WHERE id = 305`.execute(connection);
      const run = backfill.run();
      await waitForLockWait(schema.db, schema.name);
      await sql`COMMIT`.execute(connection);
      expect(await run).toMatchObject({ status: 'completed', updated: 599 });
    });
    const counts = await statusCounts('app_order');
    expect(counts).toEqual({ app: 1, cancelled: 199, open: 200, paid: 200 });
  });

  it('counts metrics in a given prom-client registry and logs progress lines', async () => {
    await createOrders(schema.db, 300, 'metric_order');
    const registry = new Registry();
    const lines: { level: string; object: Record<string, unknown>; message?: string }[] = [];
    const log = (level: string) => (object: object, message?: string) =>
      lines.push({ level, object: object as Record<string, unknown>, message });
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    const summary = await runner(
      {
        name: 'set.metrics',
        table: 'metric_order',
        where: 'status IS NULL',
        set: { status: "'x'" },
        batchSize: 100,
        maxBatchSize: 100,
      },
      { registry, logger, logIntervalMs: 0 },
    ).run();
    expect(summary.updated).toBe(300);
    const metrics = await registry.getMetricsAsJSON();
    const rows = metrics.find((metric) => metric.name === 'safemig_backfill_rows_total');
    expect(rows?.values).toEqual([
      expect.objectContaining({ labels: { backfill: 'set.metrics', outcome: 'updated' }, value: 300 }),
    ]);
    const batches = metrics.find((metric) => metric.name === 'safemig_backfill_batches_total');
    expect(batches?.values[0]?.value).toBe(3);
    const progress = lines.filter((line) => line.message === 'backfill progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)?.object).toMatchObject({
      backfill: 'set.metrics',
      processed: 300,
      updated: 300,
      failed: 0,
      retries: 0,
      conflicts: 0,
    });
    expect(progress.at(-1)?.object).toHaveProperty('rowsPerSecond');
    expect(progress.at(-1)?.object).toHaveProperty('etaSeconds');
    // Several runners can share one registry.
    await createOrders(schema.db, 10, 'metric_order2');
    await runner(
      { name: 'set.metrics2', table: 'metric_order2', where: 'status IS NULL', set: { status: "'x'" } },
      { registry },
    ).run();
    const again = (await registry.getMetricsAsJSON()).find((metric) => metric.name === 'safemig_backfill_rows_total');
    expect(again?.values).toHaveLength(2);
  });

  it('refuses resume of a backfill that never started', async () => {
    await expect(
      runner({ name: 'set.never', table: 'set_order', where: 'done = 0', set: { n: 'n' } }).resume(),
    ).rejects.toBeInstanceOf(BackfillNotStartedError);
  });
});

describe('transform backfill', () => {
  it('writes patches, skips, and puts rows that throw into the error table with key and message', async () => {
    await createOrders(schema.db, 400, 'tr_order');
    await sql`UPDATE tr_order SET legacy_status = 'X?' WHERE id IN (13, 250)`.execute(schema.db);
    await sql`UPDATE tr_order SET legacy_status = NULL WHERE id IN (7, 8, 9)`.execute(schema.db);
    const backfill = runner({
      name: 'transform.status',
      table: 'tr_order',
      where: 'status IS NULL',
      select: ['legacy_status'],
      transform: (row) => (row.legacy_status === null ? skipRow : { status: mapStatus(row.legacy_status) }),
      batchSize: 100,
      maxBatchSize: 100,
    });
    const summary = await backfill.run();
    expect(summary).toMatchObject({
      status: 'completed',
      processed: 400,
      updated: 395,
      skipped: 3,
      failed: 2,
      conflicts: 0,
      errorRows: 2,
    });
    expect(await statusCounts('tr_order')).toEqual({ null: 5, paid: 132, open: 131, cancelled: 132 });
    const errors = await backfill.errorRows();
    expect(errors.map((error) => [error.rowKey, error.reason, error.message, error.attempts])).toEqual([
      ['["13"]', 'error', 'unknown legacy status "X?"', 1],
      ['["250"]', 'error', 'unknown legacy status "X?"', 1],
    ]);

    // After fixing the data, retryErrors processes exactly the recorded rows.
    await sql`UPDATE tr_order SET legacy_status = 'P' WHERE id IN (13, 250)`.execute(schema.db);
    expect(await backfill.retryErrors()).toEqual({
      attempted: 2,
      updated: 2,
      skipped: 0,
      resolved: 0,
      stillFailing: 0,
    });
    expect(await backfill.errorRows()).toEqual([]);
    expect(await statusCounts('tr_order')).toEqual({ null: 3, paid: 134, open: 131, cancelled: 132 });
  });

  it('stops cleanly when maxErrorRate is exceeded and resumes from the checkpoint', async () => {
    await createOrders(schema.db, 1_000, 'bad_order');
    await sql`UPDATE bad_order SET legacy_status = 'bad' WHERE id > 200 AND id % 5 = 0`.execute(schema.db);
    const definition = {
      name: 'transform.error-rate',
      table: 'bad_order',
      where: 'status IS NULL',
      select: ['legacy_status'],
      transform: (row: Record<string, unknown>) => ({ status: mapStatus(row.legacy_status) }),
      batchSize: 100,
      maxBatchSize: 100,
      maxErrorRate: 0.1,
    } as const;
    const first = await runner(definition).run();
    expect(first).toMatchObject({ status: 'paused', stopReason: 'error-rate' });
    expect(first.message).toMatch(/maxErrorRate 10%/);
    expect(first.failed / first.processed).toBeGreaterThan(0.1);
    const afterFirst = first.processed;
    expect(afterFirst).toBeLessThan(1_000);

    const second = await runner({ ...definition, maxErrorRate: 1 }).resume();
    expect(second).toMatchObject({ status: 'completed', stopReason: 'completed' });
    expect(afterFirst + second.processed).toBe(1_000);
    expect(second.total).toMatchObject({ processed: 1_000, failed: 160, updated: 840 });
    expect(second.errorRows).toBe(160);
  });

  it('does not overwrite a row the application changed between read and write, and picks it up again', async () => {
    await createOrders(schema.db, 300, 'race_order');
    const app = schema.connect();
    const backfill = runner({
      name: 'transform.race',
      table: 'race_order',
      where: 'status IS NULL',
      select: ['legacy_status'],
      transform: async (row) => {
        if (row.id === 42 && row.legacy_status === 'P') {
          // The application changes the legacy value after the backfill read it.
          await sql`UPDATE race_order SET legacy_status = 'C' WHERE id = 42`.execute(app);
        }
        if (row.id === 43) {
          // The application fills the new column itself (release N writes it directly).
          await sql`UPDATE race_order SET status = 'from-app' WHERE id = 43`.execute(app);
        }
        return { status: mapStatus(row.legacy_status) };
      },
      batchSize: 100,
      maxBatchSize: 100,
    });
    const summary = await backfill.run();
    expect(summary).toMatchObject({ status: 'completed', conflicts: 2, failed: 0, errorRows: 0 });
    const rows = await sql<{
      id: number;
      legacy_status: string;
      status: string;
    }>`SELECT id, legacy_status, status FROM race_order
      WHERE id IN (42, 43, 44) ORDER BY id`.execute(schema.db);
    expect(rows.rows).toEqual([
      { id: 42, legacy_status: 'C', status: 'cancelled' },
      { id: 43, legacy_status: 'O', status: 'from-app' },
      { id: 44, legacy_status: 'C', status: 'cancelled' },
    ]);
    expect(await statusCounts('race_order')).not.toHaveProperty('null');
  });

  it('writes a large batch in statements of at most 500 rows, and a conflict in a later one redoes the whole batch row by row', async () => {
    await createOrders(schema.db, 1_200, 'split_order');
    const app = schema.connect();
    const updates: string[] = [];
    const db = createDatabase(schema.config, {
      log: (event) => {
        if (event.level === 'query' && /^UPDATE .*JOIN \(SELECT/s.test(event.query.sql)) updates.push(event.query.sql);
      },
    });
    try {
      const summary = await new BackfillRunner({
        db,
        definition: {
          name: 'transform.split',
          table: 'split_order',
          where: 'status IS NULL',
          select: ['legacy_status'],
          transform: async (row) => {
            // Changed by the application after the read: its write is in the batch's third statement.
            if (row.id === 1_149 && row.legacy_status !== 'C')
              await sql`UPDATE split_order SET legacy_status = 'C' WHERE id = 1149`.execute(app);
            // Every third row sets a second column as well: two groups of columns, each split on its own.
            const status = mapStatus(row.legacy_status);
            const patch: BackfillPatch = Number(row.id) % 3 === 0 ? { status, n: 1 } : { status };
            return patch;
          },
          batchSize: 1_200,
          minBatchSize: 1_200,
          maxBatchSize: 1_200,
        },
      }).run();
      expect(summary).toMatchObject({ status: 'completed', updated: 1_200, conflicts: 1, failed: 0, batches: 1 });
    } finally {
      await db.destroy();
    }
    // 800 rows setting one column (500 + 300) and 400 setting two; each statement at most 500 rows.
    const rowsPerStatement = updates.map((text) => text.split(' UNION ALL ').length);
    expect(rowsPerStatement).toEqual([500, 300, 400]);
    const wrong = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM split_order
      WHERE status IS NULL OR status <> CASE legacy_status WHEN 'P' THEN 'paid' WHEN 'O' THEN 'open' ELSE 'cancelled' END
         OR (id % 3 = 0) <> (n = 1)`.execute(schema.db);
    expect(Number(wrong.rows[0]?.n)).toBe(0);
  });
});

describe('keys', () => {
  it('pages through a composite (INT, INT) primary key', async () => {
    await sql`CREATE TABLE order_line (order_id INT NOT NULL, line INT NOT NULL, qty INT NOT NULL, total INT NULL,
      PRIMARY KEY (order_id, line)) ENGINE=InnoDB`.execute(schema.db);
    await sql`INSERT INTO order_line (order_id, line, qty) SELECT 1 + (s.n - 1) DIV 7, 1 + (s.n - 1) % 7, s.n % 5 FROM (
      SELECT a.d + 10 * b.d + 100 * c.d + 1 AS n FROM
      (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,
      (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
      (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c) s`.execute(
      schema.db,
    );
    const set = await runner({
      name: 'keys.composite.set',
      table: 'order_line',
      where: 'total IS NULL',
      set: { total: 'qty * 10' },
      batchSize: 64,
      maxBatchSize: 64,
    }).run();
    expect(set).toMatchObject({ status: 'completed', updated: 1_000, batches: 16 });

    await sql`UPDATE order_line SET total = NULL`.execute(schema.db);
    const seen = new Set<string>();
    const transform = await runner({
      name: 'keys.composite.transform',
      table: 'order_line',
      key: ['order_id', 'line'],
      where: 'total IS NULL',
      select: ['qty'],
      transform: (row) => {
        const key = `${row.order_id}/${row.line}`;
        if (seen.has(key)) throw new Error(`row ${key} seen twice`);
        seen.add(key);
        return { total: Number(row.qty) * 100 };
      },
      batchSize: 64,
      maxBatchSize: 64,
    }).run();
    expect(transform).toMatchObject({ status: 'completed', updated: 1_000, failed: 0 });
    expect(seen.size).toBe(1_000);
    const check = await sql<{
      wrong: number;
    }>`SELECT COUNT(*) AS wrong FROM order_line WHERE total <> qty * 100`.execute(schema.db);
    expect(Number(check.rows[0]?.wrong)).toBe(0);
  });

  it('pages through BINARY(16) ids and stores the cursor as hex', async () => {
    await sql`CREATE TABLE binary_order (id BINARY(16) NOT NULL PRIMARY KEY, legacy_status VARCHAR(16) NULL, status VARCHAR(16) NULL) ENGINE=InnoDB`.execute(
      schema.db,
    );
    await sql`INSERT INTO binary_order (id, legacy_status)
      SELECT UNHEX(MD5(s.n)), ELT(1 + s.n % 3, 'P', 'O', 'C') FROM (
        SELECT a.d + 10 * b.d + 100 * c.d AS n FROM
        (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,
        (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
        (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c) s`.execute(
      schema.db,
    );
    const backfill = runner({
      name: 'keys.binary',
      table: 'binary_order',
      where: 'status IS NULL',
      select: ['legacy_status'],
      transform: (row) => {
        expect(Buffer.isBuffer(row.id) && row.id.length === 16).toBe(true);
        return { status: mapStatus(row.legacy_status) };
      },
      batchSize: 150,
      maxBatchSize: 150,
    });
    const summary = await backfill.run();
    expect(summary).toMatchObject({ status: 'completed', updated: 1_000, batches: 7 });
    const last = await sql<{
      id: string;
    }>`SELECT LOWER(HEX(id)) AS id FROM binary_order ORDER BY id DESC LIMIT 1`.execute(schema.db);
    expect((await backfill.status()).parts[0]?.lastKey).toBe(`["0x${last.rows[0]?.id}"]`);
    expect(await statusCounts('binary_order')).toEqual({ cancelled: 333, open: 333, paid: 334 });
  });
});
