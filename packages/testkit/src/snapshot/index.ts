export { snapshotData, type DataSnapshot, type SnapshotDataOptions, type TableDataSnapshot } from './data-snapshot';
export { snapshotDatabase, type DatabaseSnapshot, type Snapshot } from './database-snapshot';
export {
  snapshotSchema,
  type CheckSnapshot,
  type ColumnSnapshot,
  type ForeignKeySnapshot,
  type IndexPartSnapshot,
  type IndexSnapshot,
  type SchemaSnapshot,
  type SnapshotSchemaOptions,
  type TableSnapshot,
  type TriggerSnapshot,
  type ViewSnapshot,
} from './schema-snapshot';
export {
  diffSnapshots,
  type SnapshotChange,
  type SnapshotChangeSubject,
  type SnapshotDiff,
  type SnapshotValue,
} from './snapshot-diff';
