import { id, quoteIdentifier } from '@safemig/core';
import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import { BackfillTransformResultError } from './backfill-errors';
import { keyAfter, keyAtMost, keyColumnList, keyEquals, keyOfRow, keyOrder, type KeyTuple } from './cursor';
import { skipRow, type BackfillRow, type TransformBackfillDefinition } from './definition';
import type { TableShape } from './table-shape';

/** A row read for the transform, with the fingerprint its write is conditional on. */
export interface ReadRow {
  readonly key: KeyTuple;
  readonly row: BackfillRow;
  /** The first 128 bits of a SHA-256 of the selected columns as the server saw them when the row was read. */
  readonly fingerprint: string;
}

/** What the transform made of one row. */
export type TransformOutcome =
  | { readonly kind: 'patch'; readonly patch: Readonly<Record<string, unknown>> }
  | { readonly kind: 'skip' }
  | { readonly kind: 'error'; readonly message: string };

const TABLE_ALIAS = 'safemig_t';
const PATCH_ALIAS = 'safemig_p';

/*
 * The write is conditional on the selected columns being unchanged since the read. They are compared through a
 * server-side fingerprint rather than column = value, because values do not always survive the round trip through
 * the driver unchanged (JSON columns come back parsed, DATETIME(6) loses microseconds in a JS Date, FLOAT prints
 * differently). QUOTE() renders NULL as the bare word NULL and every string quoted, so the text is unambiguous.
 * The first 128 bits of a SHA-256 (32 hex characters): the fingerprint only has to notice a concurrent change (an
 * accidental match is 2^-128), and it travels twice per row (read, then in the write), so its length is a visible
 * share of a batch's garbage. Not MD5: MySQL in FIPS mode returns NULL from MD5(), which would make every write a
 * conflict.
 */
function fingerprintText(definition: TransformBackfillDefinition, alias?: string): string {
  const prefix = alias ? `${quoteIdentifier(alias)}.` : '';
  const columns = definition.select.map((column) => `QUOTE(${prefix}${quoteIdentifier(column)})`);
  return `LEFT(SHA2(CONCAT_WS(',', ${columns.join(', ')}), 256), 32)`;
}

function fingerprint(definition: TransformBackfillDefinition): RawBuilder<unknown> {
  return sql.raw(fingerprintText(definition));
}

function selectList(definition: TransformBackfillDefinition, shape: TableShape): RawBuilder<unknown> {
  const keyNames = new Set(shape.key.map((column) => column.name));
  const extra = definition.select.filter((column) => !keyNames.has(column)).map((column) => id(column));
  const columns = [keyColumnList(shape.key), ...extra, sql`${fingerprint(definition)} AS safemig_fingerprint`];
  return sql.join(columns);
}

function toReadRow(shape: TableShape, raw: Record<string, unknown>): ReadRow {
  // Copied column by column rather than with a rest pattern: this runs once per row of every batch.
  const row: Record<string, unknown> = {};
  let print: unknown;
  for (const column in raw) {
    if (column === 'safemig_fingerprint') print = raw[column];
    else row[column] = raw[column];
  }
  return { key: keyOfRow(shape.key, row), row, fingerprint: String(print) };
}

/** Reads the rows of one key chunk that still match `where`, in key order. */
export async function readChunkRows(
  db: Kysely<any>,
  definition: TransformBackfillDefinition,
  shape: TableShape,
  after: KeyTuple | null,
  atMost: KeyTuple,
): Promise<ReadRow[]> {
  const result = await sql<Record<string, unknown>>`SELECT ${selectList(definition, shape)} FROM ${id(definition.table)}
    WHERE ${after ? keyAfter(shape.key, after) : sql`1 = 1`} AND ${keyAtMost(shape.key, atMost)} AND (${sql.raw(definition.where)})
    ORDER BY ${keyOrder(shape.key)}`.execute(db);
  return result.rows.map((raw) => toReadRow(shape, raw));
}

/** Reads one row by key if it still matches `where` (conflict retries, error retries). */
export async function readRowByKey(
  db: Kysely<any>,
  definition: TransformBackfillDefinition,
  shape: TableShape,
  key: KeyTuple,
): Promise<ReadRow | undefined> {
  const result = await sql<Record<string, unknown>>`SELECT ${selectList(definition, shape)} FROM ${id(definition.table)}
    WHERE ${keyEquals(shape.key, key)} AND (${sql.raw(definition.where)})`.execute(db);
  return result.rows[0] ? toReadRow(shape, result.rows[0]) : undefined;
}

/** Runs the transform on one row and checks what it returned. Never throws: a bad row is an outcome. */
export async function transformRow(
  definition: TransformBackfillDefinition,
  shape: TableShape,
  row: BackfillRow,
): Promise<TransformOutcome> {
  return transformRowNow(definition, patchCheckerFor(definition, shape), row);
}

