import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackfillCounters } from './checkpoint-store';
import type { RetryReason } from './retry';

/** Names of the prom-client metrics a backfill updates when a registry is given. */
export const BACKFILL_METRIC_NAMES = {
  rows: 'safemig_backfill_rows_total',
  batches: 'safemig_backfill_batches_total',
  retries: 'safemig_backfill_retries_total',
  batchDuration: 'safemig_backfill_batch_duration_seconds',
  batchSize: 'safemig_backfill_batch_size',
  throttled: 'safemig_backfill_throttled',
} as const;

/**
 * The backfill's prom-client metrics in a registry the caller owns (nothing is registered globally). Several
 * backfills share the metrics, told apart by the `backfill` label.
 *
 * ### Examples
 * ```ts
 * const registry = new Registry();
 * const runner = new BackfillRunner({ db, definition, registry });
 * await runner.run();
 * console.log(await registry.metrics());
 * ```
 */
export class BackfillMetrics {
  readonly #rows: Counter<'backfill' | 'outcome'>;
  readonly #batches: Counter<'backfill'>;
  readonly #retries: Counter<'backfill' | 'reason'>;
  readonly #duration: Histogram<'backfill'>;
  readonly #size: Gauge<'backfill'>;
  readonly #throttled: Gauge<'backfill'>;

  constructor(registry: Registry) {
    // Loaded here rather than at import: a backfill without a registry (most workers) does not pay for prom-client.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Counter, Gauge, Histogram } = require('prom-client') as typeof import('prom-client');
    const reuse = <T>(name: string, create: () => T): T =>
      (registry.getSingleMetric(name) as T | undefined) ?? create();
    const registers = [registry];
    this.#rows = reuse(
      BACKFILL_METRIC_NAMES.rows,
      () =>
        new Counter({
          name: BACKFILL_METRIC_NAMES.rows,
          help: 'Rows handled by safemig backfills, by outcome (updated, skipped, failed, conflict).',
          labelNames: ['backfill', 'outcome'] as const,
          registers,
        }),
    );
    this.#batches = reuse(
      BACKFILL_METRIC_NAMES.batches,
      () =>
        new Counter({
          name: BACKFILL_METRIC_NAMES.batches,
          help: 'Batches committed by safemig backfills.',
          labelNames: ['backfill'] as const,
          registers,
        }),
    );
    this.#retries = reuse(
      BACKFILL_METRIC_NAMES.retries,
      () =>
        new Counter({
          name: BACKFILL_METRIC_NAMES.retries,
          help: 'Batches retried after a deadlock, lock wait timeout, statement timeout or lost connection.',
          labelNames: ['backfill', 'reason'] as const,
          registers,
        }),
    );
    this.#duration = reuse(
      BACKFILL_METRIC_NAMES.batchDuration,
      () =>
        new Histogram({
          name: BACKFILL_METRIC_NAMES.batchDuration,
          help: 'Duration of one backfill batch (read, write and checkpoint), in seconds.',
          labelNames: ['backfill'] as const,
          buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
          registers,
        }),
    );
    this.#size = reuse(
      BACKFILL_METRIC_NAMES.batchSize,
      () =>
        new Gauge({
          name: BACKFILL_METRIC_NAMES.batchSize,
          help: 'Current adaptive batch size of a backfill.',
          labelNames: ['backfill'] as const,
          registers,
        }),
    );
    this.#throttled = reuse(
      BACKFILL_METRIC_NAMES.throttled,
      () =>
        new Gauge({
          name: BACKFILL_METRIC_NAMES.throttled,
          help: '1 while a backfill waits for replica lag or server load to come down.',
          labelNames: ['backfill'] as const,
          registers,
        }),
    );
  }

  /** Records one committed batch. */
  batch(backfill: string, delta: Partial<BackfillCounters>, durationMs: number, nextSize: number): void {
    const outcomes = {
      updated: delta.updated,
      skipped: delta.skipped,
      failed: delta.failed,
      conflict: delta.conflicts,
    };
    for (const [outcome, value] of Object.entries(outcomes)) {
      if (value) this.#rows.inc({ backfill, outcome }, value);
    }
    this.#batches.inc({ backfill });
    this.#duration.observe({ backfill }, durationMs / 1000);
    this.#size.set({ backfill }, nextSize);
  }

  retry(backfill: string, reason: RetryReason): void {
    this.#retries.inc({ backfill, reason });
  }

  throttled(backfill: string, throttled: boolean): void {
    this.#throttled.set({ backfill }, throttled ? 1 : 0);
  }
}
