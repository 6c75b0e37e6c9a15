import { createHash } from 'node:crypto';
import { identifierSchema, InvalidConfigError, sqlExpressionProblem } from '@safemig/core';
import { z } from 'zod';

/**
 * Returned by a transform to leave a row as it is. The row is counted as skipped; it still matches `where`, so a
 * later backfill (or `retryErrors`) can pick it up.
 *
 * ### Examples
 * ```ts
 * transform: (row) => (row.legacy_status === null ? skipRow : { status: mapStatus(row.legacy_status) }),
 * ```
 */
export const skipRow: unique symbol = Symbol.for('safemig.backfill.skipRow');
export type SkipRow = typeof skipRow;

/** A row as the transform receives it: the key columns and the `select`ed columns, as mysql2 returns them. */
export type BackfillRow = Readonly<Record<string, unknown>>;

/**
 * A value a transform may write. Plain objects and arrays are written as JSON text (for JSON columns); Buffers as
 * binary; BIGINT values may be given as `bigint` or as a decimal string.
 */
export type BackfillPatchValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | null
  | readonly unknown[]
  | { readonly [key: string]: unknown };

/** Column -> new value for one row. Key columns cannot be changed. */
export type BackfillPatch = Readonly<Record<string, BackfillPatchValue>>;

/** Derives the new columns of one row. Throw for a bad row: it goes to the error table and the run goes on. */
export type BackfillTransform = (row: BackfillRow) => BackfillPatch | SkipRow | Promise<BackfillPatch | SkipRow>;

/** Smallest and largest batch a definition may ask for. */
export const BATCH_SIZE_LIMITS = { min: 1, max: 100_000 } as const;
/** Defaults of the tuning fields of a definition. */
export const BACKFILL_DEFAULTS = {
  batchSize: 1_000,
  minBatchSize: 100,
  maxBatchSize: 50_000,
  /**
   * Transform mode's default upper bound. Its cost is per row (JavaScript, one fingerprint each way), so larger
   * batches were not faster, but they allocated more than V8's young generation between two scavenges: a batch's
   * rows then survived two of them, were promoted, and peak RSS over 5M rows jumped from about 100 to 155-160 MB in
   * seven of twelve runs (2,000 rows: about 100 MB in five of five), see docs/benchmarks.md.
   */
  transformMaxBatchSize: 2_000,
  targetBatchMs: 100,
  maxMemoryMb: 64,
  maxErrorRate: 0.01,
  maxConflictAttempts: 3,
  parts: 1,
} as const;

interface BackfillDefinitionFields {
  /** Unique name, the key of the checkpoint: letters, digits and `_ . : -`, at most 128 characters. */
  readonly name: string;
  readonly table: string;
  /** Key columns in index order; defaults to the table's primary key. Single or composite, INT or BINARY(16). */
  readonly key?: readonly string[] | string;
  /** SQL condition of the rows that still need work, e.g. `status IS NULL`. Every write re-checks it. */
  readonly where: string;
  /** Rows (or keys, in set mode) per batch to start with; adapted toward `targetBatchMs` within the bounds below. */
  readonly batchSize?: number;
  readonly minBatchSize?: number;
  readonly maxBatchSize?: number;
  /** Batch duration the adaptive batch size aims for, like pt-online-schema-change's `--chunk-time`. */
  readonly targetBatchMs?: number;
  /** Upper bound of the memory one batch's rows may take (transform mode); caps the batch size. */
  readonly maxMemoryMb?: number;
  /** Failed rows / processed rows of a run above which the run stops (paused, resumable). Checked from 100 rows on. */
  readonly maxErrorRate?: number;
  /** Split the key space into this many ranges, each with its own checkpoint row, for several workers. */
  readonly parts?: number;
  /** Hashed instead of the transform's source text, when you want to decide yourself what counts as a change. */
  readonly version?: string | number;
}

/** Set-based backfill: column -> SQL expression, applied by one `UPDATE` per key range (the fast path). */
export interface SetBackfillDefinitionInput extends BackfillDefinitionFields {
  readonly set: Readonly<Record<string, string>>;
}

/** Per-row backfill: `select` columns are read, `transform` computes the patch in JavaScript (legacy formats). */
export interface TransformBackfillDefinitionInput extends BackfillDefinitionFields {
  readonly select: readonly string[];
  readonly transform: BackfillTransform;
  /** How often a row the application changed between read and write is re-read and tried again. */
  readonly maxConflictAttempts?: number;
}

export type BackfillDefinitionInput = SetBackfillDefinitionInput | TransformBackfillDefinitionInput;

