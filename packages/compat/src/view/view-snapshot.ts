import { id, tableExists, validateIdentifier } from '@safemig/core';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { InvalidViewQueryError, ViewNotSnapshottedError } from '../compat-errors';
import { displayValue } from '../schema/table-metadata';
import { validateViewQuery } from './view-query';

/** The table that keeps view snapshots: name, query, row count, checksum, keyed sample. */
export const COMPAT_VIEW_TABLE = 'safemig_compat_view';
/** Rows of the keyed sample a snapshot keeps unless told otherwise. */
export const DEFAULT_VIEW_SAMPLE_SIZE = 100;

export interface SnapshotViewOptions {
  /** Columns of the query that identify a row (default: its first column). */
  readonly key?: readonly string[];
  /** Rows kept (the first by key) to name differences later; default 100. */
  readonly sampleSize?: number;
}

/** What a snapshot or a re-run measured. */
export interface ViewMeasure {
  readonly rowCount: number;
  /** Order-independent: the sum of a 60-bit hash of every row, so row order and plan changes do not matter. */
  readonly checksum: string;
  readonly columns: readonly string[];
}

export interface ViewSnapshot extends ViewMeasure {
  readonly name: string;
  readonly query: string;
  readonly key: readonly string[];
  readonly sample: readonly Readonly<Record<string, unknown>>[];
  readonly takenAt: Date;
}

/** A sampled row that reads differently now. */
export interface ViewDifference {
  readonly key: Readonly<Record<string, unknown>>;
  readonly change: 'changed' | 'missing';
  /** For `changed`: the columns whose value differs. */
  readonly columns: readonly string[];
  readonly before: Readonly<Record<string, unknown>>;
  readonly after: Readonly<Record<string, unknown>> | undefined;
}

export interface ViewComparison {
  readonly name: string;
  /** Same row count, same checksum, same columns and no sampled row differs. */
  readonly unchanged: boolean;
  readonly before: ViewMeasure;
  readonly after: ViewMeasure;
  readonly differences: readonly ViewDifference[];
}

async function ensureViewTable(db: Kysely<any>): Promise<void> {
  if (await tableExists(db, COMPAT_VIEW_TABLE)) return;
  await sql`CREATE TABLE IF NOT EXISTS ${id(COMPAT_VIEW_TABLE)} (
    name VARCHAR(128) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    query_text LONGTEXT NOT NULL,
    key_columns TEXT NOT NULL,
    column_list TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    checksum VARCHAR(80) NOT NULL,
    sample LONGTEXT NOT NULL,
    taken_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
  ) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`.execute(db);
}

function derived(query: string): RawBuilder<unknown> {
  return sql`(${sql.raw(query)}) safemig_view`;
}

async function columnsOf(db: Kysely<any>, name: string, query: string): Promise<string[]> {
  const probe = await sql<Record<string, unknown>>`SELECT * FROM ${derived(query)} LIMIT 1`.execute(db);
  const columns = Object.keys(probe.rows[0] ?? {});
  for (const column of columns) {
    try {
      validateIdentifier(column);
    } catch {
      throw new InvalidViewQueryError(
        name,
        `returns a column named ${JSON.stringify(column)}; give every column a plain alias (AS name)`,
      );
    }
  }
  return columns;
}

async function measure(db: Kysely<any>, name: string, query: string): Promise<ViewMeasure> {
  const columns = await columnsOf(db, name, query);
  if (columns.length === 0) return { rowCount: 0, checksum: '0', columns };
  // QUOTE() renders NULL as the word NULL and quotes everything else, so (NULL, 'x') and ('NULL', 'x') hash apart.
  const row = sql`CONCAT_WS('|', ${sql.join(columns.map((column) => sql`QUOTE(${id(column)})`))})`;
  const result = await sql<{ n: number | string; checksum: string | number | null }>`
    SELECT COUNT(*) AS n, SUM(CAST(CONV(SUBSTRING(MD5(${row}), 1, 15), 16, 10) AS UNSIGNED)) AS checksum
    FROM ${derived(query)}`.execute(db);
  return { rowCount: Number(result.rows[0]?.n ?? 0), checksum: String(result.rows[0]?.checksum ?? '0'), columns };
}

/** Every way to bind a sampled key: each `0x…` value as text and as bytes (at most 2^columns tuples). */
function bindings(values: readonly unknown[]): unknown[][] {
  return values.reduce<unknown[][]>(
    (tuples, value) => {
      const forms =
        typeof value === 'string' && /^0x(?:[0-9a-f]{2})+$/i.test(value)
          ? [value, Buffer.from(value.slice(2), 'hex')]
          : [value];
      return tuples.flatMap((tuple) => forms.map((form) => [...tuple, form]));
    },
    [[]],
  );
}

function normalizeRow(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([column, value]) => [column, displayValue(value)]));
}

/**
 * Records how the application reads its data before a migration: row count, order-independent checksum and a keyed
 * sample of `query`'s result, stored in `safemig_compat_view` under `name` (replacing an older snapshot).
 *
 * ### Examples
 * ```ts
 * await snapshotView(db, 'order-list', "SELECT id, status, total FROM external_order WHERE deleted = 0");
 * await migrator.migrate();
 * const comparison = await compareView(db, 'order-list');
 * if (!comparison.unchanged) console.log(comparison.differences);
 * ```
 */
