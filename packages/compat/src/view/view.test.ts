import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import { seedLegacyDataset } from '../__fixtures__/legacy-dataset';
import { InvalidViewQueryError, ViewNotSnapshottedError } from '../compat-errors';
import { compareView, snapshotView } from './view-snapshot';
import { validateViewQuery } from './view-query';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
  await seedLegacyDataset(schema.db);
});
afterAll(() => schema.destroy());

const QUERY = "SELECT id, status, COALESCE(email, '') AS email FROM legacy_customer WHERE id <= 8";

describe('application view snapshot and compare', () => {
  it('proves an unchanged read model, then names the rows whose read changed', async () => {
    const snapshot = await snapshotView(schema.db, 'customer-list', QUERY);
    expect(snapshot).toMatchObject({ rowCount: 8, key: ['id'], columns: ['id', 'status', 'email'] });
    // A change the application cannot see (a column the view does not read) keeps the view identical.
    await sql`UPDATE legacy_customer SET sku = 'X' WHERE id = 1`.execute(schema.db);
    expect(await compareView(schema.db, 'customer-list')).toMatchObject({ unchanged: true, differences: [] });

    await sql`UPDATE legacy_customer SET status = 'blocked' WHERE id = 2`.execute(schema.db);
    await sql`DELETE FROM legacy_customer WHERE id = 8`.execute(schema.db);
    const comparison = await compareView(schema.db, 'customer-list');
    expect(comparison.unchanged).toBe(false);
    expect(comparison.before.rowCount).toBe(8);
    expect(comparison.after.rowCount).toBe(7);
    expect(comparison.after.checksum).not.toBe(comparison.before.checksum);
    expect(comparison.differences).toEqual([
      {
        key: { id: 2 },
        change: 'changed',
        columns: ['status'],
        before: { id: 2, status: null, email: 'ANNA@example.com' },
        after: { id: 2, status: 'blocked', email: 'ANNA@example.com' },
      },
      { key: { id: 8 }, change: 'missing', columns: [], before: expect.objectContaining({ id: 8 }), after: undefined },
    ]);
  });

  it('finds the sampled rows again by a BINARY(16) key, as Shopware ids are', async () => {
    await sql`CREATE TABLE binary_order (id BINARY(16) NOT NULL PRIMARY KEY, ref VARCHAR(16) NOT NULL)`.execute(
      schema.db,
    );
    await sql`INSERT INTO binary_order (id, ref) VALUES (UNHEX(REPEAT('0a', 16)), 'A'), (UNHEX(REPEAT('0b', 16)), 'B')`.execute(
      schema.db,
    );
    await snapshotView(schema.db, 'binary-orders', 'SELECT id, ref FROM binary_order');
    expect(await compareView(schema.db, 'binary-orders')).toMatchObject({ unchanged: true, differences: [] });
    await sql`UPDATE binary_order SET ref = 'C' WHERE id = UNHEX(REPEAT('0b', 16))`.execute(schema.db);
    expect((await compareView(schema.db, 'binary-orders')).differences).toEqual([
      expect.objectContaining({ key: { id: `0x${'0b'.repeat(16)}` }, change: 'changed', columns: ['ref'] }),
    ]);
  });

  it('is independent of row order', async () => {
    await snapshotView(schema.db, 'ordered', 'SELECT id, name FROM legacy_customer ORDER BY id');
    await snapshotView(schema.db, 'reversed', 'SELECT id, name FROM legacy_customer ORDER BY id DESC');
    const a = await compareView(schema.db, 'ordered');
    const b = await compareView(schema.db, 'reversed');
    expect(a.after.checksum).toBe(b.after.checksum);
  });

  it('accepts only one SELECT and refuses to compare without a snapshot', async () => {
    expect(() => validateViewQuery('v', 'SELECT 1; DROP TABLE legacy_customer')).toThrow(InvalidViewQueryError);
    expect(() => validateViewQuery('v', 'DELETE FROM legacy_customer')).toThrow(/must start with SELECT or WITH/);
    expect(() => validateViewQuery('v', 'SELECT 1 -- x')).toThrow(/comment/);
    expect(validateViewQuery('v', " SELECT ';' AS semicolon ")).toBe("SELECT ';' AS semicolon");
    await expect(snapshotView(schema.db, 'v', 'SELECT COUNT(*) FROM legacy_customer')).rejects.toThrow(
      /give every column a plain alias/,
    );
    await expect(compareView(schema.db, 'never-taken')).rejects.toThrow(ViewNotSnapshottedError);
  });
});
