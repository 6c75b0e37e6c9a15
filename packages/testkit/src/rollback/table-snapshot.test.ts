import { createDatabase } from '@safemig/core';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { useTestDatabase } from '../provisioning';
import { snapshotData } from '../snapshot/data-snapshot';
import { createTableSnapshot } from './create-table-snapshot';
import { dropTableSnapshot } from './drop-table-snapshot';
import { listTableSnapshots } from './list-table-snapshots';
import { restoreTableSnapshot } from './restore-table-snapshot';
import {
  TableSnapshotExistsError,
  TableSnapshotNotFoundError,
  TableSnapshotNotVerifiedError,
  TableWithoutPrimaryKeyError,
  UnsupportedSnapshotTableError,
} from './table-snapshot-errors';
import { verifyTableSnapshot } from './verify-table-snapshot';

const testDb = useTestDatabase();
const created: string[] = [];

/** Snapshot schemas are server-wide: every test uses its own random name and drops it afterwards. */
function uniqueName(label: string): string {
  const name = `${label}_${randomBytes(4).toString('hex')}`;
  created.push(name);
  return name;
}

afterEach(async () => {
  for (const name of created.splice(0)) await dropTableSnapshot(testDb.db, name).catch(() => undefined);
});

beforeAll(async () => {
  const db = testDb.db;
  await sql`CREATE TABLE external_order (
    id BINARY(16) NOT NULL, line INT NOT NULL, legacy_status VARCHAR(64) NULL, amount DECIMAL(12,2) NULL,
    placed_at DATETIME(6) NULL, payload JSON NULL,
    status_upper VARCHAR(64) GENERATED ALWAYS AS (UPPER(legacy_status)) VIRTUAL,
    PRIMARY KEY (id, line))`.execute(db);
  const values = Array.from(
    { length: 230 },
    (_, i) =>
      sql`(UNHEX(${(i % 40).toString(16).padStart(32, '0')}), ${Math.floor(i / 40)}, ${i % 7 === 0 ? null : `s${i % 5}`},
        ${i * 1.25}, ${`2024-01-01 10:00:00.${String(i).padStart(6, '0')}`}, ${JSON.stringify({ i })})`,
  );
  await sql`INSERT INTO external_order (id, line, legacy_status, amount, placed_at, payload) VALUES ${sql.join(values)}`.execute(
    db,
  );
  await sql`CREATE TABLE event_log (happened_at DATETIME(6) NOT NULL, note VARCHAR(32) NOT NULL, PRIMARY KEY (happened_at))`.execute(
    db,
  );
  await sql`INSERT INTO event_log VALUES ('2024-01-01 00:00:00.000001', 'a'), ('2024-01-01 00:00:00.000002', 'b'),
    ('2024-01-01 00:00:00.000003', 'c'), ('2024-01-02 00:00:00', 'd'), ('2024-01-03 00:00:00', 'e')`.execute(db);
});

