import { sql, type Kysely } from 'kysely';
import { MigrationSource, Migrator } from '@safemig/core';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { Migration1700000000ExternalOrder } from '../Migration/Migration1700000000ExternalOrder';
import { deriveOrderFields } from '../mapping';
import { seedLegacyOrders, type SeedResult } from './seed-legacy-orders';

let schema: TestSchema;
let result: SeedResult;
beforeAll(async () => {
  schema = await createTestSchema();
  await new Migrator({
    db: schema.db,
    source: MigrationSource.fromClasses([Migration1700000000ExternalOrder]),
  }).migrate();
  result = await seedLegacyOrders(schema.db, {
    rows: 4000,
    seed: 7,
    rates: { zeroDate: 0.01, orphanSalesChannel: 0.01 },
  });
});
afterAll(() => schema.destroy());

async function count(db: Kysely<any>, query: ReturnType<typeof sql<{ n: number | string }>>): Promise<number> {
  return Number((await query.execute(db)).rows[0]?.n);
}

describe('seedLegacyOrders', () => {
  it('inserts the requested rows with every anomaly present', async () => {
    expect(await count(schema.db, sql`SELECT COUNT(*) AS n FROM external_order`)).toBe(4000);
    for (const [anomaly, n] of Object.entries(result.anomalies)) {
      expect([anomaly, n > 0]).toEqual([anomaly, true]);
    }
    expect(Object.values(result.formats).reduce((a, b) => a + b, 0)).toBe(4000);
  });

  it('reports exactly the anomalies that SQL finds in the table', async () => {
    const { db } = schema;
    expect(await count(db, sql`SELECT COUNT(*) AS n FROM external_order WHERE MONTH(created_at) = 0`)).toBe(
      result.anomalies.zeroDate,
    );
    expect(
      await count(
        db,
        sql`SELECT COUNT(*) AS n FROM external_order o LEFT JOIN sales_channel c ON c.id = o.sales_channel_id WHERE c.id IS NULL`,
      ),
    ).toBe(result.anomalies.orphanSalesChannel);
    expect(
      await count(db, sql`SELECT COUNT(*) AS n FROM external_order WHERE CHAR_LENGTH(external_reference) > 64`),
    ).toBe(result.anomalies.overlongReference);
    expect(
      await count(
        db,
        sql`SELECT COUNT(*) AS n FROM external_order WHERE payload LIKE '{%' AND JSON_VALID(payload) = 0`,
      ),
    ).toBe(result.anomalies.invalidJson);
    expect(
      await count(
        db,
        sql`SELECT COALESCE(SUM(n - 1), 0) AS n FROM (
              SELECT COUNT(*) AS n FROM external_order
              GROUP BY sales_channel_id, UPPER(TRIM(external_reference)) HAVING COUNT(*) > 1) AS groups`,
      ),
    ).toBe(result.anomalies.referenceCollision);
  });

  it('seeds rows the one mapping accepts, except the seeded unmappable ones', async () => {
    const rows = await sql<{
      payload: string | null;
      legacy_status: string | null;
      legacy_amount: string | null;
      external_reference: string | null;
    }>`
      SELECT payload, legacy_status, legacy_amount, external_reference FROM external_order`.execute(schema.db);
    const failures = rows.rows.map(deriveOrderFields).filter((derived) => !derived.ok);
    const reasons = new Set(failures.map((failure) => (failure.ok ? '' : failure.reason.replace(/".*"/, '"…"'))));
    expect([...reasons].sort()).toEqual(
      expect.arrayContaining([
        'external_reference is longer than 64 characters',
        'no status in payload or legacy_status',
        'payload is invalid JSON',
      ]),
    );
    expect(failures.length).toBeGreaterThanOrEqual(
      result.anomalies.missingStatus + result.anomalies.invalidJson + result.anomalies.overlongReference,
    );
  });

  it('is deterministic: the same seed gives the same rows', async () => {
    const other = await createTestSchema();
    try {
      await new Migrator({
        db: other.db,
        source: MigrationSource.fromClasses([Migration1700000000ExternalOrder]),
      }).migrate();
      const again = await seedLegacyOrders(other.db, {
        rows: 4000,
        seed: 7,
        rates: { zeroDate: 0.01, orphanSalesChannel: 0.01 },
      });
      expect(again).toEqual(result);
      const checksum = (db: Kysely<any>) =>
        sql<{
          c: string;
        }>`SELECT SUM(CRC32(CONCAT_WS('|', HEX(id), HEX(sales_channel_id), external_reference, payload, legacy_status, legacy_amount, created_at, updated_at))) AS c FROM external_order`
          .execute(db)
          .then((r) => String(r.rows[0]?.c));
      expect(await checksum(other.db)).toBe(await checksum(schema.db));
    } finally {
      await other.destroy();
    }
  });

  it('refuses rates that add up to more than 1, naming the field', async () => {
    await expect(seedLegacyOrders(schema.db, { rows: 1, rates: { invalidJson: 0.6, zeroDate: 0.6 } })).rejects.toThrow(
      /rates: the rates \(with the defaults\) add up to 1\.2\d\d, more than 1/,
    );
  });
});
