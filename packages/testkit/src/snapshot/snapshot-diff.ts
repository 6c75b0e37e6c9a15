import type { DataSnapshot, TableDataSnapshot } from './data-snapshot';
import type { Snapshot } from './database-snapshot';
import type {
  CheckSnapshot,
  ColumnSnapshot,
  ForeignKeySnapshot,
  IndexPartSnapshot,
  IndexSnapshot,
  SchemaSnapshot,
  TableSnapshot,
  TriggerSnapshot,
  ViewSnapshot,
} from './schema-snapshot';

/** What a difference is about. `rows` and `values` come from data snapshots, the rest from schema snapshots. */
export type SnapshotChangeSubject =
  'table' | 'column' | 'index' | 'foreignKey' | 'check' | 'trigger' | 'view' | 'rows' | 'values';

export type SnapshotValue = string | number | boolean | null;

/** One difference between two snapshots, with the readable line that describes it. */
export interface SnapshotChange {
  readonly subject: SnapshotChangeSubject;
  readonly change: 'added' | 'removed' | 'changed';
  /** The table (or view) involved. */
  readonly table: string;
  /** The column, index, foreign key, check or trigger, when the change is about one. */
  readonly name?: string;
  /** The property that changed, e.g. `nullable`, `type`, `rows`. */
  readonly property?: string;
  readonly before?: SnapshotValue;
  readonly after?: SnapshotValue;
  /** E.g. `external_order.status: nullable YES -> NO` or `external_order: rows 120 -> 240`. */
  readonly line: string;
}

export interface SnapshotDiff {
  /** True when nothing differs. */
  readonly equal: boolean;
  readonly changes: readonly SnapshotChange[];
  /** `changes` as lines, in a stable order. */
  readonly lines: readonly string[];
}

/**
 * Compares two snapshots of the same kind and names every difference down to the table, column and property.
 * For database snapshots, data lines about tables or columns that the schema diff already reports as added or
 * removed are left out.
 *
 * ### Examples
 * ```ts
 * const diff = diffSnapshots(before, after);
 * if (!diff.equal) console.log(diff.lines.join('\n'));
 * // external_order.status: nullable YES -> NO
 * // external_order: rows 120 -> 240
 * ```
 */
export function diffSnapshots(before: SchemaSnapshot, after: SchemaSnapshot): SnapshotDiff;
export function diffSnapshots(before: DataSnapshot, after: DataSnapshot): SnapshotDiff;
export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff;
export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  if (before.kind !== after.kind) {
    throw new TypeError(`diffSnapshots compares snapshots of the same kind, got ${before.kind} and ${after.kind}.`);
  }
  const changes: SnapshotChange[] = [];
  const schemaBefore = schemaOf(before);
  const schemaAfter = schemaOf(after);
  if (schemaBefore && schemaAfter) diffSchemas(schemaBefore, schemaAfter, changes);
  const dataBefore = dataOf(before);
  const dataAfter = dataOf(after);
  if (dataBefore && dataAfter) {
    const structural = new Set(
      changes
        .filter((change) => (change.subject === 'table' || change.subject === 'column') && change.change !== 'changed')
        .map((change) => (change.subject === 'table' ? change.table : `${change.table}.${change.name}`)),
    );
    diffData(dataBefore, dataAfter, structural, changes);
  }
  return { equal: changes.length === 0, changes, lines: changes.map((change) => change.line) };
}

function schemaOf(snapshot: Snapshot): SchemaSnapshot | undefined {
  return snapshot.kind === 'schema' ? snapshot : snapshot.kind === 'database' ? snapshot.schema : undefined;
}

function dataOf(snapshot: Snapshot): DataSnapshot | undefined {
  return snapshot.kind === 'data' ? snapshot : snapshot.kind === 'database' ? snapshot.data : undefined;
}

function diffSchemas(before: SchemaSnapshot, after: SchemaSnapshot, changes: SnapshotChange[]): void {
  forEachKey(before.tables, after.tables, (table, a, b) => {
    if (!a)
      return changes.push({
        subject: 'table',
        change: 'added',
        table,
        line: `${table}: table added (${describeTable(b!)})`,
      });
    if (!b) return changes.push({ subject: 'table', change: 'removed', table, line: `${table}: table removed` });
    diffTable(table, a, b, changes);
  });
  forEachKey(before.triggers, after.triggers, (name, a, b) => {
    const table = (a ?? b)!.table;
    if (!a) {
      return changes.push({
        subject: 'trigger',
        change: 'added',
        table,
        name,
        line: `${table}: trigger ${name} added (${describeTrigger(b!)})`,
      });
    }
    if (!b)
      return changes.push({
        subject: 'trigger',
        change: 'removed',
        table,
        name,
        line: `${table}: trigger ${name} removed`,
      });
    compareProperties<TriggerSnapshot>(a, b, ['table', 'timing', 'event', 'order', 'body'], (property, x, y) =>
      changes.push({
        subject: 'trigger',
        change: 'changed',
        table,
        name,
        property,
        before: x,
        after: y,
        line: `${table}: trigger ${name} ${property} ${show(x)} -> ${show(y)}`,
      }),
    );
  });
  forEachKey(before.views, after.views, (view, a, b) => {
    if (!a) return changes.push({ subject: 'view', change: 'added', table: view, line: `${view}: view added` });
    if (!b) return changes.push({ subject: 'view', change: 'removed', table: view, line: `${view}: view removed` });
    compareProperties<ViewSnapshot>(a, b, ['definition', 'checkOption', 'updatable', 'security'], (property, x, y) =>
      changes.push({
        subject: 'view',
        change: 'changed',
        table: view,
        property,
        before: x,
        after: y,
        line: `${view}: view ${property} ${show(x)} -> ${show(y)}`,
      }),
    );
  });
}

