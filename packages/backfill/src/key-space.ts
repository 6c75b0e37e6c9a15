import type { KeyValue } from './cursor';
import type { KeyColumn } from './table-shape';

/*
 * The first key column seen as a number line: integers as themselves, binary ids as big-endian unsigned numbers.
 * It is used to split the key space into ranges for several workers and to turn a cursor into a progress fraction
 * for the ETA. Character keys have no such line (their order is the collation's), so they get neither.
 */

/** Whether the key space of this first key column can be split into ranges and measured for progress. */
export function isMeasurable(column: KeyColumn): boolean {
  return column.kind !== 'string';
}

/**
 * `parts - 1` inclusive upper bounds that cut the first column's values between `min` and `max` into `parts`
 * ranges of equal width (not equal row counts: a skewed key distribution gives uneven ranges). Duplicates are
 * dropped, so a small key space can yield fewer ranges.
 */
export function splitKeySpace(column: KeyColumn, min: KeyValue, max: KeyValue, parts: number): KeyValue[] {
  const width = byteWidth(min, max);
  const low = toPosition(min, width);
  const high = toPosition(max, width);
  const bounds: KeyValue[] = [];
  let previous: bigint | undefined;
  for (let i = 1; i < parts; i += 1) {
    const position = low + ((high - low) * BigInt(i)) / BigInt(parts);
    if (position === previous || position >= high) continue;
    previous = position;
    bounds.push(column.kind === 'integer' ? position : fromPosition(position, width));
  }
  return bounds;
}

/** How far `value` lies between `low` and `high`, from 0 to 1; `undefined` when the span is empty or unknown. */
export function fractionOf(value: KeyValue, low: KeyValue, high: KeyValue): number | undefined {
  if (typeof value === 'string' || typeof low === 'string' || typeof high === 'string') return undefined;
  const width = byteWidth(low, high, value);
  const lo = toPosition(low, width);
  const hi = toPosition(high, width);
  if (hi <= lo) return undefined;
  const at = toPosition(value, width);
  const fraction = Number(((at - lo) * 1_000_000n) / (hi - lo)) / 1_000_000;
  return Math.min(1, Math.max(0, fraction));
}

function byteWidth(...values: KeyValue[]): number {
  return Math.max(0, ...values.map((value) => (Buffer.isBuffer(value) ? value.length : 0)));
}

function toPosition(value: KeyValue, width: number): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') throw new Error('character keys have no numeric position');
  const padded = Buffer.alloc(width);
  value.copy(padded);
  return padded.length === 0 ? 0n : BigInt(`0x${padded.toString('hex')}`);
}

function fromPosition(position: bigint, width: number): Buffer {
  return Buffer.from(position.toString(16).padStart(width * 2, '0'), 'hex');
}
