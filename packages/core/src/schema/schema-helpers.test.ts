import { sql } from 'kysely';
import { createTestSchema, type TestSchema } from '../../../../test/support/test-schema';
import {
  addColumn,
  addIndex,
  columnExists,
  createTrigger,
  dropColumnIfExists,
  dropForeignKeyIfExists,
  dropIndexIfExists,
  dropTableIfExists,
  foreignKeyExists,
  indexExists,
  removeTrigger,
  tableExists,
  triggerExists,
} from './index';
import { InvalidIdentifierError, InvalidSqlFragmentError } from '../errors';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
  await sql`CREATE TABLE sales_channel (id BINARY(16) NOT NULL PRIMARY KEY) ENGINE=InnoDB`.execute(schema.db);
  await sql`CREATE TABLE external_order (
    id BINARY(16) NOT NULL PRIMARY KEY,
    sales_channel_id BINARY(16) NULL,
    legacy_status VARCHAR(64) NULL
  ) ENGINE=InnoDB`.execute(schema.db);
});
afterAll(() => schema.destroy());

describe('existence checks', () => {
  it('see tables, columns and indexes of the current schema only', async () => {
    const { db } = schema;
    expect(await tableExists(db, 'external_order')).toBe(true);
    expect(await tableExists(db, 'missing_table')).toBe(false);
    expect(await columnExists(db, 'external_order', 'legacy_status')).toBe(true);
    expect(await columnExists(db, 'external_order', 'status')).toBe(false);
    expect(await indexExists(db, 'external_order', 'PRIMARY')).toBe(true);
    expect(await indexExists(db, 'external_order', 'idx_none')).toBe(false);
  });

  it('refuse identifiers that could escape their quotes before any SQL runs', async () => {
    await expect(tableExists(schema.db, 'x`; DROP TABLE external_order; --')).rejects.toBeInstanceOf(
      InvalidIdentifierError,
    );
    await expect(columnExists(schema.db, 'external_order', "a' OR '1'='1")).rejects.toThrow(/Invalid identifier/);
    expect(await tableExists(schema.db, 'external_order')).toBe(true);
  });
});

describe('addColumn', () => {
  it('returns true when it adds the column and false on the second run', async () => {
    const { db } = schema;
    expect(
      await addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true, after: 'legacy_status' }),
    ).toBe(true);
    expect(
      await addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true, after: 'legacy_status' }),
    ).toBe(false);
    expect(await columnExists(db, 'external_order', 'status')).toBe(true);
  });

  it('binds a default value as a parameter and accepts SQL expressions as defaults', async () => {
    const { db } = schema;
    expect(await addColumn(db, 'external_order', 'currency', 'VARCHAR(8)', { nullable: false, default: "E'UR" })).toBe(
      true,
    );
    expect(
      await addColumn(db, 'external_order', 'migrated_at', 'DATETIME(3)', { default: sql`CURRENT_TIMESTAMP(3)` }),
    ).toBe(true);
    const columns = await sql<{ COLUMN_NAME: string; COLUMN_DEFAULT: string; IS_NULLABLE: string }>`
      SELECT COLUMN_NAME, COLUMN_DEFAULT, IS_NULLABLE FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'external_order' AND COLUMN_NAME IN ('currency', 'migrated_at')
      ORDER BY COLUMN_NAME`.execute(db);
    expect(columns.rows[0]).toMatchObject({ COLUMN_NAME: 'currency', IS_NULLABLE: 'NO' });
    expect(columns.rows[0]?.COLUMN_DEFAULT).toMatch(/^'?E'{1,2}UR'?$/);
    expect(columns.rows[1]?.COLUMN_DEFAULT).toMatch(/current_timestamp\(3\)/i);
  });

  it('refuses a type that smuggles in a second statement, a comment or column options', async () => {
    const { db } = schema;
    await expect(addColumn(db, 'external_order', 'x', 'INT; DROP TABLE external_order')).rejects.toBeInstanceOf(
      InvalidSqlFragmentError,
    );
    await expect(addColumn(db, 'external_order', 'x', 'INT -- comment')).rejects.toThrow(/comment/);
    await expect(addColumn(db, 'external_order', 'x', 'INT NOT NULL')).rejects.toThrow(/options of addColumn/);
    expect(await columnExists(db, 'external_order', 'x')).toBe(false);
  });
});

