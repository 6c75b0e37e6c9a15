import { sql, type Kysely } from 'kysely';
import { useTestDatabase } from '../provisioning';
import { snapshotData } from './data-snapshot';
import { diffSnapshots } from './snapshot-diff';

const testDb = useTestDatabase({ scope: 'test' });

async function createItems(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE item (
    id BINARY(16) NOT NULL PRIMARY KEY,
    label VARCHAR(32) NULL,
    blob_value BLOB NULL,
    doc JSON NULL,
    amount DECIMAL(8,2) NULL
  )`.execute(db);
}

const ROWS = [
  sql`(UNHEX('00000000000000000000000000000001'), 'a', UNHEX('00FF'), '{"a": 1}', 1.50)`,
  sql`(UNHEX('00000000000000000000000000000002'), NULL, NULL, NULL, NULL)`,
  sql`(UNHEX('00000000000000000000000000000003'), '', UNHEX(''), '[]', 0)`,
];

async function insert(db: Kysely<any>, rows: readonly (typeof ROWS)[number][]): Promise<void> {
  await sql`INSERT INTO item (id, label, blob_value, doc, amount) VALUES ${sql.join(rows)}`.execute(db);
}

describe('snapshotData', () => {
  it('counts rows and gives the same checksum whatever the row order', async () => {
    const { db } = testDb;
    await createItems(db);
    await insert(db, ROWS);
    const forward = await snapshotData(db);
    await sql`DELETE FROM item`.execute(db);
    await insert(db, [...ROWS].reverse());
    const backward = await snapshotData(db);
    expect(forward.tables.item?.rows).toBe(3);
    expect(backward).toEqual(forward);
  });

  it('changes when rows are duplicated, where an XOR checksum would cancel pairs out', async () => {
    const { db } = testDb;
    await sql`CREATE TABLE tag (name VARCHAR(16) NULL)`.execute(db);
    await sql`INSERT INTO tag (name) VALUES ('x')`.execute(db);
    const once = await snapshotData(db);
    await sql`INSERT INTO tag (name) VALUES ('x')`.execute(db);
    const twice = await snapshotData(db);
    await sql`UPDATE tag SET name = 'y'`.execute(db);
    // XOR of x, x and XOR of y, y are both 0; the sum of row hashes tells them apart.
    const twoY = await snapshotData(db);
    expect([once.tables.tag?.rows, twice.tables.tag?.rows, twoY.tables.tag?.rows]).toEqual([1, 2, 2]);
    expect(twice.tables.tag?.checksum).not.toBe(once.tables.tag?.checksum);
    expect(twoY.tables.tag?.checksum).not.toBe(twice.tables.tag?.checksum);
  });

  it('tells NULL from empty and from the string N, for text, BLOB and JSON alike', async () => {
    const { db } = testDb;
    await createItems(db);
    const id = sql`UNHEX('00000000000000000000000000000009')`;
    const byColumn: Record<'label' | 'blob_value' | 'doc' | 'row', string[]> = {
      label: [],
      blob_value: [],
      doc: [],
      row: [],
    };
    for (const [label, blob, doc] of [
      [sql`NULL`, sql`NULL`, sql`NULL`],
      [sql`''`, sql`UNHEX('')`, sql`'""'`],
      [sql`'N'`, sql`'N'`, sql`'"N"'`],
    ]) {
      await sql`DELETE FROM item`.execute(db);
      await sql`INSERT INTO item (id, label, blob_value, doc) VALUES (${id}, ${label}, ${blob}, ${doc})`.execute(db);
      const item = (await snapshotData(db)).tables.item!;
      byColumn.label.push(item.columns.label!);
      byColumn.blob_value.push(item.columns.blob_value!);
      byColumn.doc.push(item.columns.doc!);
      byColumn.row.push(item.checksum);
    }
    for (const checksums of Object.values(byColumn)) expect(new Set(checksums).size).toBe(3);
  });

  it('names the column whose values changed, and detects values moved between rows', async () => {
    const { db } = testDb;
    await createItems(db);
    await insert(db, ROWS);
    const before = await snapshotData(db);
    await sql`UPDATE item SET amount = amount + 1 WHERE amount IS NOT NULL`.execute(db);
    expect(diffSnapshots(before, await snapshotData(db)).lines).toEqual(['item.amount: values changed (same 3 rows)']);
    await sql`UPDATE item SET amount = amount - 1 WHERE amount IS NOT NULL`.execute(db);
    // Swap two labels: every column holds the same set of values, the rows differ.
    await sql`UPDATE item SET label = IF(label = 'a', '', 'a') WHERE label IS NOT NULL`.execute(db);
    expect(diffSnapshots(before, await snapshotData(db)).lines).toEqual([
      "item: values moved between rows (3 rows, every column's set of values unchanged)",
    ]);
  });

  it('leaves out the tables and columns it is told to, and reads only the tables asked for', async () => {
    const { db } = testDb;
    await createItems(db);
    await sql`CREATE TABLE audit (at DATETIME NULL)`.execute(db);
    await insert(db, ROWS);
    const before = await snapshotData(db, { ignoreColumns: ['amount'], ignoreTables: ['audit'] });
    expect(Object.keys(before.tables)).toEqual(['item']);
    expect(Object.keys(before.tables.item!.columns)).toEqual(['blob_value', 'doc', 'id', 'label']);
    await sql`UPDATE item SET amount = 99`.execute(db);
    await sql`INSERT INTO audit (at) VALUES (NOW())`.execute(db);
    expect(
      diffSnapshots(before, await snapshotData(db, { ignoreColumns: ['item.amount'], ignoreTables: ['audit'] })).equal,
    ).toBe(true);
    expect(Object.keys((await snapshotData(db, { tables: ['audit', 'missing'] })).tables)).toEqual(['audit']);
  });
});
