import type { BackfillCounters, BackfillStatus } from './checkpoint-store';
import type { RetryReason } from './retry';
import type { ThrottleReason } from './throttle';

/** One committed batch, as reported in `batch` progress events. */
export interface BatchReport {
  /** Range (checkpoint row) the batch belongs to. */
  readonly part: number;
  /** Keys walked in set mode; rows read (matching `where`) in transform mode. */
  readonly scanned: number;
  readonly updated: number;
  readonly skipped: number;
  readonly failed: number;
  readonly conflicts: number;
  readonly durationMs: number;
  /** The cursor after the batch, in checkpoint text form. */
  readonly lastKey: string;
  /** The adaptive size chosen for the next batch. */
  readonly nextBatchSize: number;
}

/** Progress of the current run: counters, rate and estimate. */
export interface RunProgress {
  /** Counters of this run (not of earlier runs of the same backfill). */
  readonly totals: BackfillCounters;
  /** Rows handled per second of this run, throttle waits included. */
  readonly rowsPerSecond: number;
  /** Share of the current range's key space behind the cursor (0..1); `null` for character keys. */
  readonly fraction: number | null;
  /** Estimated seconds left for the current range; `null` when unknown. */
  readonly etaSeconds: number | null;
}

/** Why a run ended. */
export type BackfillStopReason =
  | 'completed'
  | 'already-completed'
  | 'aborted'
  | 'error-rate'
  | 'failed'
  /** Every unfinished range is held by another live worker. */
  | 'claimed-by-others';

/** The result of `run()` / `resume()`. Counters are this run's; `total` holds every run's. */
export interface BackfillSummary extends BackfillCounters {
  readonly name: string;
  /** The backfill's state after this run, over all its ranges. */
  readonly status: BackfillStatus;
  readonly stopReason: BackfillStopReason;
  readonly durationMs: number;
  readonly rowsPerSecond: number;
  readonly longestBatchMs: number;
  readonly throttledMs: number;
  /** Rows in `safemig_backfill_error` for this backfill after the run. */
  readonly errorRows: number;
  /** Counters summed over every run and range, from the checkpoint table. */
  readonly total: BackfillCounters;
  /** Message of a failed or stopped range, if any. */
  readonly message: string | null;
}

/** Events emitted on `runner.on('progress', ...)`. */
export type BackfillProgressEvent =
  | { readonly type: 'start'; readonly backfill: string; readonly mode: 'run' | 'dry-run'; readonly worker: string }
  | {
      readonly type: 'claim';
      readonly backfill: string;
      readonly part: number;
      readonly worker: string;
      readonly lastKey: string | null;
    }
  | { readonly type: 'batch'; readonly backfill: string; readonly batch: BatchReport; readonly progress: RunProgress }
  | {
      readonly type: 'retry';
      readonly backfill: string;
      readonly part: number;
      readonly reason: RetryReason;
      readonly attempt: number;
      readonly message: string;
    }
  | { readonly type: 'throttle'; readonly backfill: string; readonly reasons: readonly ThrottleReason[] }
  | { readonly type: 'part-done'; readonly backfill: string; readonly part: number; readonly status: BackfillStatus }
  | { readonly type: 'done'; readonly backfill: string; readonly summary: BackfillSummary };
