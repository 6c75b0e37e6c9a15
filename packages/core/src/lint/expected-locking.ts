import type { SnapshotTable } from './schema-snapshot';
import { enumValues, normalizeColumnType, type Operation } from './statement-operations';

/** How the server executes a change: INSTANT (metadata only), INPLACE (online), COPY (rebuild, writes blocked). */
export type LockAlgorithm = 'INSTANT' | 'INPLACE' | 'COPY' | 'NONE';

/**
 * What other sessions are kept from doing while it runs: NONE (reads and writes go on), SHARED (writes blocked),
 * EXCLUSIVE (reads and writes blocked), ROWS (the rows touched), METADATA (a brief metadata lock).
 */
export type LockLevel = 'NONE' | 'SHARED' | 'EXCLUSIVE' | 'ROWS' | 'METADATA';

/** The expected locking of one operation, as shown in the plan. */
export interface LockEstimate {
  readonly table: string;
  readonly operation: string;
  readonly algorithm: LockAlgorithm;
  readonly lock: LockLevel;
  /** Whether the table is rebuilt (time grows with its size). */
  readonly rebuildsTable: boolean;
}

export interface LockingContext {
  /** The table as it was before the statement; undefined for a table that does not exist yet. */
  readonly before: SnapshotTable | undefined;
  readonly supportsInstantAddColumn: boolean;
  /** ALGORITHM= and LOCK= written in the statement; they override the estimate. */
  readonly algorithm: string | undefined;
  readonly lock: string | undefined;
}

/**
 * The documented InnoDB behaviour of each kind of change (MySQL 8.0 "Online DDL Operations", MariaDB "InnoDB Online
 * DDL Operations"), conservative where the two servers differ. Undefined for statements that lock nothing worth
 * showing (reads, inserts, new tables).
 */
export function estimateLocking(operation: Operation, context: LockingContext): LockEstimate | undefined {
  const base = baseEstimate(operation, context);
  if (!base) return undefined;
  const algorithm = (['INSTANT', 'INPLACE', 'COPY'] as const).find((name) => name === context.algorithm);
  const lock = (['NONE', 'SHARED', 'EXCLUSIVE'] as const).find((name) => name === context.lock);
  return {
    ...base,
    ...(algorithm ? { algorithm, rebuildsTable: algorithm === 'COPY' || base.rebuildsTable } : {}),
    ...(lock ? { lock } : algorithm === 'COPY' && base.lock === 'NONE' ? { lock: 'SHARED' as const } : {}),
  };
}

/** A short description of an operation, e.g. `DROP COLUMN external_order.legacy_status`. */
export function describeOperation(operation: Operation): string {
  switch (operation.kind) {
    case 'create-table':
      return `CREATE TABLE ${operation.table}`;
    case 'drop-table':
      return `DROP TABLE ${operation.table}`;
    case 'truncate':
      return `TRUNCATE ${operation.table}`;
    case 'rename-table':
      return `RENAME TABLE ${operation.table} TO ${operation.to}`;
    case 'add-column':
      return `ADD COLUMN ${operation.table}.${operation.column.name} ${operation.column.type}${operation.column.nullable ? ' NULL' : ' NOT NULL'}`;
    case 'modify-column':
      return `MODIFY COLUMN ${operation.table}.${operation.from} ${operation.column.type}${operation.column.nullable ? ' NULL' : ' NOT NULL'}`;
    case 'rename-column':
      return `RENAME COLUMN ${operation.table}.${operation.from} TO ${operation.to}`;
    case 'drop-column':
      return `DROP COLUMN ${operation.table}.${operation.column}`;
    case 'add-index':
      return `ADD ${operation.index.primary ? 'PRIMARY KEY' : operation.index.unique ? 'UNIQUE INDEX' : 'INDEX'} ${operation.table}${operation.index.name && !operation.index.primary ? `.${operation.index.name}` : ''} (${operation.index.columns.join(', ')})`;
    case 'drop-index':
      return `DROP INDEX ${operation.table}.${operation.index}`;
    case 'add-foreign-key':
      return `ADD FOREIGN KEY ${operation.table}${operation.foreignKey.name ? `.${operation.foreignKey.name}` : ''} (${operation.foreignKey.columns.join(', ')}) -> ${operation.foreignKey.referencedTable}`;
    case 'drop-foreign-key':
      return `DROP FOREIGN KEY ${operation.table}.${operation.name}`;
    case 'alter-table-other':
      return `ALTER TABLE ${operation.table} ${operation.clause.toUpperCase()}`;
    case 'create-trigger':
      return `CREATE TRIGGER ${operation.name} ON ${operation.table}`;
    case 'drop-trigger':
      return `DROP TRIGGER ${operation.name}`;
    case 'create-view':
      return `CREATE VIEW ${operation.name}`;
    case 'drop-view':
      return `DROP VIEW ${operation.name}`;
    case 'update':
    case 'delete':
      return `${operation.kind.toUpperCase()} ${operation.table}${operation.hasWhere ? ' WHERE ...' : ''}${operation.hasLimit ? ' LIMIT ...' : ''}`;
    case 'insert':
      return `INSERT INTO ${operation.table}`;
    case 'read':
      return 'SELECT';
    case 'other':
      return operation.statement.toUpperCase();
  }
}

