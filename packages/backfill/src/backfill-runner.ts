import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { lockNameFor, SILENT_LOGGER, withNamedLock, type Logger } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import {
  BackfillDefinitionChangedError,
  BackfillFailedError,
  BackfillKeyError,
  BackfillNotStartedError,
  BackfillActiveError,
} from './backfill-errors';
import type { BackfillProgressEvent, BackfillStopReason, BackfillSummary, BatchReport } from './backfill-events';
import { BatchSizer, estimateBatchBytes } from './batch-sizer';
import {
  addCounters,
  CheckpointStore,
  ZERO_COUNTERS,
  type BackfillCounters,
  type BackfillStatus,
  type CheckpointRow,
  type ClaimedPart,
  type PartRange,
} from './checkpoint-store';
import { decodeKey, encodeKey, type KeyTuple, type KeyValue } from './cursor';
import {
  changedDefinitionFields,
  defineBackfill,
  definitionHash,
  describeDefinition,
  type BackfillDefinition,
  type BackfillDefinitionInput,
  type TransformBackfillDefinition,
} from './definition';
import { dryRunBackfill, type DryRunReport } from './dry-run';
import { ErrorStore, type BackfillErrorRow } from './error-store';
import { keyBounds, nextKeyChunk } from './key-chunk';
import { fractionOf, isMeasurable, splitKeySpace } from './key-space';
import { BackfillMetrics } from './metrics';
import { ProgressTracker } from './progress-tracker';
import { retryReasonOf, withRetry, type RetryOptions, type RetryReason } from './retry';
import { applySetChunk } from './set-mode';
import { loadTableShape, type TableShape } from './table-shape';
import { Throttle, type ThrottleOptions, type ThrottleReason } from './throttle';
import { inTransaction } from './transaction';
import {
  readChunkRows,
  readRowByKey,
  patchCheckerFor,
  transformRow,
  transformRowNow,
  writeRow,
  writeRowsTogether,
  type PendingWrite,
  type ReadRow,
} from './transform-mode';

/** Session `innodb_lock_wait_timeout` of backfill connections: short, so the backfill yields to the application. */
export const DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS = 1;
/** An info log line at most this often (every batch is logged at debug level). */
export const DEFAULT_LOG_INTERVAL_MS = 5_000;
/** `maxErrorRate` is only judged once a run has processed this many rows. */
export const ERROR_RATE_MIN_ROWS = 100;

const BATCH_RETRY_REASONS: readonly RetryReason[] = [
  'deadlock',
  'lock-wait-timeout',
  'statement-timeout',
  'query-interrupted',
];

export interface BackfillRunnerProps {
  readonly db: Kysely<any>;
  /** A definition from {@link defineBackfill}, or its input (validated here). */
  readonly definition: BackfillDefinition | BackfillDefinitionInput;
  /** pino or any logger with debug/info/warn/error. */
  readonly logger?: Logger;
  /** A prom-client registry to record metrics in; none by default. */
  readonly registry?: Registry;
  readonly throttle?: ThrottleOptions;
  readonly retry?: RetryOptions;
  /** Session `innodb_lock_wait_timeout` in seconds while the backfill writes. Default 1. */
  readonly lockWaitTimeoutSeconds?: number;
  readonly logIntervalMs?: number;
  /** Name of this worker in the checkpoint table; default `host:pid`. */
  readonly worker?: string;
}

export interface BackfillRunOptions {
  /** Aborting pauses the run cleanly after the current batch (resumable). */
  readonly signal?: AbortSignal;
  /** Workers in this process, each with its own connection, sharing the ranges (needs `parts` > 1). Default 1. */
  readonly workers?: number;
}

export interface BackfillDryRunOptions {
  /** Sample rows per category in the report. Default 5. */
  readonly sampleSize?: number;
  /** Stop after this many keys/rows and extrapolate the estimate. Default: the whole table. */
  readonly maxRows?: number;
  readonly signal?: AbortSignal;
}

/** One range of {@link BackfillStatusReport}. */
export interface BackfillPartStatus extends CheckpointRow {
  /** A live worker holds the range right now (a `running` range that is not active was left by a killed worker). */
  readonly active: boolean;
}

/** The state of a backfill as stored in the checkpoint and error tables. */
export interface BackfillStatusReport {
  readonly name: string;
  /** `not-started` when there is no checkpoint. */
  readonly status: BackfillStatus | 'not-started';
  readonly parts: readonly BackfillPartStatus[];
  readonly total: BackfillCounters;
  readonly errorRows: number;
  /** Non-empty when the current definition differs from the one the checkpoint was written with. */
  readonly changedFields: readonly string[];
}