export async function snapshotView(
  db: Kysely<any>,
  name: string,
  query: string,
  options: SnapshotViewOptions = {},
): Promise<ViewSnapshot> {
  const checked = validateViewQuery(name, query);
  await ensureViewTable(db);
  const measured = await measure(db, name, checked);
  const key = options.key ?? measured.columns.slice(0, 1);
  for (const column of key) {
    if (!measured.columns.includes(column) && measured.columns.length > 0) {
      throw new InvalidViewQueryError(name, `has no column ${column} to use as key`);
    }
  }
  const sample =
    measured.columns.length === 0
      ? []
      : (
          await sql<
            Record<string, unknown>
          >`SELECT * FROM ${derived(checked)} ORDER BY ${sql.join(key.map((column) => id(column)))}
            LIMIT ${options.sampleSize ?? DEFAULT_VIEW_SAMPLE_SIZE}`.execute(db)
        ).rows.map(normalizeRow);
  const values = {
    query_text: checked,
    key_columns: JSON.stringify(key),
    column_list: JSON.stringify(measured.columns),
    row_count: measured.rowCount,
    checksum: measured.checksum,
    sample: JSON.stringify(sample),
  };
  await sql`INSERT INTO ${id(COMPAT_VIEW_TABLE)} (name, query_text, key_columns, column_list, row_count, checksum, sample, taken_at)
    VALUES (${name}, ${values.query_text}, ${values.key_columns}, ${values.column_list}, ${values.row_count}, ${values.checksum}, ${values.sample}, CURRENT_TIMESTAMP(6))
    ON DUPLICATE KEY UPDATE query_text = VALUES(query_text), key_columns = VALUES(key_columns), column_list = VALUES(column_list),
      row_count = VALUES(row_count), checksum = VALUES(checksum), sample = VALUES(sample), taken_at = VALUES(taken_at)`.execute(
    db,
  );
  return { name, query: checked, key, sample, ...measured, takenAt: new Date() };
}

/** The stored snapshot of a view, or undefined. */
export async function loadViewSnapshot(db: Kysely<any>, name: string): Promise<ViewSnapshot | undefined> {
  if (!(await tableExists(db, COMPAT_VIEW_TABLE))) return undefined;
  const result = await sql<
    Record<string, string | number | Date>
  >`SELECT * FROM ${id(COMPAT_VIEW_TABLE)} WHERE name = ${name}`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    name,
    query: String(row.query_text),
    key: JSON.parse(String(row.key_columns)) as string[],
    columns: JSON.parse(String(row.column_list)) as string[],
    rowCount: Number(row.row_count),
    checksum: String(row.checksum),
    sample: JSON.parse(String(row.sample)) as Record<string, unknown>[],
    takenAt: row.taken_at as Date,
  };
}

/**
 * Re-runs a snapshotted view query and compares: row count, checksum, columns, and every sampled row by key
 * (`changed` with the differing columns, or `missing`). Proves the application's reads are unchanged by the
 * migration; a checksum change outside the sample is reported with `unchanged: false` and no sampled difference.
 */
export async function compareView(db: Kysely<any>, name: string): Promise<ViewComparison> {
  const snapshot = await loadViewSnapshot(db, name);
  if (!snapshot) throw new ViewNotSnapshottedError(name);
  const after = await measure(db, name, snapshot.query);
  const differences: ViewDifference[] = [];
  if (
    snapshot.sample.length > 0 &&
    after.columns.length > 0 &&
    snapshot.key.every((column) => after.columns.includes(column))
  ) {
    const keyOf = (row: Readonly<Record<string, unknown>>) => JSON.stringify(snapshot.key.map((column) => row[column]));
    // The sample holds displayed values: a BINARY key (a Shopware id) reads `0x…`. Such a value is bound both as
    // text and as the bytes it stands for, so the lookup finds the row whatever the key column's type; the match by
    // displayed value below keeps only the true one.
    const tuples = snapshot.sample.flatMap((row) =>
      bindings(snapshot.key.map((column) => row[column])).map(
        (values) => sql`(${sql.join(values.map((value) => sql`${value}`))})`,
      ),
    );
    const current = await sql<Record<string, unknown>>`SELECT * FROM ${derived(snapshot.query)}
      WHERE (${sql.join(snapshot.key.map((column) => id(column)))}) IN (${sql.join(tuples)})`.execute(db);
    const byKey = new Map(current.rows.map((row) => [keyOf(normalizeRow(row)), normalizeRow(row)]));
    for (const before of snapshot.sample) {
      const now = byKey.get(keyOf(before));
      const key = Object.fromEntries(snapshot.key.map((column) => [column, before[column]]));
      if (!now) {
        differences.push({ key, change: 'missing', columns: [], before, after: undefined });
        continue;
      }
      const changed = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter(
        (column) => JSON.stringify(before[column]) !== JSON.stringify(now[column]),
      );
      if (changed.length > 0) differences.push({ key, change: 'changed', columns: changed, before, after: now });
    }
  }
  const before: ViewMeasure = { rowCount: snapshot.rowCount, checksum: snapshot.checksum, columns: snapshot.columns };
  const unchanged =
    differences.length === 0 &&
    before.rowCount === after.rowCount &&
    before.checksum === after.checksum &&
    JSON.stringify(before.columns) === JSON.stringify(after.columns);
  return { name, unchanged, before, after, differences };
}
