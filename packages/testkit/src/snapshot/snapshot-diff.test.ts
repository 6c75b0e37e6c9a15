import { sql } from 'kysely';
import { useTestDatabase } from '../provisioning';
import { snapshotData } from './data-snapshot';
import { snapshotDatabase } from './database-snapshot';
import { snapshotSchema } from './schema-snapshot';
import { diffSnapshots } from './snapshot-diff';

const testDb = useTestDatabase({ scope: 'test' });

beforeEach(async () => {
  await sql`CREATE TABLE external_order (
    id INT NOT NULL PRIMARY KEY,
    status VARCHAR(32) NULL,
    legacy_status VARCHAR(64) NULL
  )`.execute(testDb.db);
  await sql`INSERT INTO external_order (id, status)
    WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120) SELECT i, 'open' FROM n`.execute(
    testDb.db,
  );
});

describe('diffSnapshots', () => {
  it('reads like the issue: nullability and row counts', async () => {
    const { db } = testDb;
    const before = await snapshotDatabase(db);
    await sql`ALTER TABLE external_order MODIFY status VARCHAR(32) NOT NULL`.execute(db);
    await sql`INSERT INTO external_order (id, status) SELECT id + 1000, status FROM external_order`.execute(db);
    const diff = diffSnapshots(before, await snapshotDatabase(db));
    expect(diff.equal).toBe(false);
    expect(diff.lines).toEqual(['external_order.status: nullable YES -> NO', 'external_order: rows 120 -> 240']);
    expect(diff.changes[0]).toMatchObject({
      subject: 'column',
      change: 'changed',
      table: 'external_order',
      name: 'status',
      property: 'nullable',
      before: true,
      after: false,
    });
    expect(diff.changes[1]).toMatchObject({ subject: 'rows', table: 'external_order', before: 120, after: 240 });
  });

  it('names added and removed columns, indexes, foreign keys, checks, triggers, views and tables', async () => {
    const { db } = testDb;
    const before = await snapshotSchema(db);
    await sql`CREATE TABLE customer (id INT NOT NULL PRIMARY KEY)`.execute(db);
    await sql`ALTER TABLE external_order DROP COLUMN legacy_status, ADD COLUMN customer_id INT NULL DEFAULT NULL,
      ADD INDEX idx_status (status(8) DESC), ADD CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES customer (id),
      ADD CONSTRAINT chk_id CHECK (id > 0)`.execute(db);
    await sql`CREATE TRIGGER trg_status BEFORE UPDATE ON external_order FOR EACH ROW SET NEW.status = LOWER(NEW.status)`.execute(
      db,
    );
    await sql`CREATE VIEW open_order AS SELECT id FROM external_order WHERE status = 'open'`.execute(db);
    const lines = diffSnapshots(before, await snapshotSchema(db)).lines;
    expect(lines).toEqual([
      'customer: table added (1 column: id)',
      'external_order.customer_id: column added (int NULL)',
      'external_order.legacy_status: column removed',
      'external_order: index fk_customer added (customer_id)',
      'external_order: index idx_status added (status(8) DESC)',
      'external_order: foreign key fk_customer added (customer_id -> customer (id) ON UPDATE RESTRICT ON DELETE RESTRICT)',
      'external_order: check chk_id added (`id` > 0)',
      'external_order: trigger trg_status added (BEFORE UPDATE)',
      'open_order: view added',
    ]);
  });

  it('names changed properties with before and after', async () => {
    const { db } = testDb;
    await sql`CREATE INDEX idx_status ON external_order (status)`.execute(db);
    const before = await snapshotSchema(db);
    await sql`ALTER TABLE external_order MODIFY status VARCHAR(64) NULL DEFAULT 'new' COMMENT 'state', COMMENT = 'orders'`.execute(
      db,
    );
    await sql`ALTER TABLE external_order DROP INDEX idx_status, ADD UNIQUE INDEX idx_status (status, id)`.execute(db);
    expect(diffSnapshots(before, await snapshotSchema(db)).lines).toEqual([
      'external_order: comment "" -> "orders"',
      'external_order.status: type varchar(32) -> varchar(64)',
      "external_order.status: default NULL -> 'new'",
      'external_order.status: comment "" -> "state"',
      'external_order: index idx_status unique NO -> YES',
      'external_order: index idx_status parts (status) -> (status, id)',
    ]);
  });

  it('reports nothing for identical snapshots, and refuses to compare different kinds', async () => {
    const { db } = testDb;
    const schema = await snapshotSchema(db);
    expect(diffSnapshots(schema, await snapshotSchema(db))).toEqual({ equal: true, changes: [], lines: [] });
    const data = await snapshotData(db);
    expect(() => diffSnapshots(schema, data)).toThrow(/same kind/);
  });

  it('does not repeat in data lines what the schema diff already says', async () => {
    const { db } = testDb;
    const before = await snapshotDatabase(db);
    await sql`ALTER TABLE external_order DROP COLUMN legacy_status`.execute(db);
    await sql`CREATE TABLE note (id INT NULL)`.execute(db);
    await sql`INSERT INTO note VALUES (1)`.execute(db);
    expect(diffSnapshots(before, await snapshotDatabase(db)).lines).toEqual([
      'external_order.legacy_status: column removed',
      'note: table added (1 column: id)',
    ]);
  });
});
