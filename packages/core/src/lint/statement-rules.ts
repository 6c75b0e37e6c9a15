import type { MigrationMode } from '../errors';
import type { MigrationMetadata } from '../migration';
import { describeOperation, estimateLocking, type LockEstimate } from './expected-locking';
import type { LintRuleCode } from './lint-rules';
import type { SchemaSnapshot, SnapshotTable } from './schema-snapshot';
import {
  enumValues,
  normalizeColumnType,
  type ColumnDefinition,
  type IndexDefinition,
  type Operation,
  type StatementOperations,
} from './statement-operations';

/** What the rules know while judging one statement. */
export interface StatementContext {
  readonly metadata: MigrationMetadata;
  readonly mode: MigrationMode;
  /** The scratch schema right before the statement. */
  readonly before: SchemaSnapshot;
  /** The scratch schema when this part of the step began: tables not in it are new and hold no rows. */
  readonly phaseStart: SchemaSnapshot;
  /** Lower-case literals of the information_schema reads this part of the step issued so far (existence guards). */
  readonly guards: ReadonlySet<string>;
  /** Row estimates of the real target schema, or undefined when they are not used. */
  readonly targetRows: ReadonlyMap<string, number> | undefined;
  readonly largeTableRows: number;
  readonly supportsInstantAddColumn: boolean;
}

/** A rule that fired on a statement. */
export interface RuleHit {
  readonly code: LintRuleCode;
  readonly table: string | undefined;
  readonly message: string;
}

/** The rules' verdict on one statement, with the expected locking of its operations. */
export interface StatementVerdict {
  readonly hits: readonly RuleHit[];
  readonly locking: readonly LockEstimate[];
  /** Descriptions of the destructive operations (drops, truncates, renames, tightened or changed columns). */
  readonly destructive: readonly Operation[];
}