/** The result of {@link BackfillRunner.retryErrors}. */
export interface RetryErrorsResult {
  readonly attempted: number;
  readonly updated: number;
  readonly skipped: number;
  /** Rows that no longer match `where` (someone else filled them); removed from the error table. */
  readonly resolved: number;
  readonly stillFailing: number;
}

interface RunContext {
  readonly shape: TableShape;
  readonly schema: string;
  readonly tracker: ProgressTracker;
  readonly controller: AbortController;
  readonly bounds: { readonly first: KeyTuple; readonly last: KeyTuple } | undefined;
  stopReason: BackfillStopReason | undefined;
  message: string | null;
  failure: unknown;
}

interface WorkerState {
  readonly id: string;
  readonly sizer: BatchSizer;
  /** Retries not yet written to the checkpoint: they are added by the next committed batch. */
  pendingRetries: number;
}

interface BatchOutcome {
  readonly last: KeyTuple;
  readonly scanned: number;
  readonly delta: Partial<BackfillCounters>;
  readonly durationMs: number;
  readonly conflicts: readonly ReadRow[];
}

/** Thrown inside a batch transaction when the checkpoint row is no longer ours: the batch rolls back. */
class ClaimLostError extends Error {}

/**
 * Runs one backfill: keyset batches whose data write and cursor advance commit in one transaction, with retries,
 * throttling, adaptive batch size, bad-row bookkeeping, progress events, logs and optional metrics.
 *
 * ### Examples
 * ```ts
 * const runner = new BackfillRunner({ db, definition: statusBackfill, logger: pino() });
 * runner.on('progress', (event) => event.type === 'batch' && bar.update(event.progress.totals.processed));
 * const preview = await runner.dryRun();
 * console.log(preview.wouldUpdate, preview.samples.update);
 * const summary = await runner.run({ signal: AbortSignal.timeout(3_600_000) });
 * if (summary.status !== 'completed') console.log(`paused (${summary.stopReason}); run again to resume`);
 * ```
 */
export class BackfillRunner extends EventEmitter<{ progress: [BackfillProgressEvent] }> {
  readonly definition: BackfillDefinition;
  readonly #db: Kysely<any>;
  readonly #logger: Logger;
  readonly #metrics: BackfillMetrics | undefined;
  readonly #retry: RetryOptions;
  readonly #lockWaitSeconds: number;
  readonly #logIntervalMs: number;
  readonly #worker: string;
  readonly #checkpoints: CheckpointStore;
  readonly #errors: ErrorStore;
  readonly #throttle: Throttle;

  constructor(props: BackfillRunnerProps) {
    super();
    this.definition = 'mode' in props.definition ? props.definition : defineBackfill(props.definition);
    this.#db = props.db;
    this.#logger = props.logger ?? SILENT_LOGGER;
    this.#metrics = props.registry ? new BackfillMetrics(props.registry) : undefined;
    this.#retry = props.retry ?? {};
    this.#lockWaitSeconds = Math.max(1, Math.round(props.lockWaitTimeoutSeconds ?? DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS));
    this.#logIntervalMs = props.logIntervalMs ?? DEFAULT_LOG_INTERVAL_MS;
    this.#worker = props.worker ?? `${hostname()}:${process.pid}`;
    this.#checkpoints = new CheckpointStore(props.db);
    this.#errors = new ErrorStore(props.db);
    this.#throttle = new Throttle(props.db, props.throttle);
  }

  /** Changes throttle limits, also while a run is going on (e.g. raise `maxThreadsRunning` at night). */
  configureThrottle(options: ThrottleOptions): void {
    this.#throttle.configure(options);
  }

  /**
   * Runs the backfill to completion, resuming from its checkpoint if it has one. A completed backfill is a no-op.
   * Resolves with a summary also when the run stops early on purpose (abort signal, `maxErrorRate`); rejects with
   * {@link BackfillFailedError} when a batch fails for good, {@link BackfillDefinitionChangedError} when the
   * definition no longer matches the checkpoint.
   */
  async run(options: BackfillRunOptions = {}): Promise<BackfillSummary> {
    return this.#run(options, false);
  }

  /** Like {@link run}, but refuses ({@link BackfillNotStartedError}) when the backfill has no checkpoint yet. */
  async resume(options: BackfillRunOptions = {}): Promise<BackfillSummary> {
    return this.#run(options, true);
  }