interface ValidatedFields {
  readonly name: string;
  readonly table: string;
  readonly key: readonly string[] | undefined;
  readonly where: string;
  readonly batchSize: number;
  readonly minBatchSize: number;
  readonly maxBatchSize: number;
  readonly targetBatchMs: number;
  readonly maxMemoryMb: number;
  readonly maxErrorRate: number;
  readonly parts: number;
  readonly version: string | undefined;
}

/** A validated set-based definition (see {@link defineBackfill}). */
export interface SetBackfillDefinition extends ValidatedFields {
  readonly mode: 'set';
  readonly set: Readonly<Record<string, string>>;
}

/** A validated transform definition (see {@link defineBackfill}). */
export interface TransformBackfillDefinition extends ValidatedFields {
  readonly mode: 'transform';
  readonly select: readonly string[];
  readonly transform: BackfillTransform;
  readonly maxConflictAttempts: number;
}

export type BackfillDefinition = SetBackfillDefinition | TransformBackfillDefinition;

const expressionSchema = z.string().superRefine((value, context) => {
  const problem = sqlExpressionProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: `SQL expression ${problem}` });
});

const commonShape = {
  name: z
    .string()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -'),
  table: identifierSchema,
  key: z.union([identifierSchema, z.array(identifierSchema).min(1, 'must name at least one column')]).optional(),
  where: expressionSchema,
  batchSize: z.number().int().min(BATCH_SIZE_LIMITS.min).max(BATCH_SIZE_LIMITS.max).optional(),
  minBatchSize: z.number().int().min(BATCH_SIZE_LIMITS.min).max(BATCH_SIZE_LIMITS.max).optional(),
  maxBatchSize: z.number().int().min(BATCH_SIZE_LIMITS.min).max(BATCH_SIZE_LIMITS.max).optional(),
  targetBatchMs: z.number().int().min(5).max(60_000).optional(),
  maxMemoryMb: z.number().min(1).max(16_384).optional(),
  maxErrorRate: z.number().min(0).max(1).optional(),
  parts: z.number().int().min(1).max(1_024).optional(),
  version: z.union([z.string().min(1), z.number()]).optional(),
};

// `mode` is derived; accepting it lets an already defined backfill pass through defineBackfill() again (the CLI
// validates the config's definitions, which may come from defineBackfill()).
const setSchema = z
  .object({
    ...commonShape,
    mode: z.literal('set').optional(),
    set: z
      .record(identifierSchema, expressionSchema)
      .refine((value) => Object.keys(value).length > 0, 'must assign at least one column'),
  })
  .strict();

const transformSchema = z
  .object({
    ...commonShape,
    mode: z.literal('transform').optional(),
    select: z.array(identifierSchema).min(1, 'must name at least one column'),
    transform: z.custom<BackfillTransform>(
      (value) => typeof value === 'function',
      'must be a function (row) => patch | skipRow',
    ),
    maxConflictAttempts: z.number().int().min(1).max(100).optional(),
  })
  .strict();

/**
 * Validates a backfill definition and fills in the defaults. Errors are {@link InvalidConfigError}s that name the
 * field (`where: SQL expression contains a statement separator (;)`).
 *
 * ### Examples
 * ```ts
 * const statusBackfill = defineBackfill({
 *   name: 'external_order.status',
 *   table: 'external_order',
 *   where: 'status IS NULL',
 *   set: { status: "CASE legacy_status WHEN 'P' THEN 'paid' ELSE 'open' END" },
 * });
 * ```
 */
