import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import type { KeyColumn } from './table-shape';

/**
 * One key column's value as the engine holds it: integers as `bigint` (BIGINT ids keep their precision and are
 * written into SQL as integer literals), binary ids as `Buffer`, character keys as `string`.
 */
export type KeyValue = bigint | Buffer | string;

/**
 * A position in the key order. A full tuple is a row's key; a shorter tuple (a prefix) is a range bound that only
 * compares the first columns, which is how split ranges of a composite key are expressed.
 */
export type KeyTuple = readonly KeyValue[];

/** The key of a row read from the table, in the engine's representation. */
export function keyOfRow(columns: readonly KeyColumn[], row: Readonly<Record<string, unknown>>): KeyTuple {
  return columns.map((column) => toKeyValue(column, row[column.name]));
}

/** Converts one value read from mysql2 (or decoded from a checkpoint) into the engine's representation. */
export function toKeyValue(column: KeyColumn, value: unknown): KeyValue {
  switch (column.kind) {
    case 'integer':
      if (typeof value === 'bigint') return value;
      return BigInt(typeof value === 'number' ? value : String(value));
    case 'binary':
      return Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
    case 'string':
      return String(value);
  }
}

/**
 * The checkpoint text of a key: a JSON array with integers as decimal strings and binary values as `0x` hex, so it
 * stays readable in `SELECT * FROM safemig_backfill`.
 *
 * ### Examples
 * ```ts
 * encodeKey([{ name: 'id', kind: 'binary', columnType: 'binary(16)' }], [Buffer.from('0a0b', 'hex')]); // '["0x0a0b"]'
 * ```
 */
export function encodeKey(columns: readonly KeyColumn[], key: KeyTuple): string {
  return JSON.stringify(
    key.map((value, index) => {
      const column = columns[index];
      if (column?.kind === 'binary') return `0x${(value as Buffer).toString('hex')}`;
      return String(value);
    }),
  );
}

/** Reverses {@link encodeKey}. */
export function decodeKey(columns: readonly KeyColumn[], text: string): KeyTuple {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || parsed.length > columns.length)
    throw new Error(`not a key of (${columns.map((c) => c.name).join(', ')}): ${text}`);
  return parsed.map((value, index) => {
    const column = columns[index] as KeyColumn;
    if (column.kind === 'binary') return Buffer.from(String(value).replace(/^0x/, ''), 'hex');
    return toKeyValue(column, value);
  });
}

/** `key > bound` in the key order, expanded so MySQL and MariaDB use the primary key range (row-value comparisons may not). */
export function keyAfter(columns: readonly KeyColumn[], bound: KeyTuple): RawBuilder<unknown> {
  return compare(columns, bound, '>');
}

/** `key <= bound` in the key order (on the prefix the bound has). */
export function keyAtMost(columns: readonly KeyColumn[], bound: KeyTuple): RawBuilder<unknown> {
  return compare(columns, bound, '<=');
}

/** `key = value` for a full key. */
export function keyEquals(columns: readonly KeyColumn[], key: KeyTuple, alias?: string): RawBuilder<unknown> {
  return sql.join(
    columns.map((column, index) => sql`${qualified(column, alias)} = ${key[index]}`),
    sql` AND `,
  );
}

/** The key columns, comma separated, optionally qualified with a table alias. */
export function keyColumnList(columns: readonly KeyColumn[], alias?: string): RawBuilder<unknown> {
  return sql.join(columns.map((column) => qualified(column, alias)));
}

/** `ORDER BY` list of the key columns. */
export function keyOrder(columns: readonly KeyColumn[], direction: 'ASC' | 'DESC' = 'ASC'): RawBuilder<unknown> {
  return sql.join(columns.map((column) => sql`${id(column.name)} ${sql.raw(direction)}`));
}

/** Compares two key tuples the way the server orders them (bytes for binary keys; string keys use the server order). */
export function compareKeys(a: KeyTuple, b: KeyTuple): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] as KeyValue;
    const y = b[i] as KeyValue;
    const order =
      typeof x === 'bigint'
        ? x < (y as bigint)
          ? -1
          : x > (y as bigint)
            ? 1
            : 0
        : Buffer.isBuffer(x)
          ? Buffer.compare(x, y as Buffer)
          : x < (y as string)
            ? -1
            : x > (y as string)
              ? 1
              : 0;
    if (order !== 0) return order;
  }
  return 0;
}

/** A key as `col=value` pairs for logs and reports. */
export function formatKey(columns: readonly KeyColumn[], key: KeyTuple): string {
  return key
    .map(
      (value, index) =>
        `${columns[index]?.name}=${Buffer.isBuffer(value) ? `0x${value.toString('hex')}` : String(value)}`,
    )
    .join(',');
}

function qualified(column: KeyColumn, alias?: string): RawBuilder<unknown> {
  return alias ? sql`${id(alias)}.${id(column.name)}` : id(column.name);
}

function compare(columns: readonly KeyColumn[], bound: KeyTuple, operator: '>' | '<='): RawBuilder<unknown> {
  const width = bound.length;
  if (width === 0) return sql`1 = 1`;
  const strict = operator === '>' ? '>' : '<';
  const alternatives: RawBuilder<unknown>[] = [];
  // (a > ?) OR (a = ? AND b > ?) OR ...: for `<=` the last column is inclusive and the others strict.
  for (let last = 0; last < width; last += 1) {
    const terms: RawBuilder<unknown>[] = [];
    for (let i = 0; i < last; i += 1) terms.push(sql`${id((columns[i] as KeyColumn).name)} = ${bound[i]}`);
    const op = last === width - 1 ? operator : strict;
    terms.push(sql`${id((columns[last] as KeyColumn).name)} ${sql.raw(op)} ${bound[last]}`);
    alternatives.push(sql`(${sql.join(terms, sql` AND `)})`);
  }
  if (width === 1) return alternatives[0] as RawBuilder<unknown>;
  // The leading `a >= ?` / `a <= ?` repeats what the OR implies; it gives the optimizer a plain range on the index.
  const first = id((columns[0] as KeyColumn).name);
  const leading = operator === '>' ? sql`${first} >= ${bound[0]}` : sql`${first} <= ${bound[0]}`;
  return sql`(${leading} AND (${sql.join(alternatives, sql` OR `)}))`;
}