/** Applies every statement rule to one parsed statement. */
export function judgeStatement(statement: StatementOperations, context: StatementContext): StatementVerdict {
  const hits: RuleHit[] = [];
  const locking: LockEstimate[] = [];
  const destructive: Operation[] = [];
  const hit = (code: LintRuleCode, table: string | undefined, message: string) => hits.push({ code, table, message });
  const requiresCompat = (context.metadata.requires ?? []).some((prerequisite) => prerequisite?.kind === 'compat');
  const isContract = context.metadata.phase === 'contract';
  const declaresPhase = context.metadata.phase !== undefined;

  if (statement.algorithm === 'COPY' || statement.lock === 'SHARED' || statement.lock === 'EXCLUSIVE') {
    const first = statement.operations.find((operation) => 'table' in operation);
    const table = first && 'table' in first ? first.table : undefined;
    hit(
      'SM008',
      table,
      `ALTER TABLE ${table ?? ''} asks for ${[statement.algorithm && `ALGORITHM=${statement.algorithm}`, statement.lock && `LOCK=${statement.lock}`].filter(Boolean).join(', ')}.`,
    );
  }

  for (const operation of statement.operations) {
    const table = 'table' in operation ? operation.table : undefined;
    const before = table ? tableIn(context.before, table) : undefined;
    const existing = table ? tableIn(context.phaseStart, table) : undefined;

    if (isDestructive(operation, context)) {
      destructive.push(operation);
      if (context.mode === 'updateDestructive' && declaresPhase && !isContract) {
        hit(
          'SM013',
          table,
          `${describeOperation(operation)} in updateDestructive() of a ${context.metadata.phase} step; destructive work belongs to contract steps.`,
        );
      }
    }

    if (context.mode === 'update' && existed(operation, context)) {
      if (['drop-table', 'drop-column', 'drop-index', 'drop-foreign-key', 'truncate'].includes(operation.kind)) {
        hit('SM001', table, `${describeOperation(operation)} in update().`);
      }
      if (operation.kind === 'rename-table' || operation.kind === 'rename-column') {
        hit('SM002', table, `${describeOperation(operation)} in update().`);
      }
    }

    switch (operation.kind) {
      case 'add-column':
        if (existing && !operation.column.nullable && !operation.column.hasDefault && !operation.column.autoIncrement) {
          hit('SM003', table, `${table}.${operation.column.name} is added NOT NULL without a DEFAULT.`);
        }
        if (!isGuarded(context, operation.column.name, table)) {
          hit('SM012', table, `ADD COLUMN ${table}.${operation.column.name} runs without checking that it is absent.`);
        }
        break;
      case 'modify-column':
        if (existing) checkModify(operation.table, operation.from, operation.column, before, requiresCompat, hit);
        break;
      case 'add-index':
        if (existing && operation.index.unique && !requiresCompat) {
          hit(
            'SM005',
            table,
            `${operation.index.primary ? 'PRIMARY KEY' : `UNIQUE index ${operation.index.name ?? ''}`} on ${table} (${operation.index.columns.join(', ')}) is added to an existing table without a compat collision check.`,
          );
        }
        if (!isGuarded(context, operation.index.name ?? operation.index.columns.join(','), table)) {
          hit(
            'SM012',
            table,
            `the index ${operation.index.name ?? '(unnamed)'} on ${table} is added without checking that it is absent.`,
          );
        }
        break;
      case 'add-foreign-key': {
        const sameStatement = statement.operations.flatMap((other) =>
          other.kind === 'add-index' && other.table === operation.table ? [other.index] : [],
        );
        if (!isSupported(operation.foreignKey.columns, [...(before?.indexes ?? []), ...sameStatement])) {
          hit(
            'SM010',
            table,
            `the foreign key ${operation.foreignKey.name ?? '(unnamed)'} on ${table} (${operation.foreignKey.columns.join(', ')}) has no index starting with its columns.`,
          );
        }
        if (!isGuarded(context, operation.foreignKey.name ?? '', table)) {
          hit(
            'SM012',
            table,
            `the foreign key ${operation.foreignKey.name ?? '(unnamed)'} on ${table} is added without checking that it is absent.`,
          );
        }
        break;
      }
      case 'create-table':
        for (const foreignKey of operation.foreignKeys) {
          if (!isSupported(foreignKey.columns, operation.indexes)) {
            hit(
              'SM010',
              table,
              `the foreign key ${foreignKey.name ?? '(unnamed)'} of the new table ${table} (${foreignKey.columns.join(', ')}) has no index starting with its columns.`,
            );
          }
        }
        if (!operation.ifNotExists && !isGuarded(context, operation.table, undefined)) {
          hit(
            'SM012',
            table,
            `CREATE TABLE ${table} has neither IF NOT EXISTS nor an information_schema check before it.`,
          );
        }
        break;
      case 'create-trigger':
        if (!isGuarded(context, operation.name, undefined)) {
          hit('SM012', operation.table, `CREATE TRIGGER ${operation.name} runs without checking that it is absent.`);
        }
        break;
      case 'create-view':
        if (!operation.orReplace && !isGuarded(context, operation.name, undefined)) {
          hit('SM012', undefined, `CREATE VIEW ${operation.name} has neither OR REPLACE nor an existence check.`);
        }
        break;
      case 'update':
      case 'delete': {
        if (!existing) break;
        const primary = existing.indexes.find((index) => index.name === 'PRIMARY')?.columns ?? [];
        const keyed = operation.comparedColumns.some((column) => primary.includes(column));
        if (!operation.hasWhere || (!operation.hasLimit && !keyed)) {
          hit(
            'SM011',
            table,
            `${operation.kind.toUpperCase()} ${table} ${operation.hasWhere ? 'has neither a primary-key range nor a LIMIT' : 'has no WHERE clause'}: it touches the whole table at once.`,
          );
        }
        break;
      }
      default:
        break;
    }

    const estimate = estimateLocking(operation, {
      before,
      supportsInstantAddColumn: context.supportsInstantAddColumn,
      algorithm: statement.algorithm,
      lock: statement.lock,
    });
    if (estimate) {
      locking.push(estimate);
      const rows = context.targetRows?.get(estimate.table.toLowerCase());
      const blocking = estimate.algorithm === 'COPY' || estimate.lock === 'SHARED' || estimate.lock === 'EXCLUSIVE';
      if (existing && blocking && rows !== undefined && rows >= context.largeTableRows && estimate.lock !== 'ROWS') {
        hit(
          'SM009',
          estimate.table,
          `${estimate.operation} runs with ALGORITHM=${estimate.algorithm}, LOCK=${estimate.lock} on ${estimate.table}, which holds about ${rows} rows in the target database (threshold ${context.largeTableRows}).`,
        );
      }
    }
  }
  return { hits: dedupe(hits), locking, destructive };
}

/** Drops, truncates, renames, and column changes that tighten nullability or change the type. */
function isDestructive(operation: Operation, context: StatementContext): boolean {
  if (!existed(operation, context)) return false;
  switch (operation.kind) {
    case 'drop-table':
    case 'drop-column':
    case 'drop-index':
    case 'drop-foreign-key':
    case 'truncate':
    case 'rename-table':
    case 'rename-column':
      return true;
    case 'modify-column': {
      const current = tableIn(context.before, operation.table)?.columns.get(operation.from.toLowerCase());
      return (
        current !== undefined &&
        ((current.nullable && !operation.column.nullable) ||
          normalizeColumnType(current.columnType) !== operation.column.type)
      );
    }
    default:
      return false;
  }
}

