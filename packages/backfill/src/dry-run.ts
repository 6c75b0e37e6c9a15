import { id } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { BatchSizer, estimateBatchBytes } from './batch-sizer';
import { formatKey, keyEquals, type KeyTuple } from './cursor';
import type { BackfillDefinition } from './definition';
import { keyBounds, nextKeyChunk } from './key-chunk';
import { fractionOf, isMeasurable } from './key-space';
import { previewSetChunk } from './set-mode';
import type { TableShape } from './table-shape';
import type { Throttle, ThrottleReason } from './throttle';
import { patchCheckerFor, readChunkRows, transformRowNow } from './transform-mode';

/*
 * A dry-run measures only the reading half of the work (the same chunk reads, `where` evaluation and transform
 * calls as the real run); the writes it must not do cost more. These factors turn the measured read time into an
 * estimate of the real run; they are the ratios measured by bench/backfill.bench.ts (real run time / dry-run time
 * over the same 1M rows on MariaDB 10.11: set 7.8x, 6.3x and 5.3x; transform 3.1x, 4.7x and, with 2,000-row
 * batches, 6.8x), see docs/benchmarks.md. Treat the estimate as an order of magnitude.
 */
export const DRY_RUN_WRITE_FACTOR = Object.freeze({ set: 6, transform: 6 });

/** One row a dry-run would write: its key, the current values of the written columns and the values to write. */
export interface DryRunSample {
  readonly key: string;
  readonly before: Readonly<Record<string, unknown>>;
  readonly after: Readonly<Record<string, unknown>>;
}

/** What a backfill would do, found without writing anything. */
export interface DryRunReport {
  readonly name: string;
  readonly mode: 'set' | 'transform';
  /** Keys walked (set mode) or rows read that match `where` (transform mode). */
  readonly scanned: number;
  readonly wouldUpdate: number;
  /** Rows the transform returns `skipRow` for (transform mode). */
  readonly wouldSkip: number;
  /** Rows the transform throws for (transform mode); set mode cannot know without writing, so 0. */
  readonly wouldFail: number;
  readonly samples: {
    readonly update: readonly DryRunSample[];
    readonly skip: readonly { readonly key: string }[];
    readonly fail: readonly { readonly key: string; readonly message: string }[];
  };
  /** False when `maxRows` or an abort ended the dry-run before the end of the table. */
  readonly complete: boolean;
  readonly durationMs: number;
  /** Keys (set) or rows (transform) per second the dry-run read. */
  readonly rowsPerSecond: number;
  /** Estimated duration of the real run over the whole table; `null` when it cannot be extrapolated. */
  readonly estimatedDurationMs: number | null;
}

export interface DryRunContext {
  readonly db: Kysely<any>;
  readonly definition: BackfillDefinition;
  readonly shape: TableShape;
  readonly sampleSize: number;
  readonly maxRows: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly throttle: Throttle;
  readonly onThrottled: (reasons: readonly ThrottleReason[]) => void;
  readonly onChunk: (scanned: number) => void;
}

/** Walks the whole key space read-only and reports what a run would do. Writes nothing, not even a checkpoint. */
export async function dryRunBackfill(context: DryRunContext): Promise<DryRunReport> {
  const { db, definition, shape, sampleSize } = context;
  const started = performance.now();
  const sizer = new BatchSizer({
    initial: definition.batchSize,
    min: definition.minBatchSize,
    max: definition.maxBatchSize,
    targetMs: definition.targetBatchMs,
    maxMemoryBytes: definition.maxMemoryMb * 2 ** 20,
  });
  const bounds = await keyBounds(db, definition.table, shape.key);
  let cursor: KeyTuple | null = null;
  let scanned = 0;
  let wouldUpdate = 0;
  let wouldSkip = 0;
  let wouldFail = 0;
  let complete = false;
  const update: DryRunSample[] = [];
  const skip: { key: string }[] = [];
  const fail: { key: string; message: string }[] = [];
  for (;;) {
    if (context.signal?.aborted || (context.maxRows !== undefined && scanned >= context.maxRows)) break;
    await context.throttle.waitForClearance(context.onThrottled, context.signal);
    const batchStarted = performance.now();
    const size = context.maxRows === undefined ? sizer.size : Math.min(sizer.size, context.maxRows - scanned);
    const chunk = await nextKeyChunk(db, definition.table, shape.key, cursor, null, size);
    if (!chunk) {
      complete = true;
      break;
    }
    if (definition.mode === 'set') {
      const preview = await previewSetChunk(db, definition, shape, cursor, chunk.last, sampleSize - update.length);
      scanned += chunk.keys;
      wouldUpdate += preview.matching;
      update.push(...preview.samples.map((sample) => ({ ...sample, key: formatKey(shape.key, sample.key) })));
      sizer.record(chunk.keys, performance.now() - batchStarted);
    } else {
      const rows = await readChunkRows(db, definition, shape, cursor, chunk.last);
      const bytes = estimateBatchBytes(rows);
      const checker = patchCheckerFor(definition, shape);
      for (const read of rows) {
        const pending = transformRowNow(definition, checker, read.row);
        const outcome = pending instanceof Promise ? await pending : pending;
        const key = formatKey(shape.key, read.key);
        if (outcome.kind === 'patch') {
          wouldUpdate += 1;
          if (update.length < sampleSize) {
            update.push({
              key,
              before: await currentValues(db, definition.table, shape, read.key, Object.keys(outcome.patch)),
              after: outcome.patch,
            });
          }
        } else if (outcome.kind === 'skip') {
          wouldSkip += 1;
          if (skip.length < sampleSize) skip.push({ key });
        } else {
          wouldFail += 1;
          if (fail.length < sampleSize) fail.push({ key, message: outcome.message });
        }
      }
      scanned += rows.length;
      sizer.record(chunk.keys, performance.now() - batchStarted, bytes);
    }
    cursor = chunk.last;
    context.onChunk(scanned);
  }
  const durationMs = Math.round(performance.now() - started);
  let covered: number | undefined = complete ? 1 : undefined;
  const firstColumn = shape.key[0];
  if (!complete && cursor && bounds && firstColumn && isMeasurable(firstColumn)) {
    covered = fractionOf(
      cursor[0] as KeyTuple[number],
      bounds.first[0] as KeyTuple[number],
      bounds.last[0] as KeyTuple[number],
    );
  }
  const estimatedDurationMs =
    covered !== undefined && covered > 0
      ? Math.round((durationMs / covered) * DRY_RUN_WRITE_FACTOR[definition.mode])
      : null;
  return {
    name: definition.name,
    mode: definition.mode,
    scanned,
    wouldUpdate,
    wouldSkip,
    wouldFail,
    samples: { update, skip, fail },
    complete,
    durationMs,
    rowsPerSecond: durationMs > 0 ? Math.round((scanned * 1000) / durationMs) : scanned,
    estimatedDurationMs,
  };
}

async function currentValues(
  db: Kysely<any>,
  table: string,
  shape: TableShape,
  key: KeyTuple,
  columns: readonly string[],
): Promise<Record<string, unknown>> {
  const result = await sql<
    Record<string, unknown>
  >`SELECT ${sql.join(columns.map((column) => id(column)))} FROM ${id(table)}
    WHERE ${keyEquals(shape.key, key)}`.execute(db);
  return result.rows[0] ?? {};
}
