import { sql, type Kysely } from 'kysely';
import { resolveSchema } from '../snapshot/schema-snapshot';
import type { TableSnapshotInfo } from './create-table-snapshot';
import { readManifest, SNAPSHOT_SCHEMA_PREFIX } from './snapshot-manifest';
import { TableSnapshotNotFoundError } from './table-snapshot-errors';

export interface ListTableSnapshotsOptions {
  /** List the snapshots of every schema on the server, not only those taken from the connection's schema. */
  readonly allSchemas?: boolean;
}

/** A snapshot schema without a manifest: its creation did not finish (it is never restored). */
export interface IncompleteTableSnapshot {
  readonly name: string;
  readonly schema: string;
}

export interface TableSnapshotList {
  /** Newest first. */
  readonly snapshots: readonly TableSnapshotInfo[];
  readonly incomplete: readonly IncompleteTableSnapshot[];
}

/**
 * The table snapshots on the server taken from the connection's schema (or from every schema), newest first, and
 * the snapshot schemas whose creation did not finish.
 *
 * ### Examples
 * ```ts
 * const { snapshots } = await listTableSnapshots(db);
 * for (const s of snapshots) console.log(s.name, s.createdAt, s.tables.map((t) => t.table));
 * ```
 */
export async function listTableSnapshots(
  db: Kysely<any>,
  options: ListTableSnapshotsOptions = {},
): Promise<TableSnapshotList> {
  // Listing every schema's snapshots works on a connection without a current schema (an admin connection).
  const current = options.allSchemas ? undefined : await resolveSchema(db, undefined);
  const schemas = await sql<{ name: string }>`
    SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA
    WHERE SCHEMA_NAME LIKE ${`${SNAPSHOT_SCHEMA_PREFIX.replace(/_/g, '\\_')}%`} ORDER BY SCHEMA_NAME`.execute(db);
  const snapshots: TableSnapshotInfo[] = [];
  const incomplete: IncompleteTableSnapshot[] = [];
  for (const { name: schema } of schemas.rows) {
    const name = String(schema).slice(SNAPSHOT_SCHEMA_PREFIX.length);
    try {
      const manifest = await readManifest(db, name);
      const first = manifest[0]!;
      if (!options.allSchemas && first.sourceSchema !== current) continue;
      snapshots.push({
        name,
        schema: String(schema),
        sourceSchema: first.sourceSchema,
        createdAt: first.createdAt,
        createdBy: first.createdBy,
        tables: manifest.map(({ table, rows, checksum }) => ({ table, rows, checksum })),
      });
    } catch (error) {
      if (!(error instanceof TableSnapshotNotFoundError)) throw error;
      incomplete.push({ name, schema: String(schema) });
    }
  }
  snapshots.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  return { snapshots, incomplete };
}
