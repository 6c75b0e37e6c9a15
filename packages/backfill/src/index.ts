export * from './backfill-errors';
export * from './backfill-events';
export * from './backfill-runner';
export {
  BACKFILL_CHECKPOINT_TABLE,
  type BackfillCounters,
  type BackfillStatus,
  type CheckpointRow,
} from './checkpoint-store';
export * from './definition';
export { DRY_RUN_WRITE_FACTOR, type DryRunReport, type DryRunSample } from './dry-run';
export { BACKFILL_ERROR_TABLE, type BackfillErrorReason, type BackfillErrorRow } from './error-store';
export * from './metrics';
export * from './replica-lag';
export * from './retry';
export * from './throttle';
export * from './backfill-completed';
