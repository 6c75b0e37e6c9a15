import { sql, type Kysely } from 'kysely';
import { BackfillColumnError, BackfillKeyError } from './backfill-errors';
import type { BackfillDefinition } from './definition';

/** How a key column's values are compared, stored in the checkpoint and split into ranges. */
export type KeyColumnKind = 'integer' | 'binary' | 'string';

export interface KeyColumn {
  readonly name: string;
  readonly kind: KeyColumnKind;
  /** The column type as the server reports it, e.g. `binary(16)` or `int(10) unsigned`. */
  readonly columnType: string;
}

/** What the engine needs to know about the backfilled table. */
export interface TableShape {
  readonly table: string;
  readonly key: readonly KeyColumn[];
  readonly columns: ReadonlySet<string>;
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const BINARY_TYPES = new Set(['binary', 'varbinary']);
const STRING_TYPES = new Set(['char', 'varchar']);

/**
 * Reads the table's columns and primary key from information_schema and checks the definition against them: the
 * key must be the primary key (so keyset pagination visits every row exactly once), every named column must exist.
 */
export async function loadTableShape(db: Kysely<any>, definition: BackfillDefinition): Promise<TableShape> {
  const columns = await sql<{ name: string; dataType: string; columnType: string; keyPosition: number | null }>`
    SELECT c.COLUMN_NAME AS name, c.DATA_TYPE AS dataType, c.COLUMN_TYPE AS columnType, k.ORDINAL_POSITION AS keyPosition
    FROM information_schema.COLUMNS c
    LEFT JOIN information_schema.KEY_COLUMN_USAGE k
      ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME
      AND k.CONSTRAINT_NAME = 'PRIMARY'
    WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ${definition.table}
    ORDER BY c.ORDINAL_POSITION`.execute(db);
  const name = definition.name;
  if (columns.rows.length === 0) {
    throw new BackfillKeyError(name, definition.table, 'the table does not exist in the current schema');
  }
  const byName = new Map(columns.rows.map((row) => [row.name, row]));
  const primary = columns.rows
    .filter((row) => row.keyPosition !== null)
    .sort((a, b) => Number(a.keyPosition) - Number(b.keyPosition))
    .map((row) => row.name);
  if (primary.length === 0) throw new BackfillKeyError(name, definition.table, 'the table has no primary key');
  const keyNames = definition.key ?? primary;
  if (keyNames.join(',') !== primary.join(',')) {
    throw new BackfillKeyError(
      name,
      definition.table,
      `key (${keyNames.join(', ')}) is not the primary key (${primary.join(', ')}) in its column order`,
    );
  }
  const key = keyNames.map((column): KeyColumn => {
    const row = byName.get(column);
    const dataType = String(row?.dataType ?? '').toLowerCase();
    const kind: KeyColumnKind | undefined = INTEGER_TYPES.has(dataType)
      ? 'integer'
      : BINARY_TYPES.has(dataType)
        ? 'binary'
        : STRING_TYPES.has(dataType)
          ? 'string'
          : undefined;
    if (!kind) {
      throw new BackfillKeyError(
        name,
        definition.table,
        `key column ${column} has type ${row?.columnType}, which safemig does not page through`,
      );
    }
    return { name: column, kind, columnType: String(row?.columnType) };
  });
  const shape: TableShape = { table: definition.table, key, columns: new Set(byName.keys()) };
  const named =
    definition.mode === 'set'
      ? Object.keys(definition.set).map((c) => [c, `set`] as const)
      : definition.select.map((c) => [c, 'select'] as const);
  for (const [column, field] of named) assertColumn(definition, shape, column, field);
  return shape;
}

/** Throws {@link BackfillColumnError} unless the column exists. */
export function assertColumn(definition: BackfillDefinition, shape: TableShape, column: string, where: string): void {
  if (!shape.columns.has(column)) throw new BackfillColumnError(definition.name, definition.table, column, where);
}