function baseEstimate(operation: Operation, context: LockingContext): LockEstimate | undefined {
  const make = (table: string, algorithm: LockAlgorithm, lock: LockLevel, rebuildsTable: boolean): LockEstimate => ({
    table,
    operation: describeOperation(operation),
    algorithm,
    lock,
    rebuildsTable,
  });
  switch (operation.kind) {
    case 'add-column':
      if (!context.before) return undefined;
      return context.supportsInstantAddColumn && !operation.column.autoIncrement
        ? make(operation.table, 'INSTANT', 'NONE', false)
        : make(operation.table, 'INPLACE', 'NONE', true);
    case 'drop-column':
      return make(operation.table, 'INPLACE', 'NONE', true);
    case 'modify-column': {
      const current = context.before?.columns.get(operation.from.toLowerCase());
      if (!current) return make(operation.table, 'COPY', 'SHARED', true);
      const oldType = normalizeColumnType(current.columnType);
      const newType = operation.column.type;
      if (oldType === newType) {
        // Only nullability (or a rename) changes: NULL <-> NOT NULL rebuilds in place; the rest is metadata.
        return current.nullable !== operation.column.nullable
          ? make(operation.table, 'INPLACE', 'NONE', true)
          : make(operation.table, 'INSTANT', 'NONE', false);
      }
      if (/^enum\(/.test(oldType) && /^enum\(/.test(newType)) {
        const before = enumValues(oldType);
        const after = enumValues(newType);
        const appended = before.every((value, index) => after[index] === value);
        if (appended && current.nullable === operation.column.nullable) {
          return make(operation.table, 'INSTANT', 'NONE', false);
        }
      }
      return make(operation.table, 'COPY', 'SHARED', true);
    }
    case 'rename-column':
      return make(operation.table, 'INSTANT', 'NONE', false);
    case 'add-index':
      if (!context.before) return undefined;
      return operation.index.primary
        ? make(operation.table, 'INPLACE', 'NONE', true)
        : make(operation.table, 'INPLACE', 'NONE', false);
    case 'drop-index':
      return operation.index === 'PRIMARY'
        ? make(operation.table, 'COPY', 'SHARED', true)
        : make(operation.table, 'INPLACE', 'NONE', false);
    case 'add-foreign-key':
      // INPLACE only with foreign_key_checks=0, which a migration must not rely on.
      return make(operation.table, 'COPY', 'SHARED', true);
    case 'drop-foreign-key':
      return make(operation.table, 'INPLACE', 'NONE', false);
    case 'alter-table-other':
      return make(operation.table, 'INPLACE', 'NONE', true);
    case 'drop-table':
    case 'truncate':
      return make(operation.table, 'NONE', 'EXCLUSIVE', false);
    case 'rename-table':
      return make(operation.table, 'NONE', 'METADATA', false);
    case 'update':
    case 'delete':
      return make(operation.table, 'NONE', 'ROWS', false);
    default:
      return undefined;
  }
}