function diffTable(table: string, a: TableSnapshot, b: TableSnapshot, changes: SnapshotChange[]): void {
  compareProperties<TableSnapshot>(a, b, ['engine', 'collation', 'rowFormat', 'comment'], (property, x, y) =>
    changes.push({
      subject: 'table',
      change: 'changed',
      table,
      property,
      before: x,
      after: y,
      line: `${table}: ${property} ${show(x)} -> ${show(y)}`,
    }),
  );
  forEachKey(a.columns, b.columns, (name, x, y) => {
    const where = `${table}.${name}`;
    if (!x)
      return changes.push({
        subject: 'column',
        change: 'added',
        table,
        name,
        line: `${where}: column added (${describeColumn(y!)})`,
      });
    if (!y)
      return changes.push({ subject: 'column', change: 'removed', table, name, line: `${where}: column removed` });
    compareProperties<ColumnSnapshot>(
      x,
      y,
      ['position', 'type', 'nullable', 'default', 'extra', 'charset', 'collation', 'generation', 'comment'],
      (property, p, q) =>
        changes.push({
          subject: 'column',
          change: 'changed',
          table,
          name,
          property,
          before: p,
          after: q,
          line: `${where}: ${property} ${show(p, property)} -> ${show(q, property)}`,
        }),
    );
  });
  forEachKey(a.indexes, b.indexes, (name, x, y) => {
    if (!x)
      return changes.push({
        subject: 'index',
        change: 'added',
        table,
        name,
        line: `${table}: index ${name} added (${describeIndex(y!)})`,
      });
    if (!y)
      return changes.push({
        subject: 'index',
        change: 'removed',
        table,
        name,
        line: `${table}: index ${name} removed`,
      });
    const flat = (index: IndexSnapshot) => ({ ...index, parts: describeParts(index.parts) });
    compareProperties<ReturnType<typeof flat>>(
      flat(x),
      flat(y),
      ['unique', 'type', 'parts', 'visible', 'comment'],
      (property, p, q) =>
        changes.push({
          subject: 'index',
          change: 'changed',
          table,
          name,
          property,
          before: p,
          after: q,
          line: `${table}: index ${name} ${property} ${show(p, property)} -> ${show(q, property)}`,
        }),
    );
  });
  forEachKey(a.foreignKeys, b.foreignKeys, (name, x, y) => {
    if (!x)
      return changes.push({
        subject: 'foreignKey',
        change: 'added',
        table,
        name,
        line: `${table}: foreign key ${name} added (${describeForeignKey(y!)})`,
      });
    if (!y)
      return changes.push({
        subject: 'foreignKey',
        change: 'removed',
        table,
        name,
        line: `${table}: foreign key ${name} removed`,
      });
    const flat = (key: ForeignKeySnapshot) => ({
      ...key,
      columns: key.columns.join(', '),
      referencedColumns: key.referencedColumns.join(', '),
    });
    compareProperties<ReturnType<typeof flat>>(
      flat(x),
      flat(y),
      ['columns', 'referencedTable', 'referencedColumns', 'onUpdate', 'onDelete'],
      (property, p, q) =>
        changes.push({
          subject: 'foreignKey',
          change: 'changed',
          table,
          name,
          property,
          before: p,
          after: q,
          line: `${table}: foreign key ${name} ${property} ${show(p)} -> ${show(q)}`,
        }),
    );
  });
  forEachKey(a.checks, b.checks, (name, x, y) => {
    if (!x)
      return changes.push({
        subject: 'check',
        change: 'added',
        table,
        name,
        line: `${table}: check ${name} added (${y!.clause})`,
      });
    if (!y)
      return changes.push({
        subject: 'check',
        change: 'removed',
        table,
        name,
        line: `${table}: check ${name} removed`,
      });
    compareProperties<CheckSnapshot>(x, y, ['clause', 'enforced'], (property, p, q) =>
      changes.push({
        subject: 'check',
        change: 'changed',
        table,
        name,
        property,
        before: p,
        after: q,
        line: `${table}: check ${name} ${property} ${show(p, property)} -> ${show(q, property)}`,
      }),
    );
  });
}

