/** Bounds and target of the adaptive batch size. */
export interface BatchSizerOptions {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** The batch duration to aim for, like pt-online-schema-change's `--chunk-time`. */
  readonly targetMs: number;
  /** Memory one batch's rows may take; caps the size once row sizes are known. */
  readonly maxMemoryBytes: number;
}

/*
 * A JavaScript row object costs several times its data: property slots, string headers, boxed numbers, plus the
 * patch and the statement built from it. The factor is a deliberately rough, conservative allowance for that.
 */
const OBJECT_OVERHEAD_FACTOR = 3;
const BYTES_PER_FIELD = 48;

/**
 * Adapts the batch size toward a target duration: after every full batch the size becomes
 * `targetMs / msPerRow`, where msPerRow is the larger of the last batch's and a moving average (so the size shrinks
 * at once when batches get slower, and grows by at most 1.5x per batch when they get faster), within `min`..`max`
 * and under the memory cap. A retried batch (deadlock, lock wait) halves the size.
 *
 * ### Examples
 * ```ts
 * const sizer = new BatchSizer({ initial: 1000, min: 100, max: 50000, targetMs: 100, maxMemoryBytes: 64 * 2 ** 20 });
 * sizer.record(1000, 40); // fast: the next batch is larger
 * sizer.size; // 1500 (at most 1.5x per batch)
 * ```
 */
export class BatchSizer {
  readonly #options: BatchSizerOptions;
  #size: number;
  #memoryCap = Number.POSITIVE_INFINITY;
  #averageMsPerRow: number | undefined;

  constructor(options: BatchSizerOptions) {
    this.#options = options;
    this.#size = clamp(options.initial, options.min, options.max);
  }

  /** The number of rows (set mode: keys) the next batch should take. */
  get size(): number {
    return Math.max(1, Math.min(this.#size, this.#memoryCap));
  }

  /** Records a finished batch; `bytes` is the estimated memory of its rows when they were held in memory. */
  record(rows: number, durationMs: number, bytes?: number): void {
    if (bytes !== undefined && rows > 0) {
      const perRow = Math.max(1, bytes / rows) * OBJECT_OVERHEAD_FACTOR;
      this.#memoryCap = Math.max(1, Math.floor(this.#options.maxMemoryBytes / perRow));
    }
    // A short batch at the end of the range says nothing about the rate of a full one.
    if (rows < this.#size || rows === 0) return;
    const msPerRow = Math.max(0.0001, durationMs / rows);
    this.#averageMsPerRow =
      this.#averageMsPerRow === undefined ? msPerRow : 0.7 * this.#averageMsPerRow + 0.3 * msPerRow;
    const ideal = this.#options.targetMs / Math.max(msPerRow, this.#averageMsPerRow);
    this.#size = Math.round(clamp(Math.min(ideal, this.#size * 1.5), this.#options.min, this.#options.max));
  }

  /** Halves the size after a batch had to be retried (less locked at once, shorter lock waits). */
  shrink(): void {
    this.#size = Math.round(clamp(this.#size / 2, this.#options.min, this.#options.max));
  }
}

/** Rough memory of one row's values, for the memory cap. */
export function estimateRowBytes(row: Readonly<Record<string, unknown>>): number {
  let bytes = 0;
  for (const column in row) {
    const value = row[column];
    bytes += BYTES_PER_FIELD;
    if (typeof value === 'string') bytes += value.length * 2;
    else if (value instanceof Uint8Array) bytes += value.byteLength;
    else if (value !== null && typeof value === 'object') bytes += JSON.stringify(value)?.length ?? 0;
  }
  return bytes;
}

const SAMPLED_ROWS = 256;

/**
 * Rough memory of a batch's rows, from at most 256 evenly spaced rows scaled to the batch: estimating every row
 * (JSON values are measured by serializing them) would itself make garbage in proportion to the batch.
 */
export function estimateBatchBytes(rows: readonly { readonly row: Readonly<Record<string, unknown>> }[]): number {
  if (rows.length === 0) return 0;
  const step = Math.max(1, Math.floor(rows.length / SAMPLED_ROWS));
  let bytes = 0;
  let sampled = 0;
  for (let index = 0; index < rows.length; index += step) {
    bytes += estimateRowBytes((rows[index] as { readonly row: Readonly<Record<string, unknown>> }).row);
    sampled += 1;
  }
  return Math.round((bytes / sampled) * rows.length);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
