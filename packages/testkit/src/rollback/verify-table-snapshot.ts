import type { Kysely } from 'kysely';
import { snapshotData } from '../snapshot/data-snapshot';
import { readManifest, snapshotSchemaName, type SnapshotManifestEntry } from './snapshot-manifest';
import type { SnapshotMismatch } from './table-snapshot-errors';

/** The outcome of {@link verifyTableSnapshot}. */
export interface TableSnapshotVerification {
  readonly name: string;
  readonly schema: string;
  readonly sourceSchema: string;
  /** True when every table's rows and checksum equal the manifest. */
  readonly verified: boolean;
  readonly tables: readonly (SnapshotManifestEntry & { readonly verified: boolean })[];
  readonly mismatches: readonly SnapshotMismatch[];
}

/**
 * Recomputes the row count and checksum of every table in a snapshot and compares them with its manifest. Does not
 * throw on a mismatch: `verified` is false and `mismatches` names each table with both checksums.
 *
 * ### Examples
 * ```ts
 * const check = await verifyTableSnapshot(db, 'before_1_2_0');
 * if (!check.verified) console.log(check.mismatches);
 * ```
 */
export async function verifyTableSnapshot(db: Kysely<any>, name: string): Promise<TableSnapshotVerification> {
  const manifest = await readManifest(db, name);
  const schema = snapshotSchemaName(name);
  const data = await snapshotData(db, { schema, tables: manifest.map((entry) => entry.table) });
  const mismatches = compareWithManifest(manifest, (table) => data.tables[table]);
  const failed = new Set(mismatches.map((mismatch) => mismatch.table));
  return {
    name,
    schema,
    sourceSchema: manifest[0]!.sourceSchema,
    verified: mismatches.length === 0,
    tables: manifest.map((entry) => ({ ...entry, verified: !failed.has(entry.table) })),
    mismatches,
  };
}

/** The tables whose rows or checksum differ from the manifest (or are missing). */
export function compareWithManifest(
  manifest: readonly SnapshotManifestEntry[],
  actual: (table: string) => { readonly rows: number; readonly checksum: string } | undefined,
): SnapshotMismatch[] {
  return manifest.flatMap((entry) => {
    const found = actual(entry.table);
    if (found && found.rows === entry.rows && found.checksum === entry.checksum) return [];
    return [
      {
        table: entry.table,
        expectedRows: entry.rows,
        actualRows: found ? found.rows : null,
        expectedChecksum: entry.checksum,
        actualChecksum: found ? found.checksum : null,
      },
    ];
  });
}
