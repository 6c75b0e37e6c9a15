import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { id, validateIdentifier } from '@safemig/core';
import { snapshotData } from '../snapshot/data-snapshot';
import { resolveSchema } from '../snapshot/schema-snapshot';
import {
  createManifestTable,
  schemaExists,
  snapshotSchemaName,
  SNAPSHOT_MANIFEST_TABLE,
  writeManifest,
  type SnapshotManifestEntry,
} from './snapshot-manifest';
import { assertSnapshotable, copyRows, tableExists, tableShape, DEFAULT_COPY_BATCH_SIZE } from './table-copy';
import {
  InvalidTableSnapshotError,
  TableChangedWhileCopyingError,
  TableSnapshotExistsError,
} from './table-snapshot-errors';

export interface CreateTableSnapshotOptions {
  /** The tables to copy, in the connection's current schema. */
  readonly tables: readonly string[];
  /** Letters, digits and `_`; the schema is `safemig_snapshot_<name>`. Defaults to a UTC timestamp plus 4 hex digits. */
  readonly name?: string;
  /** Who takes the snapshot; recorded in the manifest. Defaults to `$SAFEMIG_USER`, `$USER`, else `safemig`. */
  readonly by?: string;
  /** Rows per `INSERT ... SELECT` batch. */
  readonly batchSize?: number;
}

/** A snapshot as its manifest describes it. */
export interface TableSnapshotInfo {
  readonly name: string;
  /** `safemig_snapshot_<name>`. */
  readonly schema: string;
  readonly sourceSchema: string;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly tables: readonly Pick<SnapshotManifestEntry, 'table' | 'rows' | 'checksum'>[];
}

/**
 * Copies tables (structure with `CREATE TABLE ... LIKE`, rows in keyset batches by primary key) into a new schema
 * `safemig_snapshot_<name>` on the same server, checks each copy against the live table's checksum, and records
 * table, row count, checksum, source schema, time and author in the snapshot's manifest table. Take one before a
 * risky or destructive step; {@link restoreTableSnapshot} puts the tables back.
 *
 * Refused: a table without a primary key, with triggers, or with foreign keys from or to it (a table snapshot carries
 * neither; see docs/rollback-runbook.md for whole-database backups). When a table changes while it is copied, the
 * snapshot is dropped and {@link TableChangedWhileCopyingError} says to stop the writes first.
 *
 * ### Examples
 * ```ts
 * const snapshot = await createTableSnapshot(db, { tables: ['external_order'], name: 'before_1_2_0', by: 'alice' });
 * console.log(snapshot.schema, snapshot.tables); // safemig_snapshot_before_1_2_0 [{ table, rows, checksum }]
 * ```
 */
export async function createTableSnapshot(
  db: Kysely<any>,
  options: CreateTableSnapshotOptions,
): Promise<TableSnapshotInfo> {
  const name = options.name ?? defaultSnapshotName();
  const schema = snapshotSchemaName(name);
  const createdBy = options.by?.trim() || process.env.SAFEMIG_USER || process.env.USER || 'safemig';
  const tables = validTables(options.tables);
  const sourceSchema = await resolveSchema(db, undefined);
  const shapes = [];
  for (const table of tables) {
    const ref = { schema: sourceSchema, table };
    if (!(await tableExists(db, ref))) {
      throw new InvalidTableSnapshotError(
        `Table ${table} does not exist in ${sourceSchema}.`,
        'Name existing base tables of the current schema with --tables.',
      );
    }
    shapes.push(await tableShape(db, ref));
    await assertSnapshotable(db, ref);
  }
  if (await schemaExists(db, schema)) throw new TableSnapshotExistsError(name, schema);
  await sql`CREATE DATABASE ${id(schema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(db);
  try {
    for (const [index, table] of tables.entries()) {
      await sql`CREATE TABLE ${id(schema)}.${id(table)} LIKE ${id(sourceSchema)}.${id(table)}`.execute(db);
      await copyRows(
        db,
        { schema: sourceSchema, table },
        { schema, table },
        shapes[index]!,
        options.batchSize ?? DEFAULT_COPY_BATCH_SIZE,
      );
    }
    const [live, copy] = await Promise.all([
      snapshotData(db, { schema: sourceSchema, tables }),
      snapshotData(db, { schema, tables }),
    ]);
    const entries = tables.map((table) => {
      const liveTable = live.tables[table]!;
      const copied = copy.tables[table]!;
      if (liveTable.checksum !== copied.checksum || liveTable.rows !== copied.rows) {
        throw new TableChangedWhileCopyingError(table, liveTable.checksum, copied.checksum);
      }
      return { table, rows: copied.rows, checksum: copied.checksum, sourceSchema, createdBy };
    });
    await createManifestTable(db, schema);
    await writeManifest(db, schema, entries);
    const created = await sql<{ at: Date }>`
      SELECT MIN(\`created_at\`) AS \`at\` FROM ${id(schema)}.${id(SNAPSHOT_MANIFEST_TABLE)}`.execute(db);
    return {
      name,
      schema,
      sourceSchema,
      createdAt: created.rows[0]!.at,
      createdBy,
      tables: entries.map(({ table, rows, checksum }) => ({ table, rows, checksum })),
    };
  } catch (error) {
    // A half-made snapshot must never be mistaken for a good one.
    await sql`DROP DATABASE IF EXISTS ${id(schema)}`.execute(db);
    throw error;
  }
}

function validTables(tables: readonly string[]): string[] {
  if (tables.length === 0) {
    throw new InvalidTableSnapshotError('A table snapshot needs at least one table.', 'Pass --tables a,b.');
  }
  const unique = [...new Set(tables.map((table) => validateIdentifier(table)))];
  if (unique.includes(SNAPSHOT_MANIFEST_TABLE)) {
    throw new InvalidTableSnapshotError(
      `Table ${SNAPSHOT_MANIFEST_TABLE} cannot be snapshotted: the snapshot's manifest has that name.`,
      'Take a whole-database backup for it instead.',
    );
  }
  return unique;
}

function defaultSnapshotName(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `${stamp}_${randomBytes(2).toString('hex')}`;
}
