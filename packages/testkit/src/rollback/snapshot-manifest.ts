import { sql, type Kysely } from 'kysely';
import { id, MAX_IDENTIFIER_LENGTH } from '@safemig/core';
import { InvalidTableSnapshotError, TableSnapshotNotFoundError } from './table-snapshot-errors';

/** Every table snapshot is a schema named `safemig_snapshot_<name>` on the same server. */
export const SNAPSHOT_SCHEMA_PREFIX = 'safemig_snapshot_';

/** The table in the snapshot schema that records what was copied, from where, when and by whom. */
export const SNAPSHOT_MANIFEST_TABLE = 'safemig_snapshot_manifest';

const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

/** One table of a snapshot, as its manifest recorded it at creation. */
export interface SnapshotManifestEntry {
  readonly table: string;
  readonly rows: number;
  /** The order-independent checksum of `snapshotData` over the copied rows. */
  readonly checksum: string;
  readonly sourceSchema: string;
  readonly createdAt: Date;
  readonly createdBy: string;
}

/** The schema name of a snapshot, after checking the name fits an identifier. */
export function snapshotSchemaName(name: string): string {
  const longest = MAX_IDENTIFIER_LENGTH - SNAPSHOT_SCHEMA_PREFIX.length;
  if (!NAME_PATTERN.test(name) || name.length > longest) {
    throw new InvalidTableSnapshotError(
      `Invalid snapshot name ${JSON.stringify(name)}.`,
      `Use letters, digits and _ only, at most ${longest} characters, e.g. before_1_2_0.`,
    );
  }
  return `${SNAPSHOT_SCHEMA_PREFIX}${name}`;
}

/** Whether a schema exists on the server (information_schema, portable). */
export async function schemaExists(db: Kysely<any>, schema: string): Promise<boolean> {
  const result = await sql`SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${schema}`.execute(db);
  return result.rows.length > 0;
}

/** Creates the manifest table in a snapshot schema. */
export async function createManifestTable(db: Kysely<any>, schema: string): Promise<void> {
  await sql`
    CREATE TABLE ${id(schema)}.${id(SNAPSHOT_MANIFEST_TABLE)} (
      \`table_name\` VARCHAR(64) NOT NULL,
      \`position\` INT NOT NULL,
      \`row_count\` BIGINT UNSIGNED NOT NULL,
      \`checksum\` VARCHAR(40) NOT NULL,
      \`source_schema\` VARCHAR(64) NOT NULL,
      \`created_at\` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      \`created_by\` VARCHAR(255) NOT NULL,
      PRIMARY KEY (\`table_name\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);
}

/**
 * Reads a snapshot's manifest, in the order the tables were given. A schema without a manifest (or with an empty
 * one) is a snapshot whose creation did not finish, and reads as not found.
 */
export async function readManifest(db: Kysely<any>, name: string): Promise<SnapshotManifestEntry[]> {
  const schema = snapshotSchemaName(name);
  if (!(await schemaExists(db, schema)))
    throw new TableSnapshotNotFoundError(name, `does not exist (no schema ${schema})`);
  const manifest = await sql`
    SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ${SNAPSHOT_MANIFEST_TABLE}`.execute(
    db,
  );
  const rows =
    manifest.rows.length === 0
      ? []
      : (
          await sql<{
            table_name: string;
            row_count: number | string;
            checksum: string;
            source_schema: string;
            created_at: Date;
            created_by: string;
          }>`
            SELECT \`table_name\`, \`row_count\`, \`checksum\`, \`source_schema\`, \`created_at\`, \`created_by\`
            FROM ${id(schema)}.${id(SNAPSHOT_MANIFEST_TABLE)} ORDER BY \`position\``.execute(db)
        ).rows;
  if (rows.length === 0) {
    throw new TableSnapshotNotFoundError(
      name,
      `is incomplete: schema ${schema} has no manifest, so its creation did not finish; drop it with \`safemig snapshot drop ${name}\``,
    );
  }
  return rows.map((row) => ({
    table: row.table_name,
    rows: Number(row.row_count),
    checksum: String(row.checksum),
    sourceSchema: row.source_schema,
    createdAt: row.created_at,
    createdBy: row.created_by,
  }));
}

/** Writes the manifest in one statement, the last step of a snapshot: a manifest means every table was copied. */
export async function writeManifest(
  db: Kysely<any>,
  schema: string,
  entries: readonly Omit<SnapshotManifestEntry, 'createdAt'>[],
): Promise<void> {
  const values = entries.map(
    (entry, position) =>
      sql`(${entry.table}, ${position}, ${entry.rows}, ${entry.checksum}, ${entry.sourceSchema}, ${entry.createdBy})`,
  );
  await sql`
    INSERT INTO ${id(schema)}.${id(SNAPSHOT_MANIFEST_TABLE)}
      (\`table_name\`, \`position\`, \`row_count\`, \`checksum\`, \`source_schema\`, \`created_by\`)
    VALUES ${sql.join(values)}`.execute(db);
}