describe('addIndex and the drop helpers', () => {
  it('each return true when they change the schema and false when run again', async () => {
    const { db } = schema;
    expect(
      await addIndex(db, 'external_order', 'idx_external_order_status', [
        'status',
        { column: 'legacy_status', length: 8 },
      ]),
    ).toBe(true);
    expect(await addIndex(db, 'external_order', 'idx_external_order_status', ['status'])).toBe(false);
    expect(await addIndex(db, 'external_order', 'fk_sales_channel_idx', ['sales_channel_id'])).toBe(true);

    await sql`ALTER TABLE external_order ADD CONSTRAINT fk_external_order_sales_channel
      FOREIGN KEY (sales_channel_id) REFERENCES sales_channel (id) ON DELETE SET NULL`.execute(db);
    expect(await foreignKeyExists(db, 'external_order', 'fk_external_order_sales_channel')).toBe(true);
    expect(await dropForeignKeyIfExists(db, 'external_order', 'fk_external_order_sales_channel')).toBe(true);
    expect(await dropForeignKeyIfExists(db, 'external_order', 'fk_external_order_sales_channel')).toBe(false);
    expect(await foreignKeyExists(db, 'external_order', 'fk_external_order_sales_channel')).toBe(false);

    expect(await dropIndexIfExists(db, 'external_order', 'idx_external_order_status')).toBe(true);
    expect(await dropIndexIfExists(db, 'external_order', 'idx_external_order_status')).toBe(false);
    expect(await dropColumnIfExists(db, 'external_order', 'status')).toBe(true);
    expect(await dropColumnIfExists(db, 'external_order', 'status')).toBe(false);

    await sql`CREATE TABLE scratch (id INT PRIMARY KEY)`.execute(db);
    expect(await dropTableIfExists(db, 'scratch')).toBe(true);
    expect(await dropTableIfExists(db, 'scratch')).toBe(false);
  });
});

describe('createTrigger', () => {
  const trigger = {
    name: 'trg_external_order_status_forward',
    table: 'external_order',
    timing: 'BEFORE',
    event: 'INSERT',
    body: "SET NEW.currency = IFNULL(NEW.currency, 'EUR')",
  } as const;

  it('does nothing unless blue-green deployment is enabled', async () => {
    expect(await createTrigger(schema.db, trigger, { blueGreen: false })).toBe(false);
    expect(await triggerExists(schema.db, trigger.name)).toBe(false);
  });

  it('creates once, leaves an identical trigger alone and replaces a changed body', async () => {
    const { db } = schema;
    expect(await createTrigger(db, trigger, { blueGreen: true })).toBe(true);
    expect(await createTrigger(db, trigger, { blueGreen: true })).toBe(false);
    const changed = { ...trigger, body: "BEGIN SET NEW.currency = IFNULL(NEW.currency, 'CHF'); END" };
    expect(await createTrigger(db, changed, { blueGreen: true })).toBe(true);
    expect(await createTrigger(db, changed, { blueGreen: true })).toBe(false);
    await sql`INSERT INTO external_order (id, currency) VALUES (UNHEX(REPEAT('ab', 16)), NULL)`.execute(db);
    const row = await sql<{ currency: string }>`SELECT currency FROM external_order`.execute(db);
    expect(row.rows[0]?.currency).toBe('CHF');
    expect(await removeTrigger(db, trigger.name)).toBe(true);
    expect(await removeTrigger(db, trigger.name)).toBe(false);
  });
});