/**
 * {@link transformRow} without a promise when the transform is synchronous: the batch loop calls it once per row,
 * and a promise plus an `await` per row was a third of the garbage a transform backfill made.
 */
export function transformRowNow(
  definition: TransformBackfillDefinition,
  checker: PatchChecker,
  row: BackfillRow,
): TransformOutcome | Promise<TransformOutcome> {
  let result: unknown;
  try {
    result = definition.transform(row);
  } catch (error) {
    return errorOutcome(error);
  }
  if (isPromiseLike(result)) return Promise.resolve(result).then((value) => outcomeOf(checker, value), errorOutcome);
  return outcomeOf(checker, result);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function errorOutcome(error: unknown): TransformOutcome {
  return { kind: 'error', message: error instanceof Error ? error.message || error.name : String(error) };
}

function outcomeOf(checker: PatchChecker, result: unknown): TransformOutcome {
  if (result === skipRow) return SKIP;
  try {
    return { kind: 'patch', patch: checker.check(result) };
  } catch (error) {
    return { kind: 'error', message: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}

const SKIP: TransformOutcome = { kind: 'skip' };

/** Validates what a transform returned, with the table's column and key names looked up once per batch. */
export interface PatchChecker {
  check(result: unknown): Record<string, unknown>;
}

export function patchCheckerFor(definition: TransformBackfillDefinition, shape: TableShape): PatchChecker {
  const keyNames = new Set(shape.key.map((column) => column.name));
  return {
    check(result) {
      if (
        typeof result !== 'object' ||
        result === null ||
        Array.isArray(result) ||
        result instanceof Date ||
        result instanceof Uint8Array
      ) {
        throw new BackfillTransformResultError(
          definition.name,
          `returned ${describe(result)} instead of a patch object or skipRow`,
        );
      }
      const patch: Record<string, unknown> = {};
      let empty = true;
      for (const column in result) {
        if (!Object.hasOwn(result, column)) continue;
        empty = false;
        if (!shape.columns.has(column)) {
          throw new BackfillTransformResultError(
            definition.name,
            `returned column ${JSON.stringify(column)}, which ${definition.table} does not have`,
          );
        }
        if (keyNames.has(column))
          throw new BackfillTransformResultError(definition.name, `tried to change key column ${column}`);
        patch[column] = toSqlValue(definition, column, (result as Record<string, unknown>)[column]);
      }
      if (empty) throw new BackfillTransformResultError(definition.name, 'returned an empty patch');
      return patch;
    },
  };
}

function toSqlValue(definition: TransformBackfillDefinition, column: string, value: unknown): unknown {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new BackfillTransformResultError(definition.name, `returned ${describe(value)} for column ${column}`);
  }
  if (value === null || value instanceof Date || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

/** A patch to write with the fingerprint it is conditional on. */
export interface PendingWrite {
  readonly read: ReadRow;
  readonly patch: Readonly<Record<string, unknown>>;
}

/**
 * Writes one row if it is unchanged since it was read and still matches `where`. Returns false for a conflict.
 */
export async function writeRow(
  connection: Kysely<any>,
  definition: TransformBackfillDefinition,
  shape: TableShape,
  write: PendingWrite,
): Promise<boolean> {
  const assignments = sql.join(Object.entries(write.patch).map(([column, value]) => sql`${id(column)} = ${value}`));
  const result = await sql`UPDATE ${id(definition.table)} SET ${assignments}
    WHERE ${keyEquals(shape.key, write.read.key)} AND ${fingerprint(definition)} = ${write.read.fingerprint}
      AND (${sql.raw(definition.where)})`.execute(connection);
  return Number(result.numAffectedRows ?? 0n) === 1;
}

/**
 * The fast path: all writes that patch the same columns in one `UPDATE ... JOIN (SELECT ... UNION ALL ...)`, with
 * the same per-row condition as {@link writeRow}. Returns false when any row did not match (a conflict); the caller
 * then rolls back to its savepoint and writes row by row to learn which.
 */
export async function writeRowsTogether(
  connection: Kysely<any>,
  definition: TransformBackfillDefinition,
  shape: TableShape,
  writes: readonly PendingWrite[],
): Promise<boolean> {
  for (const { columns, members } of groupByColumns(writes)) {
    const statement = combinedUpdate(definition, shape, columns);
    for (let start = 0; start < members.length;) {
      const end = statementEnd(members, columns, start);
      const result = await connection.executeQuery(statement(members, start, end));
      if (Number(result.numAffectedRows ?? 0n) !== end - start) return false;
      start = end;
    }
  }
  return true;
}

/*
 * One batch is written by several statements of at most 500 rows and about 64K characters each, all inside the
 * batch's transaction. V8 allocates strings and arrays above about 128 KB directly in the old generation, where
 * only a full collection frees them: one statement for a whole batch of thousands of rows put its text, its
 * formatted copy and its parameter list there on every batch, and that, not the rows, made a transform backfill's
 * peak RSS climb.
 */
const MAX_ROWS_PER_STATEMENT = 500;
const MAX_CHARS_PER_STATEMENT = 64 * 1024;
/** Allowance per value for its placeholder, quoting and separators in the formatted statement. */
const CHARS_PER_VALUE = 8;

/** The end (exclusive) of the rows from `start` that one statement writes. */
function statementEnd(members: readonly PendingWrite[], columns: readonly string[], start: number): number {
  let end = start;
  let chars = 0;
  while (end < members.length && end - start < MAX_ROWS_PER_STATEMENT && chars < MAX_CHARS_PER_STATEMENT) {
    const write = members[end] as PendingWrite;
    chars += write.read.fingerprint.length + (write.read.key.length + 1 + columns.length) * CHARS_PER_VALUE;
    for (const column of columns) chars += approximateLength(write.patch[column]);
    end += 1;
  }
  return end;
}

function approximateLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Buffer.isBuffer(value)) return value.length * 2;
  return 24;
}

/**
 * `UPDATE <table> JOIN (SELECT ... UNION ALL ...) SET ... WHERE <fingerprint unchanged> AND (<where>)` for a slice of
 * writes that set these columns. Built as one text with placeholders and a flat, presized parameter list rather than
 * a kysely node per value, which would allocate many short-lived objects per row.
 */
function combinedUpdate(
  definition: TransformBackfillDefinition,
  shape: TableShape,
  columns: readonly string[],
): (members: readonly PendingWrite[], start: number, end: number) => CompiledQuery {
  const keyWidth = shape.key.length;
  const width = keyWidth + 1 + columns.length;
  const placeholders = Array.from({ length: width }, () => '?').join(', ');
  const aliases = [
    ...shape.key.map((_, k) => `? AS ${quoteIdentifier(`safemig_k${k}`)}`),
    '? AS safemig_fp',
    ...columns.map((_, c) => `? AS ${quoteIdentifier(`safemig_v${c}`)}`),
  ].join(', ');
  const t = quoteIdentifier(TABLE_ALIAS);
  const p = quoteIdentifier(PATCH_ALIAS);
  const join = shape.key
    .map((column, k) => `${t}.${quoteIdentifier(column.name)} = ${p}.${quoteIdentifier(`safemig_k${k}`)}`)
    .join(' AND ');
  const assignments = columns
    .map((column, c) => `${t}.${quoteIdentifier(column)} = ${p}.${quoteIdentifier(`safemig_v${c}`)}`)
    .join(', ');
  const head = `UPDATE ${quoteIdentifier(definition.table)} AS ${t} JOIN (SELECT ${aliases}`;
  const tail = `) AS ${p} ON ${join}
      SET ${assignments} WHERE ${fingerprintText(definition, TABLE_ALIAS)} = ${p}.safemig_fp AND (${definition.where})`;
  return (members, start, end) => {
    const parameters: unknown[] = new Array((end - start) * width);
    let at = 0;
    for (let index = start; index < end; index += 1) {
      const write = members[index] as PendingWrite;
      for (let k = 0; k < keyWidth; k += 1) parameters[at++] = write.read.key[k];
      parameters[at++] = write.read.fingerprint;
      for (const column of columns) parameters[at++] = write.patch[column];
    }
    const text = `${head}${` UNION ALL SELECT ${placeholders}`.repeat(end - start - 1)}${tail}`;
    return CompiledQuery.raw(text, parameters);
  };
}

/** Writes grouped by the columns their patch sets (usually one group: a transform tends to set the same columns). */
function groupByColumns(writes: readonly PendingWrite[]): { columns: string[]; members: PendingWrite[] }[] {
  const first = writes[0];
  if (!first) return [];
  const firstColumns = Object.keys(first.patch);
  if (writes.every((write) => setsExactly(write.patch, firstColumns)))
    return [{ columns: firstColumns, members: [...writes] }];
  const groups: { columns: string[]; members: PendingWrite[] }[] = [];
  let last: { columns: string[]; members: PendingWrite[] } | undefined;
  for (const write of writes) {
    if (!last || !setsExactly(write.patch, last.columns)) {
      last = groups.find((group) => setsExactly(write.patch, group.columns));
      if (!last) {
        last = { columns: Object.keys(write.patch), members: [] };
        groups.push(last);
      }
    }
    last.members.push(write);
  }
  return groups;
}

/** Whether the patch sets these columns and no others, in the same order (compared without allocating). */
function setsExactly(patch: Readonly<Record<string, unknown>>, columns: readonly string[]): boolean {
  let index = 0;
  for (const column in patch) {
    if (columns[index] !== column) return false;
    index += 1;
  }
  return index === columns.length;
}
