import { sql, type Kysely } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../provisioning';
import { diffSnapshots } from './snapshot-diff';
import { snapshotSchema } from './schema-snapshot';

/** Everything a snapshot must see, in DDL both MySQL 8 and MariaDB accept. */
async function createRichSchema(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE sales_channel (id BINARY(16) NOT NULL PRIMARY KEY) ENGINE=InnoDB`.execute(db);
  await sql`CREATE TABLE external_order (
    id BINARY(16) NOT NULL,
    sales_channel_id BINARY(16) NULL,
    order_number VARCHAR(64) NOT NULL COMMENT 'shown to customers',
    status VARCHAR(32) NULL DEFAULT 'it''s new',
    quantity INT NOT NULL DEFAULT 0,
    amount DECIMAL(12,2) UNSIGNED NOT NULL DEFAULT 1.50,
    paid TINYINT(1) NOT NULL DEFAULT 0,
    kind ENUM('shop','market') NOT NULL DEFAULT 'shop',
    payload JSON NULL,
    amount_cents BIGINT AS (amount * 100) STORED,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NULL ON UPDATE CURRENT_TIMESTAMP(3),
    serial BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    PRIMARY KEY (id),
    UNIQUE KEY uniq_external_order_serial (serial),
    KEY idx_external_order_number (order_number(16), created_at DESC),
    CONSTRAINT fk_external_order_sales_channel FOREIGN KEY (sales_channel_id) REFERENCES sales_channel (id)
      ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT chk_external_order_quantity CHECK (quantity >= 0)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='orders from marketplaces'`.execute(
    db,
  );
  await sql`CREATE TRIGGER trg_external_order_status BEFORE INSERT ON external_order
    FOR EACH ROW SET NEW.status = COALESCE(NEW.status, 'open')`.execute(db);
  await sql`CREATE VIEW external_order_paid AS SELECT id, order_number FROM external_order WHERE paid = 1`.execute(db);
  await sql`INSERT INTO sales_channel (id) VALUES (UNHEX('01'))`.execute(db);
}

let first: TestDatabase;
let second: TestDatabase;
beforeAll(async () => {
  [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await Promise.all([createRichSchema(first.db), createRichSchema(second.db)]);
});
afterAll(async () => {
  await Promise.all([first?.destroy(), second?.destroy()]);
});

describe('snapshotSchema', () => {
  it('describes tables with their options', async () => {
    const snapshot = await snapshotSchema(first.db);
    expect(Object.keys(snapshot.tables)).toEqual(['external_order', 'sales_channel']);
    expect(snapshot.tables.external_order).toMatchObject({
      engine: 'InnoDB',
      collation: 'utf8mb4_unicode_ci',
      rowFormat: 'Dynamic',
      comment: 'orders from marketplaces',
    });
  });

  it('normalizes columns the same way on MySQL 8 and MariaDB', async () => {
    const { columns } = (await snapshotSchema(first.db)).tables.external_order!;
    expect(columns.id).toEqual({
      position: 1,
      type: 'binary(16)',
      nullable: false,
      default: null,
      extra: '',
      charset: null,
      collation: null,
      generation: null,
      comment: '',
    });
    expect(columns.order_number).toMatchObject({
      type: 'varchar(64)',
      charset: 'utf8mb4',
      collation: 'utf8mb4_unicode_ci',
      comment: 'shown to customers',
    });
    expect(columns.status).toMatchObject({ nullable: true, default: "'it''s new'" });
    expect(columns.quantity).toMatchObject({ type: 'int', default: "'0'" });
    expect(columns.amount).toMatchObject({ type: 'decimal(12,2) unsigned', default: "'1.50'" });
    expect(columns.paid).toMatchObject({ type: 'tinyint', default: "'0'" });
    expect(columns.kind).toMatchObject({ type: "enum('shop','market')", default: "'shop'" });
    expect(columns.payload).toMatchObject({
      type: 'json',
      nullable: true,
      default: null,
      charset: null,
      collation: null,
    });
    expect(columns.amount_cents).toMatchObject({ type: 'bigint', extra: 'stored generated' });
    expect(columns.amount_cents?.generation).toMatch(/`amount` \* 100/);
    expect(columns.created_at).toMatchObject({ type: 'datetime(3)', default: 'current_timestamp(3)', extra: '' });
    expect(columns.updated_at).toMatchObject({ default: null, extra: 'on update current_timestamp(3)' });
    expect(columns.serial).toMatchObject({ type: 'bigint unsigned', extra: 'auto_increment', position: 13 });
  });

  it('describes indexes with uniqueness, order and prefix length', async () => {
    const { indexes } = (await snapshotSchema(first.db)).tables.external_order!;
    expect(Object.keys(indexes).sort()).toEqual([
      'PRIMARY',
      'fk_external_order_sales_channel',
      'idx_external_order_number',
      'uniq_external_order_serial',
    ]);
    expect(indexes.idx_external_order_number).toEqual({
      unique: false,
      type: 'BTREE',
      visible: true,
      comment: '',
      parts: [
        { column: 'order_number', order: 'ASC', prefix: 16 },
        { column: 'created_at', order: 'DESC', prefix: null },
      ],
    });
    expect(indexes.uniq_external_order_serial).toMatchObject({
      unique: true,
      parts: [{ column: 'serial', order: 'ASC', prefix: null }],
    });
  });

  it('describes foreign keys, check constraints, triggers and views, but not the JSON check MariaDB adds', async () => {
    const snapshot = await snapshotSchema(first.db);
    const table = snapshot.tables.external_order!;
    expect(table.foreignKeys).toEqual({
      fk_external_order_sales_channel: {
        columns: ['sales_channel_id'],
        referencedTable: 'sales_channel',
        referencedColumns: ['id'],
        onUpdate: 'CASCADE',
        onDelete: 'SET NULL',
      },
    });
    expect(table.checks).toEqual({ chk_external_order_quantity: { clause: '`quantity` >= 0', enforced: true } });
    expect(snapshot.triggers).toEqual({
      trg_external_order_status: {
        table: 'external_order',
        timing: 'BEFORE',
        event: 'INSERT',
        order: 1,
        body: "SET NEW.status = COALESCE(NEW.status, 'open')",
      },
    });
    expect(snapshot.views.external_order_paid?.definition).not.toContain(first.name);
    expect(snapshot.views.external_order_paid?.definition).toMatch(/`order_number`.*`paid` = 1/);
  });

  it('is deterministic and independent of the schema name and of the data', async () => {
    const a = await snapshotSchema(first.db);
    await sql`INSERT INTO external_order (id, order_number) VALUES (UNHEX('AA'), 'EO-1')`.execute(second.db);
    const b = await snapshotSchema(second.db);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(diffSnapshots(a, b).equal).toBe(true);
  });

  it('reads another schema when asked', async () => {
    const snapshot = await snapshotSchema(first.db, { schema: second.name });
    expect(Object.keys(snapshot.tables)).toEqual(['external_order', 'sales_channel']);
  });
});
