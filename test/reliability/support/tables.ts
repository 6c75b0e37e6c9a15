import { sql, type Kysely } from 'kysely';
import type { BackfillRunner } from '@safemig/backfill';
import { snapshotData } from '@safemig/testkit';
import { sequence } from '../../../packages/backfill/src/__fixtures__/orders';
import { waitFor } from './processes';

/**
 * A table of `count` rows with integer ids 1..count and a text payload, generated in one INSERT ... SELECT over a
 * cross join (200k rows in about a second). `n` counts how often a backfill touched a row, `v` is the value it
 * derives, `done` marks processed rows.
 */
export async function createCountingTable(db: Kysely<any>, table: string, count: number): Promise<void> {
  await sql`DROP TABLE IF EXISTS ${sql.id(table)}`.execute(db);
  await sql`CREATE TABLE ${sql.id(table)} (
    id INT UNSIGNED NOT NULL PRIMARY KEY,
    payload VARCHAR(40) NOT NULL,
    app INT NOT NULL DEFAULT 0,
    n INT NOT NULL DEFAULT 0,
    v BIGINT NULL,
    done TINYINT NOT NULL DEFAULT 0
  ) ENGINE=InnoDB`.execute(db);
  await sql`INSERT INTO ${sql.id(table)} (id, payload)
    SELECT s.n, MD5(s.n) FROM (${sequence(count)}) s`.execute(db);
}

/** The assignments every counting backfill uses; `v` depends on `n`, so a repeated row shows in the data. */
export const COUNTING_SET = Object.freeze({
  n: 'n + 1',
  v: "CRC32(CONCAT(id, ':', payload)) + 1000 * n",
  done: '1',
});

/** Applies {@link COUNTING_SET} to every row with one UPDATE statement: the reference a backfill must equal. */
export async function applyReference(db: Kysely<any>, table: string): Promise<void> {
  const assignments = Object.entries(COUNTING_SET)
    .map(([column, expression]) => `\`${column}\` = (${expression})`)
    .join(', ');
  await sql`UPDATE ${sql.id(table)} SET ${sql.raw(assignments)} WHERE done = 0`.execute(db);
}

/** Order-independent checksum of a table's rows (testkit's `snapshotData`). */
export async function tableChecksum(db: Kysely<any>, table: string): Promise<{ rows: number; checksum: string }> {
  const snapshot = await snapshotData(db, { tables: [table] });
  const data = snapshot.tables[table];
  if (!data) throw new Error(`no table ${table}`);
  return { rows: data.rows, checksum: data.checksum };
}

/** Rows per value of `n`: `{ '1': 500 }` when each of 500 rows was touched exactly once. */
export async function touchCounts(db: Kysely<any>, table: string): Promise<Record<string, number>> {
  const result = await sql<{ n: number; c: number }>`SELECT n, COUNT(*) AS c FROM ${sql.id(table)}
    GROUP BY n ORDER BY n`.execute(db);
  return Object.fromEntries(result.rows.map((row) => [String(row.n), Number(row.c)]));
}

/** Waits until no live worker holds a range of the backfill (a killed worker's session is gone, its batch undone). */
export async function waitForRangesReleased(runner: BackfillRunner): Promise<void> {
  await waitFor(async () => {
    const status = await runner.status();
    return status.parts.some((part) => part.active) ? undefined : true;
  }, `the ranges of ${runner.definition.name} to be released`);
}