function diffData(
  before: DataSnapshot,
  after: DataSnapshot,
  structural: ReadonlySet<string>,
  changes: SnapshotChange[],
): void {
  forEachKey(before.tables, after.tables, (table, a, b) => {
    if (structural.has(table)) return;
    if (!a || !b) {
      const snapshot = (a ?? b)!;
      return changes.push({
        subject: 'rows',
        change: a ? 'removed' : 'added',
        table,
        property: 'rows',
        before: a ? a.rows : null,
        after: b ? b.rows : null,
        line: `${table}: ${a ? 'table removed' : 'table added'} (${snapshot.rows} rows)`,
      });
    }
    diffTableData(table, a, b, structural, changes);
  });
}

function diffTableData(
  table: string,
  a: TableDataSnapshot,
  b: TableDataSnapshot,
  structural: ReadonlySet<string>,
  changes: SnapshotChange[],
): void {
  if (a.rows !== b.rows) {
    changes.push({
      subject: 'rows',
      change: 'changed',
      table,
      property: 'rows',
      before: a.rows,
      after: b.rows,
      line: `${table}: rows ${a.rows} -> ${b.rows}`,
    });
    return;
  }
  let named = 0;
  for (const column of Object.keys(a.columns)) {
    const x = a.columns[column];
    const y = b.columns[column];
    if (y === undefined || x === y || structural.has(`${table}.${column}`)) continue;
    named++;
    changes.push({
      subject: 'values',
      change: 'changed',
      table,
      name: column,
      property: 'values',
      before: x ?? null,
      after: y,
      line: `${table}.${column}: values changed (same ${a.rows} row${a.rows === 1 ? '' : 's'})`,
    });
  }
  const sameColumns = sameKeys(a.columns, b.columns);
  if (named === 0 && sameColumns && a.checksum !== b.checksum) {
    changes.push({
      subject: 'values',
      change: 'changed',
      table,
      property: 'checksum',
      before: a.checksum,
      after: b.checksum,
      line: `${table}: values moved between rows (${a.rows} rows, every column's set of values unchanged)`,
    });
  }
}

function forEachKey<T>(
  a: Readonly<Record<string, T>>,
  b: Readonly<Record<string, T>>,
  visit: (key: string, x: T | undefined, y: T | undefined) => unknown,
): void {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const key of keys) {
    const x = Object.hasOwn(a, key) ? a[key] : undefined;
    const y = Object.hasOwn(b, key) ? b[key] : undefined;
    if (x !== undefined && y !== undefined && JSON.stringify(x) === JSON.stringify(y)) continue;
    visit(key, x, y);
  }
}

function compareProperties<T>(
  a: T,
  b: T,
  properties: readonly (keyof T & string)[],
  report: (property: string, x: SnapshotValue, y: SnapshotValue) => unknown,
): void {
  for (const property of properties) {
    const x = a[property] as SnapshotValue;
    const y = b[property] as SnapshotValue;
    if (x !== y) report(property, x, y);
  }
}

function sameKeys(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const x = Object.keys(a);
  const y = Object.keys(b);
  return x.length === y.length && x.every((key) => Object.hasOwn(b, key));
}

const MAX_SHOWN = 120;

function show(value: SnapshotValue, property?: string): string {
  if (typeof value === 'boolean')
    return property === 'nullable' || property === 'unique' || property === 'visible' || property === 'enforced'
      ? value
        ? 'YES'
        : 'NO'
      : String(value);
  if (value === null) return 'NULL';
  if (typeof value === 'number') return String(value);
  if (property === 'parts') return `(${value})`;
  if (property === 'default' || property === 'type') return value;
  const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}...` : value;
  return JSON.stringify(shown);
}

function describeTable(table: TableSnapshot): string {
  const columns = Object.keys(table.columns);
  return `${columns.length} column${columns.length === 1 ? '' : 's'}: ${columns.join(', ')}`;
}

function describeColumn(column: ColumnSnapshot): string {
  const parts = [column.type, column.nullable ? 'NULL' : 'NOT NULL'];
  if (column.default !== null) parts.push(`DEFAULT ${column.default}`);
  if (column.extra) parts.push(column.extra);
  return parts.join(' ');
}

function describeParts(parts: readonly IndexPartSnapshot[]): string {
  return parts
    .map(
      (part) =>
        `${part.column}${part.prefix !== null ? `(${part.prefix})` : ''}${part.order === 'DESC' ? ' DESC' : ''}`,
    )
    .join(', ');
}

function describeIndex(index: IndexSnapshot): string {
  return `${index.unique ? 'UNIQUE ' : ''}${describeParts(index.parts)}`;
}

function describeForeignKey(key: ForeignKeySnapshot): string {
  return `${key.columns.join(', ')} -> ${key.referencedTable} (${key.referencedColumns.join(', ')}) ON UPDATE ${key.onUpdate} ON DELETE ${key.onDelete}`;
}

function describeTrigger(trigger: TriggerSnapshot): string {
  return `${trigger.timing} ${trigger.event}`;
}
