import { validateColumnType } from '@safemig/core';

/** A planned column type, reduced to the limits a type-change check compares against. */
export type TargetType =
  | { readonly kind: 'chars'; readonly type: string; readonly length: number }
  | { readonly kind: 'bytes'; readonly type: string; readonly length: number }
  | { readonly kind: 'integer'; readonly type: string; readonly min: bigint; readonly max: bigint }
  | { readonly kind: 'decimal'; readonly type: string; readonly precision: number; readonly scale: number }
  | { readonly kind: 'enum' | 'set'; readonly type: string; readonly members: readonly string[] };

const INTEGER_BITS: Readonly<Record<string, number>> = {
  tinyint: 8,
  smallint: 16,
  mediumint: 24,
  int: 32,
  integer: 32,
  bigint: 64,
};
const TEXT_BYTES: Readonly<Record<string, number>> = {
  tinytext: 255,
  text: 65_535,
  mediumtext: 16_777_215,
  tinyblob: 255,
  blob: 65_535,
  mediumblob: 16_777_215,
};

/**
 * Parses the target type of a type-change check (`VARCHAR(20)`, `DECIMAL(10,2)`, `INT UNSIGNED`, `ENUM('a','b')`).
 * Returns `undefined` for types without a limit safemig checks (LONGTEXT, JSON, DATE: see the dates check).
 */
export function parseTargetType(input: string): TargetType | undefined {
  const type = validateColumnType(input);
  const name = (/^[A-Za-z]+/.exec(type)?.[0] ?? '').toLowerCase();
  const args = /^\w+\s*\(([^)]*)\)/.exec(type)?.[1];
  if (name === 'varchar' || name === 'char') return { kind: 'chars', type, length: Number(args ?? 1) };
  if (name === 'varbinary' || name === 'binary') return { kind: 'bytes', type, length: Number(args ?? 1) };
  if (TEXT_BYTES[name] !== undefined) return { kind: 'bytes', type, length: TEXT_BYTES[name] };
  const bits = INTEGER_BITS[name];
  if (bits !== undefined) {
    const unsigned = /\bunsigned\b/i.test(type);
    return unsigned
      ? { kind: 'integer', type, min: 0n, max: 2n ** BigInt(bits) - 1n }
      : { kind: 'integer', type, min: -(2n ** BigInt(bits - 1)), max: 2n ** BigInt(bits - 1) - 1n };
  }
  if (name === 'decimal' || name === 'numeric') {
    const [precision = 10, scale = 0] = (args ?? '10,0').split(',').map((part) => Number(part.trim()));
    return { kind: 'decimal', type, precision, scale };
  }
  if (name === 'enum' || name === 'set') {
    const members = [...(args ?? '').matchAll(/'((?:[^']|'')*)'/g)].map((match) =>
      (match[1] ?? '').replace(/''/g, "'"),
    );
    return { kind: name, type, members };
  }
  return undefined;
}