/** Whether the object the operation removes or renames existed when this part of the step began. */
function existed(operation: Operation, context: StatementContext): boolean {
  if (!('table' in operation)) return true;
  const table = tableIn(context.phaseStart, operation.table);
  if (!table) return false;
  if (operation.kind === 'drop-column') return table.columns.has(operation.column.toLowerCase());
  if (operation.kind === 'rename-column' || operation.kind === 'modify-column') {
    return table.columns.has(operation.from.toLowerCase());
  }
  if (operation.kind === 'drop-index') {
    return table.indexes.some((index) => index.name.toLowerCase() === operation.index.toLowerCase());
  }
  return true;
}

function checkModify(
  table: string,
  from: string,
  column: ColumnDefinition,
  before: SnapshotTable | undefined,
  requiresCompat: boolean,
  hit: (code: LintRuleCode, table: string | undefined, message: string) => void,
): void {
  const current = before?.columns.get(from.toLowerCase());
  if (!current) return;
  if (current.nullable && !column.nullable && !requiresCompat) {
    hit('SM004', table, `${table}.${from} goes from NULL to NOT NULL without a compat nullability check.`);
  }
  const oldType = normalizeColumnType(current.columnType);
  const newType = column.type;
  if (oldType === newType) return;
  const isEnum = (type: string) => /^(enum|set)\(/.test(type);
  if (isEnum(oldType) && isEnum(newType)) {
    const before = enumValues(oldType);
    const after = enumValues(newType);
    if (!before.every((value, index) => after[index] === value)) {
      const removed = before.filter((value) => !after.includes(value));
      hit(
        'SM007',
        table,
        `${table}.${from} changes ${oldType} to ${newType}: ${removed.length > 0 ? `removes ${removed.map((v) => `'${v}'`).join(', ')}` : 'reorders the values'}.`,
      );
    }
    return;
  }
  hit(
    'SM006',
    table,
    `${table}.${from} changes type from ${oldType} to ${newType}${isNarrowing(oldType, newType) ? ' (narrowing: values may not fit)' : ''}.`,
  );
}

const INTEGER_RANK = ['tinyint', 'smallint', 'mediumint', 'int', 'bigint'];
const TEXT_RANK = ['tinytext', 'text', 'mediumtext', 'longtext'];

function isNarrowing(oldType: string, newType: string): boolean {
  const parse = (type: string) => {
    const match = /^([a-z]+)(?:\((\d+)(?:,(\d+))?\))?/.exec(type);
    return { base: match?.[1] ?? type, length: Number(match?.[2] ?? NaN), scale: Number(match?.[3] ?? 0) };
  };
  const a = parse(oldType);
  const b = parse(newType);
  if (INTEGER_RANK.includes(a.base) && INTEGER_RANK.includes(b.base)) {
    return (
      INTEGER_RANK.indexOf(b.base) < INTEGER_RANK.indexOf(a.base) ||
      oldType.endsWith('unsigned') !== newType.endsWith('unsigned')
    );
  }
  if (TEXT_RANK.includes(a.base) && TEXT_RANK.includes(b.base))
    return TEXT_RANK.indexOf(b.base) < TEXT_RANK.indexOf(a.base);
  if (a.base === b.base) return b.length < a.length || b.scale < a.scale;
  return /char|text/.test(a.base) && !/char|text/.test(b.base);
}

/** A foreign key needs an index whose leading columns are the key's columns. */
function isSupported(
  columns: readonly string[],
  indexes: readonly (IndexDefinition | { columns: readonly string[] })[],
): boolean {
  const wanted = columns.map((column) => column.toLowerCase());
  return indexes.some((index) => wanted.every((column, position) => index.columns[position]?.toLowerCase() === column));
}

function isGuarded(context: StatementContext, name: string, table: string | undefined): boolean {
  if (!context.guards.has(name.toLowerCase())) return false;
  return table === undefined || context.guards.has(table.toLowerCase());
}

function tableIn(snapshot: SchemaSnapshot, table: string): SnapshotTable | undefined {
  return snapshot.get(table.toLowerCase());
}

function dedupe(hits: readonly RuleHit[]): RuleHit[] {
  const seen = new Set<string>();
  return hits.filter((hit) => {
    const key = `${hit.code}|${hit.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