export function defineBackfill(input: SetBackfillDefinitionInput): SetBackfillDefinition;
export function defineBackfill(input: TransformBackfillDefinitionInput): TransformBackfillDefinition;
export function defineBackfill(input: BackfillDefinitionInput): BackfillDefinition;
export function defineBackfill(input: BackfillDefinitionInput): BackfillDefinition {
  const subject = `backfill definition${typeof input?.name === 'string' ? ` ${JSON.stringify(input.name)}` : ''}`;
  if (typeof input !== 'object' || input === null) {
    throw new InvalidConfigError(subject, [{ path: '', message: 'must be an object' }]);
  }
  const hasSet = 'set' in input && input.set !== undefined;
  const hasTransform =
    ('transform' in input && input.transform !== undefined) || ('select' in input && input.select !== undefined);
  if (hasSet === hasTransform) {
    throw new InvalidConfigError(
      subject,
      [
        {
          path: hasSet ? 'set' : 'set | select + transform',
          message: hasSet ? 'set cannot be combined with select/transform' : 'give either set or select + transform',
        },
      ],
      'Use `set` (SQL expressions, fast) when the new value can be computed in SQL, `select` + `transform` otherwise.',
    );
  }
  const result = (hasSet ? setSchema : transformSchema).safeParse(input);
  if (!result.success) {
    throw InvalidConfigError.fromZod(subject, result.error);
  }
  const data = result.data as z.output<typeof setSchema> & Partial<z.output<typeof transformSchema>>;
  const batchSize = data.batchSize ?? BACKFILL_DEFAULTS.batchSize;
  const minBatchSize = data.minBatchSize ?? Math.min(BACKFILL_DEFAULTS.minBatchSize, batchSize);
  const defaultMax = hasSet ? BACKFILL_DEFAULTS.maxBatchSize : BACKFILL_DEFAULTS.transformMaxBatchSize;
  const maxBatchSize = data.maxBatchSize ?? Math.max(defaultMax, batchSize);
  const boundIssues: { path: string; message: string }[] = [];
  if (minBatchSize > batchSize)
    boundIssues.push({ path: 'minBatchSize', message: `must be at most batchSize (${batchSize})` });
  if (maxBatchSize < batchSize)
    boundIssues.push({ path: 'maxBatchSize', message: `must be at least batchSize (${batchSize})` });
  const key = data.key === undefined ? undefined : typeof data.key === 'string' ? [data.key] : data.key;
  if (key && new Set(key).size !== key.length) boundIssues.push({ path: 'key', message: 'names a column twice' });
  const written = hasSet ? Object.keys(data.set ?? {}) : [];
  for (const column of written) {
    if (key?.includes(column))
      boundIssues.push({ path: `set.${column}`, message: 'a key column cannot be changed by a backfill' });
  }
  if (boundIssues.length > 0) throw new InvalidConfigError(subject, boundIssues);
  const common: ValidatedFields = {
    name: data.name,
    table: data.table,
    key: key ? Object.freeze([...key]) : undefined,
    where: data.where.trim(),
    batchSize,
    minBatchSize,
    maxBatchSize,
    targetBatchMs: data.targetBatchMs ?? BACKFILL_DEFAULTS.targetBatchMs,
    maxMemoryMb: data.maxMemoryMb ?? BACKFILL_DEFAULTS.maxMemoryMb,
    maxErrorRate: data.maxErrorRate ?? BACKFILL_DEFAULTS.maxErrorRate,
    parts: data.parts ?? BACKFILL_DEFAULTS.parts,
    version: data.version === undefined ? undefined : String(data.version),
  };
  if (hasSet) {
    const set = Object.freeze(
      Object.fromEntries(Object.entries(data.set).map(([column, expression]) => [column, expression.trim()])),
    );
    return Object.freeze({ ...common, mode: 'set', set });
  }
  return Object.freeze({
    ...common,
    mode: 'transform',
    select: Object.freeze([...(data.select ?? [])]),
    transform: data.transform as BackfillTransform,
    maxConflictAttempts: data.maxConflictAttempts ?? BACKFILL_DEFAULTS.maxConflictAttempts,
  });
}

/**
 * The parts of a definition that decide which rows get which values, in a stable form. Tuning fields (batch sizes,
 * memory, error rate) are left out: they may change between runs.
 */
export function describeDefinition(definition: BackfillDefinition): Readonly<Record<string, string>> {
  const fields: Record<string, string> = {
    mode: definition.mode,
    table: definition.table,
    key: definition.key ? definition.key.join(',') : '(primary key)',
    where: definition.where,
    parts: String(definition.parts),
  };
  if (definition.mode === 'set') {
    for (const [column, expression] of Object.entries(definition.set)) fields[`set.${column}`] = expression;
  } else {
    fields.select = definition.select.join(',');
    fields.transform =
      definition.version === undefined ? `source:${definition.transform.toString()}` : `version:${definition.version}`;
  }
  return fields;
}

/** SHA-256 of {@link describeDefinition}: what the checkpoint remembers to detect a changed definition. */
export function definitionHash(definition: BackfillDefinition): string {
  const description = describeDefinition(definition);
  const canonical = JSON.stringify(
    Object.keys(description)
      .sort()
      .map((field) => [field, description[field]]),
  );
  return createHash('sha256').update(canonical).digest('hex');
}

/** The hashed fields that differ between two descriptions, for the error that refuses a changed definition. */
export function changedDefinitionFields(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): string[] {
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...fields].filter((field) => before[field] !== after[field]).sort();
}
