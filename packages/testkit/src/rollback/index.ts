export { createTableSnapshot, type CreateTableSnapshotOptions, type TableSnapshotInfo } from './create-table-snapshot';
export { dropTableSnapshot } from './drop-table-snapshot';
export {
  listTableSnapshots,
  type IncompleteTableSnapshot,
  type ListTableSnapshotsOptions,
  type TableSnapshotList,
} from './list-table-snapshots';
export {
  restoreTableSnapshot,
  type RestoredTable,
  type RestoreTableSnapshotOptions,
  type TableSnapshotRestore,
} from './restore-table-snapshot';
export { SNAPSHOT_MANIFEST_TABLE, SNAPSHOT_SCHEMA_PREFIX, type SnapshotManifestEntry } from './snapshot-manifest';
export { DEFAULT_COPY_BATCH_SIZE } from './table-copy';
export {
  InvalidTableSnapshotError,
  TABLE_SNAPSHOT_ERROR_CODES,
  TableChangedWhileCopyingError,
  TableSnapshotExistsError,
  TableSnapshotNotFoundError,
  TableSnapshotNotVerifiedError,
  TableWithoutPrimaryKeyError,
  UnsupportedSnapshotTableError,
  type SnapshotMismatch,
} from './table-snapshot-errors';
export { verifyTableSnapshot, type TableSnapshotVerification } from './verify-table-snapshot';
export {
  DRILL_IGNORED_TABLE_PATTERN,
  rollbackDrill,
  type RollbackDrillKeep,
  type RollbackDrillOptions,
  type RollbackDrillReport,
} from './rollback-drill';
export { ROLLBACK_DRILL_FAILED, RollbackDrillError, type RollbackDrillStage } from './rollback-drill-error';
