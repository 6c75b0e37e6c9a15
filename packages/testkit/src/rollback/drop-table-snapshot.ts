import { sql, type Kysely } from 'kysely';
import { id } from '@safemig/core';
import { schemaExists, snapshotSchemaName } from './snapshot-manifest';
import { TableSnapshotNotFoundError } from './table-snapshot-errors';

/**
 * Drops a snapshot's schema (complete or not). Only schemas named `safemig_snapshot_<name>` can be dropped this way.
 *
 * ### Examples
 * ```ts
 * await dropTableSnapshot(db, 'before_1_2_0');
 * ```
 */
export async function dropTableSnapshot(db: Kysely<any>, name: string): Promise<void> {
  const schema = snapshotSchemaName(name);
  if (!(await schemaExists(db, schema)))
    throw new TableSnapshotNotFoundError(name, `does not exist (no schema ${schema})`);
  await sql`DROP DATABASE ${id(schema)}`.execute(db);
}
