import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../test/support/test-schema';
import { checksum, createOrders, mapStatus } from './__fixtures__/orders';
import { BackfillRunner, skipRow } from './index';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
  await createOrders(schema.db, 1_000, 'dry_order');
  await sql`UPDATE dry_order SET status = 'paid' WHERE id <= 100`.execute(schema.db);
  await sql`UPDATE dry_order SET legacy_status = NULL WHERE id IN (201, 202)`.execute(schema.db);
  await sql`UPDATE dry_order SET legacy_status = '??' WHERE id IN (301, 302, 303)`.execute(schema.db);
});
afterAll(() => schema.destroy());

async function tables(): Promise<string[]> {
  const result = await sql<{
    name: string;
  }>`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`.execute(
    schema.db,
  );
  return result.rows.map((row) => row.name);
}

describe('dry-run', () => {
  it('reports what a set-based run would update, with before/after samples, and writes nothing', async () => {
    const before = await checksum(schema.db, 'dry_order');
    const report = await new BackfillRunner({
      db: schema.db,
      definition: {
        name: 'dry.set',
        table: 'dry_order',
        where: 'status IS NULL',
        set: { status: "CASE legacy_status WHEN 'P' THEN 'paid' WHEN 'O' THEN 'open' ELSE 'cancelled' END" },
        batchSize: 300,
      },
    }).dryRun({ sampleSize: 2 });
    expect(report).toMatchObject({
      mode: 'set',
      scanned: 1_000,
      wouldUpdate: 900,
      wouldSkip: 0,
      wouldFail: 0,
      complete: true,
    });
    expect(report.samples.update).toEqual([
      { key: 'id=101', before: { status: null }, after: { status: 'cancelled' } },
      { key: 'id=102', before: { status: null }, after: { status: 'paid' } },
    ]);
    expect(report.estimatedDurationMs).toEqual(expect.any(Number));
    expect(await checksum(schema.db, 'dry_order')).toBe(before);
    expect(await tables()).toEqual(['dry_order']);
  });

  it('runs the transform on every row and reports updates, skips and failures with sample keys, writing nothing', async () => {
    const before = await checksum(schema.db, 'dry_order');
    const runner = new BackfillRunner({
      db: schema.db,
      definition: {
        name: 'dry.transform',
        table: 'dry_order',
        where: 'status IS NULL',
        select: ['legacy_status'],
        transform: (row) => (row.legacy_status === null ? skipRow : { status: mapStatus(row.legacy_status) }),
        batchSize: 250,
      },
    });
    const report = await runner.dryRun({ sampleSize: 2 });
    expect(report).toMatchObject({
      mode: 'transform',
      scanned: 900,
      wouldUpdate: 895,
      wouldSkip: 2,
      wouldFail: 3,
      complete: true,
    });
    expect(report.samples).toEqual({
      update: [
        { key: 'id=101', before: { status: null }, after: { status: 'cancelled' } },
        { key: 'id=102', before: { status: null }, after: { status: 'paid' } },
      ],
      skip: [{ key: 'id=201' }, { key: 'id=202' }],
      fail: [
        { key: 'id=301', message: 'unknown legacy status "??"' },
        { key: 'id=302', message: 'unknown legacy status "??"' },
      ],
    });
    expect(await checksum(schema.db, 'dry_order')).toBe(before);
    expect(await tables()).toEqual(['dry_order']);
    expect((await runner.status()).status).toBe('not-started');
  });

  it('stops after maxRows and extrapolates the estimate from the share of the key space it read', async () => {
    const report = await new BackfillRunner({
      db: schema.db,
      definition: {
        name: 'dry.partial',
        table: 'dry_order',
        where: 'status IS NULL',
        set: { status: "'x'" },
        batchSize: 100,
        maxBatchSize: 100,
      },
    }).dryRun({ maxRows: 300 });
    expect(report).toMatchObject({ scanned: 300, wouldUpdate: 200, complete: false });
    expect(report.estimatedDurationMs).toEqual(expect.any(Number));
  });
});