describe('createTableSnapshot and restoreTableSnapshot', () => {
  it('copies the tables in keyset batches and restores them exactly, atomically, after data loss and a dropped column', async () => {
    const db = testDb.db;
    const before = await snapshotData(db, { tables: ['external_order', 'event_log'] });
    const name = uniqueName('roundtrip');
    // Batches of 7 force many keyset steps over a composite key and over a DATETIME(6) key.
    const snapshot = await createTableSnapshot(db, {
      tables: ['external_order', 'event_log'],
      name,
      by: 'alice',
      batchSize: 7,
    });
    expect(snapshot).toMatchObject({
      name,
      schema: `safemig_snapshot_${name}`,
      sourceSchema: testDb.name,
      createdBy: 'alice',
    });
    expect(snapshot.tables).toEqual([
      { table: 'external_order', rows: 230, checksum: before.tables.external_order!.checksum },
      { table: 'event_log', rows: 5, checksum: before.tables.event_log!.checksum },
    ]);
    expect((await verifyTableSnapshot(db, name)).verified).toBe(true);

    await sql`DELETE FROM external_order WHERE line > 2`.execute(db);
    await sql`ALTER TABLE external_order DROP COLUMN status_upper, DROP COLUMN legacy_status`.execute(db);
    await sql`UPDATE event_log SET note = 'x'`.execute(db);

    const restored = await restoreTableSnapshot(db, name, { keepOld: true, batchSize: 11 });
    expect(restored.tables.map((t) => [t.table, t.rows])).toEqual([
      ['external_order', 230],
      ['event_log', 5],
    ]);
    const after = await snapshotData(db, { tables: ['external_order', 'event_log'] });
    expect(after.tables).toEqual(before.tables);
    const old = restored.tables[0]!.oldTable!;
    expect(old).toMatch(/^safemig_old_[0-9a-z]+_external_order$/);
    const oldRows = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.id(old)}`.execute(db);
    expect(Number(oldRows.rows[0]!.n)).toBe(120);
    await sql`DROP TABLE ${sql.id(old)}`.execute(db);
    await sql`DROP TABLE ${sql.id(restored.tables[1]!.oldTable!)}`.execute(db);
  });

  it('refuses to restore a corrupted snapshot, naming the table and both checksums, and leaves the live table alone', async () => {
    const db = testDb.db;
    const name = uniqueName('corrupt');
    await createTableSnapshot(db, { tables: ['event_log'], name });
    await sql`UPDATE ${sql.id(`safemig_snapshot_${name}`, 'event_log')} SET note = 'tampered' WHERE note = 'c'`.execute(
      db,
    );
    const live = await snapshotData(db, { tables: ['event_log'] });

    const check = await verifyTableSnapshot(db, name);
    expect(check.verified).toBe(false);
    expect(check.mismatches).toEqual([
      expect.objectContaining({
        table: 'event_log',
        expectedRows: 5,
        actualRows: 5,
        expectedChecksum: live.tables.event_log!.checksum,
      }),
    ]);
    const refused = restoreTableSnapshot(db, name);
    await expect(refused).rejects.toBeInstanceOf(TableSnapshotNotVerifiedError);
    await expect(restoreTableSnapshot(db, name)).rejects.toThrow(
      new RegExp(
        `event_log: manifest 5 rows, checksum ${live.tables.event_log!.checksum}; the snapshot schema 5 rows, checksum ${check.mismatches[0]!.actualChecksum}`,
      ),
    );
    expect(await snapshotData(db, { tables: ['event_log'] })).toEqual(live);
  });

  it('refuses a table without a primary key, with triggers or foreign keys, and a name that is taken', async () => {
    const db = testDb.db;
    await sql`CREATE TABLE no_key (a INT)`.execute(db);
    await expect(createTableSnapshot(db, { tables: ['no_key'], name: uniqueName('nokey') })).rejects.toBeInstanceOf(
      TableWithoutPrimaryKeyError,
    );
    await sql`CREATE TABLE parent (id INT PRIMARY KEY)`.execute(db);
    await sql`CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id))`.execute(
      db,
    );
    await expect(createTableSnapshot(db, { tables: ['parent'], name: uniqueName('fk') })).rejects.toThrow(
      /foreign key fk_child_parent of child references it/,
    );
    await expect(createTableSnapshot(db, { tables: ['child'], name: uniqueName('fk') })).rejects.toBeInstanceOf(
      UnsupportedSnapshotTableError,
    );
    const name = uniqueName('taken');
    await createTableSnapshot(db, { tables: ['event_log'], name });
    await expect(createTableSnapshot(db, { tables: ['event_log'], name })).rejects.toBeInstanceOf(
      TableSnapshotExistsError,
    );
    await expect(createTableSnapshot(db, { tables: ['event_log'], name: 'before-1.2.0' })).rejects.toThrow(
      /Invalid snapshot name "before-1.2.0"/,
    );
  });

  it('lists the snapshots of this schema and drops them', async () => {
    const db = testDb.db;
    const name = uniqueName('listed');
    await createTableSnapshot(db, { tables: ['event_log'], name, by: 'bob' });
    const { snapshots } = await listTableSnapshots(db);
    expect(snapshots.find((s) => s.name === name)).toMatchObject({
      createdBy: 'bob',
      tables: [{ table: 'event_log', rows: 5 }],
    });
    expect(snapshots.every((s) => s.sourceSchema === testDb.name)).toBe(true);
    // An admin connection without a current schema lists every schema's snapshots.
    const admin = createDatabase(testDb.current.config.withDatabase(undefined));
    try {
      const everywhere = await listTableSnapshots(admin, { allSchemas: true });
      expect(everywhere.snapshots.find((s) => s.name === name)).toMatchObject({ sourceSchema: testDb.name });
      await expect(listTableSnapshots(admin)).rejects.toThrow(/no current schema/);
    } finally {
      await admin.destroy();
    }
    await dropTableSnapshot(db, name);
    expect((await listTableSnapshots(db)).snapshots.some((s) => s.name === name)).toBe(false);
    await expect(verifyTableSnapshot(db, name)).rejects.toBeInstanceOf(TableSnapshotNotFoundError);
  });
});