  /** Reports what a run would do without writing anything (not even the checkpoint table). */
  async dryRun(options: BackfillDryRunOptions = {}): Promise<DryRunReport> {
    const shape = await loadTableShape(this.#db, this.definition);
    this.emit('progress', { type: 'start', backfill: this.definition.name, mode: 'dry-run', worker: this.#worker });
    const tracker = new ProgressTracker();
    try {
      const report = await dryRunBackfill({
        db: this.#db,
        definition: this.definition,
        shape,
        sampleSize: options.sampleSize ?? 5,
        maxRows: options.maxRows,
        signal: options.signal,
        throttle: this.#throttle,
        onThrottled: (reasons) => this.#onThrottled(reasons),
        onChunk: (scanned) => {
          if (tracker.logDue(this.#logIntervalMs))
            this.#logger.info({ backfill: this.definition.name, scanned }, 'backfill dry-run progress');
        },
      });
      this.#logger.info({ backfill: this.definition.name, ...report, samples: undefined }, 'backfill dry-run done');
      return report;
    } finally {
      await this.#throttle.close();
    }
  }

  /** The stored state: every range with its cursor, status and counters, and the number of error rows. */
  async status(): Promise<BackfillStatusReport> {
    const rows = await this.#checkpoints.read(this.definition.name);
    const schema = await this.#schema();
    const active = new Set(await this.#checkpoints.activeParts(rows, schema));
    const total = rows.reduce<BackfillCounters>((sum, row) => addCounters(sum, row), ZERO_COUNTERS);
    const changedFields = rows[0] ? this.#changedFields(rows[0]) : [];
    return {
      name: this.definition.name,
      status: rows.length === 0 ? 'not-started' : aggregateStatus(rows),
      parts: rows.map((row) => ({ ...row, active: active.has(row.part) })),
      total,
      errorRows: await this.#errors.count(this.definition.name),
      changedFields,
    };
  }

  /** Rows of this backfill in the error table (key, reason, message, attempts), oldest first. */
  async errorRows(limit = 100): Promise<BackfillErrorRow[]> {
    return this.#errors.list(this.definition.name, limit);
  }

  /**
   * Forgets the checkpoint and the error rows, so the next run starts from the first key. Rows already done no
   * longer match `where` and are not touched again. Refused while a worker is active.
   */
  async reset(): Promise<void> {
    const rows = await this.#checkpoints.read(this.definition.name);
    const active = await this.#checkpoints.activeParts(rows, await this.#schema());
    if (active.length > 0) throw new BackfillActiveError(this.definition.name, active);
    await this.#checkpoints.delete(this.definition.name);
    await this.#errors.delete(this.definition.name);
    this.#logger.info({ backfill: this.definition.name }, 'backfill reset');
  }

  /**
   * Processes the rows in the error table again (after fixing the transform or the data): rows that now work are
   * written and removed from the table, rows that fail again count one more attempt. Transform mode only; a
   * set-based backfill never records rows.
   */
  async retryErrors(): Promise<RetryErrorsResult> {
    const definition = this.definition;
    const result = { attempted: 0, updated: 0, skipped: 0, resolved: 0, stillFailing: 0 };
    if (definition.mode !== 'transform') return result;
    const shape = await loadTableShape(this.#db, definition);
    const rows = await this.#errors.list(definition.name, 1_000_000);
    await this.#db.connection().execute(async (connection) => {
      for (const errorRow of rows) {
        result.attempted += 1;
        const key = decodeKey(shape.key, errorRow.rowKey);
        const outcome = await withRetry(() => this.#retryOneRow(connection, definition, shape, key, errorRow.rowKey), {
          ...this.#retry,
          reasons: BATCH_RETRY_REASONS,
        });
        result[outcome] += 1;
      }
    });
    const delta = { updated: result.updated, skipped: result.skipped };
    if ((await this.#checkpoints.read(definition.name)).length > 0)
      await this.#checkpoints.addCounters(definition.name, delta);
    this.#logger.info({ backfill: definition.name, ...result }, 'backfill error rows retried');
    return result;
  }

  async #retryOneRow(
    connection: Kysely<any>,
    definition: TransformBackfillDefinition,
    shape: TableShape,
    key: KeyTuple,
    rowKey: string,
  ): Promise<'updated' | 'skipped' | 'resolved' | 'stillFailing'> {
    const read = await readRowByKey(connection, definition, shape, key);
    const outcome = read ? await transformRow(definition, shape, read.row) : undefined;
    return inTransaction(connection, async () => {
      if (!read || !outcome) {
        await this.#errors.clear(connection, definition.name, rowKey);
        return 'resolved';
      }
      if (outcome.kind === 'error') {
        await this.#errors.record(connection, definition.name, rowKey, 'error', outcome.message);
        return 'stillFailing';
      }
      if (
        outcome.kind === 'patch' &&
        !(await writeRow(connection, definition, shape, { read, patch: outcome.patch }))
      ) {
        await this.#errors.record(
          connection,
          definition.name,
          rowKey,
          'conflict',
          'changed by the application between read and write',
        );
        return 'stillFailing';
      }
      await this.#errors.clear(connection, definition.name, rowKey);
      return outcome.kind === 'patch' ? 'updated' : 'skipped';
    });
  }

  async #run(options: BackfillRunOptions, mustExist: boolean): Promise<BackfillSummary> {
    const definition = this.definition;
    const shape = await loadTableShape(this.#db, definition);
    const schema = await this.#schema();
    const existing = await this.#checkpoints.read(definition.name);
    if (mustExist && existing.length === 0) throw new BackfillNotStartedError(definition.name);
    // A misconfigured replica (not a replica at all) fails the run here, before anything is claimed.
    await this.#throttle.check().catch(async (error: unknown) => {
      await this.#throttle.close();
      throw error;
    });
    await this.#checkpoints.ensureTable();
    await this.#errors.ensureTable();
    const bounds = await keyBounds(this.#db, definition.table, shape.key);
    const rows = await this.#initialize(shape, schema, bounds);
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    const context: RunContext = {
      shape,
      schema,
      tracker: new ProgressTracker(),
      controller,
      bounds,
      stopReason: undefined,
      message: null,
      failure: undefined,
    };
    this.emit('progress', { type: 'start', backfill: definition.name, mode: 'run', worker: this.#worker });
    try {
      if (rows.every((row) => row.status === 'completed')) {
        context.stopReason = 'already-completed';
        this.#logger.info({ backfill: definition.name }, 'backfill already completed; nothing to do');
      } else {
        const workers = Math.max(1, Math.floor(options.workers ?? 1));
        await Promise.all(
          Array.from({ length: workers }, (_, index) =>
            this.#runWorker(context, workers === 1 ? this.#worker : `${this.#worker}#${index + 1}`),
          ),
        );
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      await this.#throttle.close();
    }
    if (context.failure !== undefined) throw context.failure;
    const summary = await this.#summary(context);
    this.#logger.info({ backfill: definition.name, ...summary }, 'backfill run finished');
    this.emit('progress', { type: 'done', backfill: definition.name, summary });
    return summary;
  }

  /** Creates the ranges on the first run (under a named lock, so concurrent starters agree) or checks the hash. */
  async #initialize(
    shape: TableShape,
    schema: string,
    bounds: { readonly first: KeyTuple; readonly last: KeyTuple } | undefined,
  ): Promise<CheckpointRow[]> {
    const definition = this.definition;
    return this.#db.connection().execute((connection) =>
      withNamedLock(connection, lockNameFor(`backfill-init:${definition.name}`, schema), 30, async () => {
        const rows = await this.#checkpoints.read(definition.name, connection);
        if (rows.length > 0) {
          const changed = rows.filter((row) => row.definitionHash !== definitionHash(definition));
          if (changed.length > 0)
            throw new BackfillDefinitionChangedError(definition.name, this.#changedFields(changed[0] as CheckpointRow));
          return rows;
        }
        const ranges = this.#ranges(shape, bounds);
        await this.#checkpoints.initialize(
          definition.name,
          ranges,
          definitionHash(definition),
          JSON.stringify(describeDefinition(definition)),
        );
        this.#logger.info(
          { backfill: definition.name, table: definition.table, ranges: ranges.length },
          'backfill checkpoint created',
        );
        return this.#checkpoints.read(definition.name, connection);
      }),
    );
  }

  #ranges(shape: TableShape, bounds: { readonly first: KeyTuple; readonly last: KeyTuple } | undefined): PartRange[] {
    const definition = this.definition;
    const first = shape.key[0];
    if (definition.parts === 1 || !bounds || !first) return [{ rangeStart: null, rangeEnd: null }];
    if (!isMeasurable(first)) {
      throw new BackfillKeyError(
        definition.name,
        definition.table,
        `parts > 1 needs an integer or binary first key column, and ${first.name} is ${first.columnType}`,
      );
    }
    const cuts = splitKeySpace(first, bounds.first[0] as KeyValue, bounds.last[0] as KeyValue, definition.parts);
    const edges = cuts.map((cut) => encodeKey(shape.key, [cut]));
    return [null, ...edges].map((start, index) => ({ rangeStart: start, rangeEnd: edges[index] ?? null }));
  }

  async #runWorker(context: RunContext, workerId: string): Promise<void> {
    const definition = this.definition;
    const worker: WorkerState = {
      id: workerId,
      pendingRetries: 0,
      sizer: new BatchSizer({
        initial: definition.batchSize,
        min: definition.minBatchSize,
        max: definition.maxBatchSize,
        targetMs: definition.targetBatchMs,
        maxMemoryBytes: definition.maxMemoryMb * 2 ** 20,
      }),
    };
    try {
      // A lost connection also drops the named locks of its ranges; the retry takes a new connection and claims again.
      await withRetry(
        () =>
          this.#db.connection().execute(async (connection) => {
            await sql`SET SESSION innodb_lock_wait_timeout = ${this.#lockWaitSeconds}`.execute(connection);
            try {
              while (!context.controller.signal.aborted) {
                const claimed = await this.#checkpoints.claim(connection, definition.name, context.schema, worker.id);
                if (!claimed) return;
                this.emit('progress', {
                  type: 'claim',
                  backfill: definition.name,
                  part: claimed.row.part,
                  worker: worker.id,
                  lastKey: claimed.row.lastKey,
                });
                this.#logger.info(
                  {
                    backfill: definition.name,
                    part: claimed.row.part,
                    worker: worker.id,
                    lastKey: claimed.row.lastKey,
                  },
                  'backfill range claimed',
                );
                try {
                  await this.#processPart(connection, context, worker, claimed);
                } finally {
                  await this.#checkpoints.release(connection, claimed).catch(() => undefined);
                }
              }
            } finally {
              await sql`SET SESSION innodb_lock_wait_timeout = DEFAULT`.execute(connection).catch(() => undefined);
            }
          }),
        {
          ...this.#retry,
          reasons: ['connection-lost'],
          onRetry: (attempt) => this.#onRetry(context, worker, -1, attempt.reason, attempt.attempt, attempt.error),
        },
      );
    } catch (error) {
      if (context.failure === undefined)
        context.failure =
          error instanceof BackfillFailedError ? error : new BackfillFailedError(definition.name, -1, error);
      context.stopReason = 'failed';
      context.controller.abort();
    }
  }

  async #processPart(
    connection: Kysely<any>,
    context: RunContext,
    worker: WorkerState,
    claimed: ClaimedPart,
  ): Promise<void> {
    const definition = this.definition;
    const { shape } = context;
    const rangeStart = claimed.row.rangeStart === null ? null : decodeKey(shape.key, claimed.row.rangeStart);
    const rangeEnd = claimed.row.rangeEnd === null ? null : decodeKey(shape.key, claimed.row.rangeEnd);
    let cursor: KeyTuple | null = claimed.row.lastKey === null ? rangeStart : decodeKey(shape.key, claimed.row.lastKey);
    const fractionAt = this.#fractionFunction(context, rangeStart, rangeEnd);
    const startFraction = fractionAt(cursor);
    const claimedAt = Date.now();
    const part = claimed.row.part;
    const finish = async (status: 'completed' | 'paused' | 'failed', message: string | null) => {
      await this.#checkpoints.finish(connection, claimed, status, message, { retries: worker.pendingRetries });
      worker.pendingRetries = 0;
      this.emit('progress', { type: 'part-done', backfill: definition.name, part, status });
      this.#logger.info({ backfill: definition.name, part, status, message }, `backfill range ${status}`);
    };
    try {
      for (;;) {
        if (context.controller.signal.aborted) {
          await finish('paused', context.message ?? 'paused: the run was stopped; run again to resume');
          context.stopReason ??= 'aborted';
          return;
        }
        const waited = await this.#throttle.waitForClearance(
          (reasons) => this.#onThrottled(reasons),
          context.controller.signal,
        );
        if (waited > 0) {
          context.tracker.addThrottled(waited);
          this.#metrics?.throttled(definition.name, false);
          continue;
        }
        const from = cursor;
        const outcome = await withRetry(() => this.#batch(connection, context, worker, claimed, from, rangeEnd), {
          ...this.#retry,
          reasons: BATCH_RETRY_REASONS,
          onRetry: (attempt) => this.#onRetry(context, worker, part, attempt.reason, attempt.attempt, attempt.error),
        });
        if (!outcome) {
          await finish('completed', null);
          return;
        }
        cursor = outcome.last;
        let delta = outcome.delta;
        for (const conflict of outcome.conflicts) {
          delta = addCounters(
            delta as BackfillCounters,
            await this.#resolveConflict(
              connection,
              context,
              worker,
              claimed,
              conflict,
              encodeKey(shape.key, outcome.last),
            ),
          );
        }
        this.#afterBatch(context, worker, part, outcome, delta, fractionAt(cursor), startFraction, claimedAt);
        const totals = context.tracker.totals;
        if (totals.processed >= ERROR_RATE_MIN_ROWS && totals.failed / totals.processed > definition.maxErrorRate) {
          context.stopReason = 'error-rate';
          context.message = `stopped: ${totals.failed} of ${totals.processed} rows failed in this run (${((100 * totals.failed) / totals.processed).toFixed(1)}% > maxErrorRate ${
            definition.maxErrorRate * 100
          }%); see ${'safemig_backfill_error'}, fix the transform or the data, then resume`;
          this.#logger.error(
            { backfill: definition.name, failed: totals.failed, processed: totals.processed },
            context.message,
          );
          context.controller.abort();
          continue;
        }
        await this.#throttle.pauseAfterBatch(outcome.durationMs, context.controller.signal);
      }
    } catch (error) {
      if (error instanceof ClaimLostError) {
        this.#logger.warn(
          { backfill: definition.name, part },
          'backfill range was taken over or reset; this worker stops working on it',
        );
        return;
      }
      if (retryReasonOf(error) === 'connection-lost') throw error;
      const failure = new BackfillFailedError(definition.name, part, error);
      context.failure ??= failure;
      context.stopReason = 'failed';
      context.controller.abort();
      await finish('failed', failure.message.split('\n')[0] ?? failure.message).catch(() => undefined);
      throw failure;
    }
  }

  /** One batch; `undefined` when the range has no key left. Retried as a whole (nothing of it committed). */
  async #batch(
    connection: Kysely<any>,
    context: RunContext,
    worker: WorkerState,
    claimed: ClaimedPart,
    cursor: KeyTuple | null,
    rangeEnd: KeyTuple | null,
  ): Promise<BatchOutcome | undefined> {
    const definition = this.definition;
    const { shape } = context;
    const started = performance.now();
    const chunk = await nextKeyChunk(connection, definition.table, shape.key, cursor, rangeEnd, worker.sizer.size);
    if (!chunk) return undefined;
    const lastKey = encodeKey(shape.key, chunk.last);
    if (definition.mode === 'set') {
      const delta = await inTransaction(connection, async () => {
        const updated = await applySetChunk(connection, definition, shape, cursor, chunk.last);
        const delta = { processed: updated, updated, batches: 1, retries: worker.pendingRetries };
        if (!(await this.#checkpoints.advance(connection, claimed, lastKey, delta))) throw new ClaimLostError();
        return delta;
      });
      worker.pendingRetries = 0;
      const durationMs = performance.now() - started;
      worker.sizer.record(chunk.keys, durationMs);
      return { last: chunk.last, scanned: chunk.keys, delta, durationMs, conflicts: [] };
    }
    const rows = await readChunkRows(connection, definition, shape, cursor, chunk.last);
    const writes: PendingWrite[] = [];
    const failures: { read: ReadRow; message: string }[] = [];
    let skipped = 0;
    const bytes = estimateBatchBytes(rows);
    const checker = patchCheckerFor(definition, shape);
    for (const read of rows) {
      const pending = transformRowNow(definition, checker, read.row);
      const outcome = pending instanceof Promise ? await pending : pending;
      if (outcome.kind === 'patch') writes.push({ read, patch: outcome.patch });
      else if (outcome.kind === 'skip') skipped += 1;
      else failures.push({ read, message: outcome.message });
    }
    const { delta, conflicts } = await inTransaction(connection, async () => {
      const conflicts: ReadRow[] = [];
      if (writes.length > 0) {
        await sql`SAVEPOINT safemig_batch`.execute(connection);
        if (!(await writeRowsTogether(connection, definition, shape, writes))) {
          // Some row changed since it was read: undo the combined write and go row by row to find which.
          await sql`ROLLBACK TO SAVEPOINT safemig_batch`.execute(connection);
          for (const write of writes) {
            if (!(await writeRow(connection, definition, shape, write))) conflicts.push(write.read);
          }
        }
      }
      for (const failure of failures) {
        await this.#errors.record(
          connection,
          definition.name,
          encodeKey(shape.key, failure.read.key),
          'error',
          failure.message,
        );
      }
      for (const conflict of conflicts) {
        // Recorded in the same transaction as the cursor, so the row is not lost if the process dies before the retry.
        await this.#errors.record(
          connection,
          definition.name,
          encodeKey(shape.key, conflict.key),
          'conflict',
          'changed by the application between read and write',
        );
      }
      const delta = {
        processed: rows.length,
        updated: writes.length - conflicts.length,
        skipped,
        failed: failures.length,
        conflicts: conflicts.length,
        batches: 1,
        retries: worker.pendingRetries,
      };
      if (!(await this.#checkpoints.advance(connection, claimed, lastKey, delta))) throw new ClaimLostError();
      return { delta, conflicts };
    });
    worker.pendingRetries = 0;
    const durationMs = performance.now() - started;
    worker.sizer.record(chunk.keys, durationMs, bytes);
    return { last: chunk.last, scanned: rows.length, delta, durationMs, conflicts };
  }

  /**
   * Re-reads a row the application changed between read and write, transforms it again and writes it, up to
   * `maxConflictAttempts` in all. Each attempt is one transaction that also updates the counters.
   */
  async #resolveConflict(
    connection: Kysely<any>,
    context: RunContext,
    worker: WorkerState,
    claimed: ClaimedPart,
    conflict: ReadRow,
    lastKey: string,
  ): Promise<Partial<BackfillCounters>> {
    const definition = this.definition as TransformBackfillDefinition;
    const { shape } = context;
    const rowKey = encodeKey(shape.key, conflict.key);
    let total: BackfillCounters = ZERO_COUNTERS;
    for (let attempt = 2; attempt <= definition.maxConflictAttempts; attempt += 1) {
      const result = await withRetry(
        async () => {
          const read = await readRowByKey(connection, definition, shape, conflict.key);
          const outcome = read ? await transformRow(definition, shape, read.row) : undefined;
          return inTransaction(connection, async () => {
            let delta: Partial<BackfillCounters>;
            let settled = true;
            if (!read || !outcome) {
              delta = {};
              await this.#errors.clear(connection, definition.name, rowKey);
            } else if (outcome.kind === 'error') {
              delta = { failed: 1 };
              await this.#errors.record(connection, definition.name, rowKey, 'error', outcome.message);
            } else if (outcome.kind === 'skip') {
              delta = { skipped: 1 };
              await this.#errors.clear(connection, definition.name, rowKey);
            } else if (await writeRow(connection, definition, shape, { read, patch: outcome.patch })) {
              delta = { updated: 1 };
              await this.#errors.clear(connection, definition.name, rowKey);
            } else {
              settled = false;
              delta = { conflicts: 1, ...(attempt === definition.maxConflictAttempts ? { failed: 1 } : {}) };
              await this.#errors.record(
                connection,
                definition.name,
                rowKey,
                'conflict',
                `changed by the application between read and write ${attempt} times`,
              );
            }
            const withRetries = { ...delta, retries: worker.pendingRetries };
            if (!(await this.#checkpoints.advance(connection, claimed, lastKey, withRetries)))
              throw new ClaimLostError();
            return { delta: withRetries, settled };
          });
        },
        {
          ...this.#retry,
          reasons: BATCH_RETRY_REASONS,
          onRetry: (a) => this.#onRetry(context, worker, claimed.row.part, a.reason, a.attempt, a.error),
        },
      );
      worker.pendingRetries = 0;
      total = addCounters(total, result.delta);
      if (result.settled) break;
    }
    return total;
  }

  #afterBatch(
    context: RunContext,
    worker: WorkerState,
    part: number,
    outcome: BatchOutcome,
    delta: Partial<BackfillCounters>,
    fraction: number | undefined,
    startFraction: number | undefined,
    claimedAt: number,
  ): void {
    const name = this.definition.name;
    // Retries were counted when they happened (#onRetry); the delta carries them only for the checkpoint.
    context.tracker.add({ ...delta, retries: 0 }, outcome.durationMs);
    const progress = context.tracker.progress(fraction, startFraction, Date.now() - claimedAt);
    const batch: BatchReport = {
      part,
      scanned: outcome.scanned,
      updated: delta.updated ?? 0,
      skipped: delta.skipped ?? 0,
      failed: delta.failed ?? 0,
      conflicts: delta.conflicts ?? 0,
      durationMs: Math.round(outcome.durationMs * 10) / 10,
      lastKey: encodeKey(context.shape.key, outcome.last),
      nextBatchSize: worker.sizer.size,
    };
    this.#metrics?.batch(name, delta, outcome.durationMs, worker.sizer.size);
    const line = {
      backfill: name,
      part,
      processed: progress.totals.processed,
      updated: progress.totals.updated,
      skipped: progress.totals.skipped,
      failed: progress.totals.failed,
      retries: progress.totals.retries,
      conflicts: progress.totals.conflicts,
      rowsPerSecond: progress.rowsPerSecond,
      etaSeconds: progress.etaSeconds,
      batchMs: batch.durationMs,
      batchSize: batch.nextBatchSize,
    };
    this.#logger.debug(line, 'backfill batch');
    if (context.tracker.logDue(this.#logIntervalMs)) this.#logger.info(line, 'backfill progress');
    this.emit('progress', { type: 'batch', backfill: name, batch, progress });
  }

  #onRetry(
    context: RunContext,
    worker: WorkerState,
    part: number,
    reason: RetryReason,
    attempt: number,
    error: Error,
  ): void {
    const name = this.definition.name;
    worker.pendingRetries += 1;
    context.tracker.add({ retries: 1 });
    if (reason === 'deadlock' || reason === 'lock-wait-timeout') worker.sizer.shrink();
    this.#metrics?.retry(name, reason);
    this.#logger.warn({ backfill: name, part, reason, attempt, error: error.message }, 'backfill batch retried');
    this.emit('progress', { type: 'retry', backfill: name, part, reason, attempt, message: error.message });
  }

  #onThrottled(reasons: readonly ThrottleReason[]): void {
    const name = this.definition.name;
    this.#metrics?.throttled(name, true);
    this.#logger.info(
      { backfill: name, reasons: reasons.map((reason) => reason.message) },
      `backfill throttled: ${reasons.map((r) => r.message).join('; ')}`,
    );
    this.emit('progress', { type: 'throttle', backfill: name, reasons });
  }

  #fractionFunction(
    context: RunContext,
    rangeStart: KeyTuple | null,
    rangeEnd: KeyTuple | null,
  ): (cursor: KeyTuple | null) => number | undefined {
    const first = context.shape.key[0];
    const bounds = context.bounds;
    if (!first || !bounds || !isMeasurable(first)) return () => undefined;
    const low = (rangeStart?.[0] ?? bounds.first[0]) as KeyValue;
    const high = (rangeEnd?.[0] ?? bounds.last[0]) as KeyValue;
    return (cursor) => (cursor === null ? 0 : fractionOf(cursor[0] as KeyValue, low, high));
  }

  async #summary(context: RunContext): Promise<BackfillSummary> {
    const rows = await this.#checkpoints.read(this.definition.name);
    const status = aggregateStatus(rows);
    const totals = context.tracker.totals;
    const stopReason: BackfillStopReason =
      context.stopReason ??
      (status === 'completed' ? 'completed' : context.controller.signal.aborted ? 'aborted' : 'claimed-by-others');
    return {
      name: this.definition.name,
      ...totals,
      status,
      stopReason,
      durationMs: context.tracker.elapsedMs,
      rowsPerSecond: context.tracker.rowsPerSecond(),
      longestBatchMs: Math.round(context.tracker.longestBatchMs * 10) / 10,
      throttledMs: context.tracker.throttledMs,
      errorRows: await this.#errors.count(this.definition.name),
      total: rows.reduce<BackfillCounters>((sum, row) => addCounters(sum, row), ZERO_COUNTERS),
      message: context.message ?? rows.find((row) => row.message !== null)?.message ?? null,
    };
  }

  #changedFields(row: CheckpointRow): string[] {
    let stored: Record<string, string> = {};
    try {
      stored = JSON.parse(row.definition) as Record<string, string>;
    } catch {
      return ['(unreadable stored definition)'];
    }
    return row.definitionHash === definitionHash(this.definition)
      ? []
      : changedDefinitionFields(stored, describeDefinition(this.definition));
  }

  async #schema(): Promise<string> {
    const result = await sql<{ name: string | null }>`SELECT DATABASE() AS name`.execute(this.#db);
    return String(result.rows[0]?.name ?? '');
  }
}

/** The state of a backfill over all its ranges. */
export function aggregateStatus(rows: readonly Pick<CheckpointRow, 'status'>[]): BackfillStatus {
  if (rows.length > 0 && rows.every((row) => row.status === 'completed')) return 'completed';
  for (const status of ['failed', 'running', 'paused'] as const) {
    if (rows.some((row) => row.status === status)) return status;
  }
  return 'pending';
}
