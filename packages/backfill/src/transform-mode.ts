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
  /** SHA-256 of the selected columns as the server saw them when the row was read. */
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
 */
function fingerprint(definition: TransformBackfillDefinition, alias?: string): RawBuilder<unknown> {
  const columns = definition.select.map((column) =>
    alias ? sql`QUOTE(${id(alias)}.${id(column)})` : sql`QUOTE(${id(column)})`,
  );
  return sql`SHA2(CONCAT_WS(',', ${sql.join(columns)}), 256)`;
}

function selectList(definition: TransformBackfillDefinition, shape: TableShape): RawBuilder<unknown> {
  const keyNames = new Set(shape.key.map((column) => column.name));
  const extra = definition.select.filter((column) => !keyNames.has(column)).map((column) => id(column));
  const columns = [keyColumnList(shape.key), ...extra, sql`${fingerprint(definition)} AS safemig_fingerprint`];
  return sql.join(columns);
}

function toReadRow(shape: TableShape, raw: Record<string, unknown>): ReadRow {
  const { safemig_fingerprint: print, ...row } = raw;
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
  let result: unknown;
  try {
    result = await definition.transform(row);
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message || error.name : String(error) };
  }
  if (result === skipRow) return { kind: 'skip' };
  try {
    return { kind: 'patch', patch: checkPatch(definition, shape, result) };
  } catch (error) {
    return { kind: 'error', message: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}

function checkPatch(
  definition: TransformBackfillDefinition,
  shape: TableShape,
  result: unknown,
): Record<string, unknown> {
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
  const entries = Object.entries(result as Record<string, unknown>);
  if (entries.length === 0) throw new BackfillTransformResultError(definition.name, 'returned an empty patch');
  const keyNames = new Set(shape.key.map((column) => column.name));
  const patch: Record<string, unknown> = {};
  for (const [column, value] of entries) {
    if (!shape.columns.has(column)) {
      throw new BackfillTransformResultError(
        definition.name,
        `returned column ${JSON.stringify(column)}, which ${definition.table} does not have`,
      );
    }
    if (keyNames.has(column))
      throw new BackfillTransformResultError(definition.name, `tried to change key column ${column}`);
    patch[column] = toSqlValue(definition, column, value);
  }
  return patch;
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
  const groups = new Map<string, PendingWrite[]>();
  for (const write of writes) {
    const signature = Object.keys(write.patch).join('\u0000');
    const group = groups.get(signature);
    if (group) group.push(write);
    else groups.set(signature, [write]);
  }
  for (const group of groups.values()) {
    const columns = Object.keys((group[0] as PendingWrite).patch);
    // Built as one text with placeholders and a flat parameter list rather than a kysely node per value: a batch of
    // thousands of rows would otherwise allocate tens of megabytes of short-lived objects.
    const width = shape.key.length + 1 + columns.length;
    const placeholders = Array.from({ length: width }, () => '?').join(', ');
    const aliases = [
      ...shape.key.map((_, k) => `? AS ${quoteIdentifier(`safemig_k${k}`)}`),
      '? AS safemig_fp',
      ...columns.map((_, c) => `? AS ${quoteIdentifier(`safemig_v${c}`)}`),
    ].join(', ');
    const parameters: unknown[] = [];
    const selects: string[] = [];
    for (const write of group) {
      selects.push(selects.length === 0 ? `SELECT ${aliases}` : `SELECT ${placeholders}`);
      parameters.push(...write.read.key, write.read.fingerprint);
      for (const column of columns) parameters.push(write.patch[column]);
    }
    const t = quoteIdentifier(TABLE_ALIAS);
    const p = quoteIdentifier(PATCH_ALIAS);
    const join = shape.key
      .map((column, k) => `${t}.${quoteIdentifier(column.name)} = ${p}.${quoteIdentifier(`safemig_k${k}`)}`)
      .join(' AND ');
    const assignments = columns
      .map((column, c) => `${t}.${quoteIdentifier(column)} = ${p}.${quoteIdentifier(`safemig_v${c}`)}`)
      .join(', ');
    const fingerprintText = `SHA2(CONCAT_WS(',', ${definition.select.map((column) => `QUOTE(${t}.${quoteIdentifier(column)})`).join(', ')}), 256)`;
    const text = `UPDATE ${quoteIdentifier(definition.table)} AS ${t} JOIN (${selects.join(' UNION ALL ')}) AS ${p} ON ${join}
      SET ${assignments} WHERE ${fingerprintText} = ${p}.safemig_fp AND (${definition.where})`;
    const result = await connection.executeQuery(CompiledQuery.raw(text, parameters));
    if (Number(result.numAffectedRows ?? 0n) !== group.length) return false;
  }
  return true;
}
