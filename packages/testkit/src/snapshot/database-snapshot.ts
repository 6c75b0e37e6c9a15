import type { Kysely } from 'kysely';
import { snapshotData, type DataSnapshot, type SnapshotDataOptions } from './data-snapshot';
import { resolveSchema, snapshotSchema, type SchemaSnapshot } from './schema-snapshot';

/** Schema and data of one schema at one moment: what the idempotency harness compares between runs. */
export interface DatabaseSnapshot {
  readonly kind: 'database';
  readonly schema: SchemaSnapshot;
  readonly data: DataSnapshot;
}

/** Any snapshot {@link diffSnapshots} compares. */
export type Snapshot = SchemaSnapshot | DataSnapshot | DatabaseSnapshot;

/**
 * {@link snapshotSchema} and {@link snapshotData} together.
 *
 * ### Examples
 * ```ts
 * const before = await snapshotDatabase(db, { ignoreColumns: ['updated_at'] });
 * await step.update(db);
 * expect(diffSnapshots(before, await snapshotDatabase(db)).lines).toEqual([]);
 * ```
 */
export async function snapshotDatabase(db: Kysely<any>, options: SnapshotDataOptions = {}): Promise<DatabaseSnapshot> {
  const schemaName = await resolveSchema(db, options.schema);
  const [schema, data] = await Promise.all([
    snapshotSchema(db, { schema: schemaName }),
    snapshotData(db, { ...options, schema: schemaName }),
  ]);
  return { kind: 'database', schema, data };
}
