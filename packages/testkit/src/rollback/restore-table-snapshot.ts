import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { id, MAX_IDENTIFIER_LENGTH } from '@safemig/core';
import { snapshotData } from '../snapshot/data-snapshot';
import { resolveSchema } from '../snapshot/schema-snapshot';
import { readManifest, snapshotSchemaName } from './snapshot-manifest';
import { assertSnapshotable, copyRows, tableExists, tableShape, DEFAULT_COPY_BATCH_SIZE } from './table-copy';
import { InvalidTableSnapshotError, TableSnapshotNotVerifiedError } from './table-snapshot-errors';
import { compareWithManifest, verifyTableSnapshot } from './verify-table-snapshot';

export interface RestoreTableSnapshotOptions {
  /**
   * Keep the replaced live tables, renamed to `safemig_old_<time>_<table>`, e.g. to export the rows written since
   * the snapshot. Default false: they are dropped after the swap.
   */
  readonly keepOld?: boolean;
  /** Rows per `INSERT ... SELECT` batch. */
  readonly batchSize?: number;
}

/** One restored table. */
export interface RestoredTable {
  readonly table: string;
  readonly rows: number;
  /** The replaced live table when `keepOld` was set and the table existed; otherwise undefined. */
  readonly oldTable: string | undefined;
}

export interface TableSnapshotRestore {
  readonly name: string;
  readonly tables: readonly RestoredTable[];
}

/**
 * Puts a snapshot's tables back into the schema they were taken from:
 * 1. verifies the snapshot against its manifest and refuses ({@link TableSnapshotNotVerifiedError}, naming each
 *    table with both checksums) when it does not verify;
 * 2. copies each table into a staging table next to the live one and verifies the copy again;
 * 3. swaps all tables at once with ONE `RENAME TABLE live TO old, staging TO live, ...` (atomic on both servers);
 * 4. drops the old tables unless `keepOld`.
 * The live tables are untouched until step 3, so a failure before it changes nothing (staging tables are dropped).
 *
 * ### Examples
 * ```ts
 * const restored = await restoreTableSnapshot(db, 'before_1_2_0', { keepOld: true });
 * console.log(restored.tables); // [{ table: 'external_order', rows: 120, oldTable: 'safemig_old_..._external_order' }]
 * ```
 */
export async function restoreTableSnapshot(
  db: Kysely<any>,
  name: string,
  options: RestoreTableSnapshotOptions = {},
): Promise<TableSnapshotRestore> {
  const schema = snapshotSchemaName(name);
  const verification = await verifyTableSnapshot(db, name);
  if (!verification.verified) throw new TableSnapshotNotVerifiedError(name, verification.mismatches);
  const manifest = await readManifest(db, name);
  const target = await resolveSchema(db, undefined);
  if (verification.sourceSchema !== target) {
    throw new InvalidTableSnapshotError(
      `The table snapshot ${name} was taken from schema ${verification.sourceSchema}, but the connection is on ${target}.`,
      `Connect to ${verification.sourceSchema} to restore it.`,
    );
  }
  const stamp = Math.floor(Date.now() / 1000).toString(36);
  const plan = [];
  for (const entry of manifest) {
    const live = { schema: target, table: entry.table };
    const exists = await tableExists(db, live);
    if (exists) await assertSnapshotable(db, live);
    plan.push({
      entry,
      exists,
      staging: derivedName('safemig_restore_', entry.table),
      old: derivedName(`safemig_old_${stamp}_`, entry.table),
    });
  }
  try {
    for (const { entry, staging } of plan) {
      await sql`DROP TABLE IF EXISTS ${id(staging)}`.execute(db);
      await sql`CREATE TABLE ${id(staging)} LIKE ${id(schema)}.${id(entry.table)}`.execute(db);
      const from = { schema, table: entry.table };
      await copyRows(
        db,
        from,
        { schema: target, table: staging },
        await tableShape(db, from),
        options.batchSize ?? DEFAULT_COPY_BATCH_SIZE,
      );
    }
    const copies = await snapshotData(db, { schema: target, tables: plan.map((step) => step.staging) });
    const stagingOf = new Map(plan.map((step) => [step.entry.table, step.staging]));
    const mismatches = compareWithManifest(manifest, (table) => copies.tables[stagingOf.get(table)!]);
    if (mismatches.length > 0) throw new TableSnapshotNotVerifiedError(name, mismatches, 'the restored copy');
  } catch (error) {
    for (const { staging } of plan) await sql`DROP TABLE IF EXISTS ${id(staging)}`.execute(db);
    throw error;
  }
  const renames = plan.flatMap(({ entry, exists, staging, old }) => [
    ...(exists ? [sql`${id(entry.table)} TO ${id(old)}`] : []),
    sql`${id(staging)} TO ${id(entry.table)}`,
  ]);
  await sql`RENAME TABLE ${sql.join(renames)}`.execute(db);
  if (!options.keepOld) {
    for (const { exists, old } of plan) if (exists) await sql`DROP TABLE ${id(old)}`.execute(db);
  }
  return {
    name,
    tables: plan.map(({ entry, exists, old }) => ({
      table: entry.table,
      rows: entry.rows,
      oldTable: exists && options.keepOld ? old : undefined,
    })),
  };
}

/** `prefix + table`, or `prefix + a hash of the table` when that would exceed the identifier limit. */
function derivedName(prefix: string, table: string): string {
  const name = `${prefix}${table}`;
  if (name.length <= MAX_IDENTIFIER_LENGTH) return name;
  return `${prefix}${createHash('sha256').update(table).digest('hex').slice(0, 16)}`;
}
