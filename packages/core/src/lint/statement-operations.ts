/*
 * node-sql-parser's AST differs by statement and clause; this file is the one place that reads it and turns each
 * statement into a short list of schema operations the rules can reason about.
 */

/** A column definition from ADD/MODIFY/CHANGE COLUMN or CREATE TABLE. */
export interface ColumnDefinition {
  readonly name: string;
  /** Normalized type, e.g. `varchar(32)`, `int unsigned`, `enum('a','b')`, `decimal(10,2)`. */
  readonly type: string;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
  readonly autoIncrement: boolean;
}

export interface IndexDefinition {
  /** Undefined for an unnamed index or key. */
  readonly name: string | undefined;
  readonly columns: readonly string[];
  readonly unique: boolean;
  readonly primary: boolean;
}

export interface ForeignKeyDefinition {
  readonly name: string | undefined;
  readonly columns: readonly string[];
  readonly referencedTable: string;
}

/** What one statement does, as far as the rules care. Table, column and index names keep their case. */
export type Operation =
  | {
      readonly kind: 'create-table';
      readonly table: string;
      readonly ifNotExists: boolean;
      readonly columns: readonly ColumnDefinition[];
      readonly indexes: readonly IndexDefinition[];
      readonly foreignKeys: readonly ForeignKeyDefinition[];
    }
  | { readonly kind: 'drop-table'; readonly table: string }
  | { readonly kind: 'truncate'; readonly table: string }
  | { readonly kind: 'rename-table'; readonly table: string; readonly to: string }
  | { readonly kind: 'add-column'; readonly table: string; readonly column: ColumnDefinition }
  | {
      readonly kind: 'modify-column';
      readonly table: string;
      /** The column's name before the statement (CHANGE old new ...). */
      readonly from: string;
      readonly column: ColumnDefinition;
    }
  | { readonly kind: 'rename-column'; readonly table: string; readonly from: string; readonly to: string }
  | { readonly kind: 'drop-column'; readonly table: string; readonly column: string }
  | { readonly kind: 'add-index'; readonly table: string; readonly index: IndexDefinition }
  | { readonly kind: 'drop-index'; readonly table: string; readonly index: string }
  | { readonly kind: 'add-foreign-key'; readonly table: string; readonly foreignKey: ForeignKeyDefinition }
  | { readonly kind: 'drop-foreign-key'; readonly table: string; readonly name: string }
  | { readonly kind: 'alter-table-other'; readonly table: string; readonly clause: string }
  | { readonly kind: 'create-trigger'; readonly name: string; readonly table: string }
  | { readonly kind: 'drop-trigger'; readonly name: string }
  | { readonly kind: 'create-view'; readonly name: string; readonly orReplace: boolean }
  | { readonly kind: 'drop-view'; readonly name: string }
  | {
      readonly kind: 'update' | 'delete';
      readonly table: string;
      readonly hasWhere: boolean;
      readonly hasLimit: boolean;
      /** Columns compared in the WHERE clause with =, <, <=, >, >=, BETWEEN or IN. */
      readonly comparedColumns: readonly string[];
    }
  | { readonly kind: 'insert'; readonly table: string }
  | { readonly kind: 'read' }
  | { readonly kind: 'other'; readonly statement: string };

/** One parsed statement: its operations and the ALGORITHM/LOCK clauses of an ALTER TABLE. */
export interface StatementOperations {
  readonly operations: readonly Operation[];
  readonly algorithm: string | undefined;
  readonly lock: string | undefined;
}

type Node = Record<string, unknown>;

/** Turns one AST of node-sql-parser into operations. */
export function operationsOf(ast: unknown): StatementOperations {
  const node = asNode(ast);
  switch (String(node.type).toLowerCase()) {
    case 'alter':
      return alterOperations(node);
    case 'create':
      return { operations: createOperations(node), algorithm: undefined, lock: undefined };
    case 'drop':
      return { operations: dropOperations(node), algorithm: undefined, lock: undefined };
    case 'rename':
      return {
        operations: asArray(node.table).map((pair) => {
          const [from, to] = asArray(pair).map((entry) => String(asNode(entry).table));
          return { kind: 'rename-table', table: from!, to: to! };
        }),
        algorithm: undefined,
        lock: undefined,
      };
    case 'truncate':
      return {
        operations: asArray(node.name).map((entry) => ({ kind: 'truncate', table: String(asNode(entry).table) })),
        algorithm: undefined,
        lock: undefined,
      };
    case 'update':
    case 'delete': {
      const kind = String(node.type).toLowerCase() as 'update' | 'delete';
      const target = asArray(kind === 'delete' && asArray(node.from).length > 0 ? node.from : node.table)[0];
      return {
        operations: [
          {
            kind,
            table: String(asNode(target).table),
            hasWhere: node.where !== null && node.where !== undefined,
            hasLimit: asArray(asNode(node.limit).value).length > 0,
            comparedColumns: comparedColumns(node.where),
          },
        ],
        algorithm: undefined,
        lock: undefined,
      };
    }
    case 'insert':
    case 'replace':
      return {
        operations: [{ kind: 'insert', table: String(asNode(asArray(node.table)[0]).table) }],
        algorithm: undefined,
        lock: undefined,
      };
    case 'select':
    case 'show':
    case 'desc':
      return { operations: [{ kind: 'read' }], algorithm: undefined, lock: undefined };
    default:
      return { operations: [{ kind: 'other', statement: String(node.type) }], algorithm: undefined, lock: undefined };
  }
}

function alterOperations(node: Node): StatementOperations {
  const table = String(asNode(asArray(node.table)[0]).table);
  const operations: Operation[] = [];
  let algorithm: string | undefined;
  let lock: string | undefined;
  for (const item of asArray(node.expr).map(asNode)) {
    const action = String(item.action ?? '').toLowerCase();
    const resource = String(item.resource ?? '').toLowerCase();
    if (resource === 'algorithm') {
      algorithm = String(item.algorithm).toUpperCase();
    } else if (resource === 'lock') {
      lock = String(item.lock).toUpperCase();
    } else if (action === 'add' && resource === 'column') {
      operations.push({ kind: 'add-column', table, column: columnDefinition(item) });
    } else if (action === 'add' && resource === 'index') {
      operations.push({
        kind: 'add-index',
        table,
        index: {
          name: optionalName(item.index),
          columns: indexColumns(item.definition),
          unique: false,
          primary: false,
        },
      });
    } else if (action === 'add' && resource === 'constraint') {
      const constraint = asNode(item.create_definitions);
      const index = constraintIndex(constraint);
      const foreignKey = constraintForeignKey(constraint);
      if (index) operations.push({ kind: 'add-index', table, index });
      else if (foreignKey) operations.push({ kind: 'add-foreign-key', table, foreignKey });
      else operations.push({ kind: 'alter-table-other', table, clause: `add ${String(constraint.constraint_type)}` });
    } else if (action === 'drop' && resource === 'column') {
      operations.push({ kind: 'drop-column', table, column: columnName(item.column) });
    } else if (action === 'drop' && resource === 'index') {
      operations.push({ kind: 'drop-index', table, index: String(item.index) });
    } else if (action === 'drop' && resource === 'key') {
      const keyword = String(item.keyword ?? '').toLowerCase();
      if (keyword === 'primary key') operations.push({ kind: 'drop-index', table, index: 'PRIMARY' });
      else if (keyword === 'foreign key') operations.push({ kind: 'drop-foreign-key', table, name: String(item.key) });
      else operations.push({ kind: 'drop-index', table, index: String(item.key) });
    } else if (action === 'modify') {
      const column = columnDefinition(item);
      operations.push({ kind: 'modify-column', table, from: column.name, column });
    } else if (action === 'change') {
      const column = columnDefinition(item);
      const from = columnName(item.old_column);
      operations.push({ kind: 'modify-column', table, from, column });
      if (from.toLowerCase() !== column.name.toLowerCase()) {
        operations.push({ kind: 'rename-column', table, from, to: column.name });
      }
    } else if (action === 'rename' && resource === 'column') {
      operations.push({ kind: 'rename-column', table, from: columnName(item.old_column), to: columnName(item.column) });
    } else if (action === 'rename') {
      operations.push({ kind: 'rename-table', table, to: String(item.table) });
    } else {
      operations.push({ kind: 'alter-table-other', table, clause: `${action || resource || 'option'}`.trim() });
    }
  }
  return { operations, algorithm, lock };
}

function createOperations(node: Node): Operation[] {
  const keyword = String(node.keyword ?? '').toLowerCase();
  if (keyword === 'table') {
    const table = String(asNode(asArray(node.table)[0]).table);
    const columns: ColumnDefinition[] = [];
    const indexes: IndexDefinition[] = [];
    const foreignKeys: ForeignKeyDefinition[] = [];
    for (const definition of asArray(node.create_definitions).map(asNode)) {
      const resource = String(definition.resource ?? '').toLowerCase();
      if (resource === 'column') {
        const column = columnDefinition(definition);
        columns.push(column);
        if (definition.primary_key) {
          indexes.push({ name: 'PRIMARY', columns: [column.name], unique: true, primary: true });
        } else if (definition.unique) {
          indexes.push({ name: column.name, columns: [column.name], unique: true, primary: false });
        }
      } else if (resource === 'index') {
        indexes.push({
          name: optionalName(definition.index),
          columns: indexColumns(definition.definition),
          unique: false,
          primary: false,
        });
      } else if (resource === 'constraint') {
        const index = constraintIndex(definition);
        const foreignKey = constraintForeignKey(definition);
        if (index) indexes.push(index);
        if (foreignKey) foreignKeys.push(foreignKey);
      }
    }
    return [{ kind: 'create-table', table, ifNotExists: Boolean(node.if_not_exists), columns, indexes, foreignKeys }];
  }
  if (keyword === 'index') {
    return [
      {
        kind: 'add-index',
        table: String(asNode(node.table).table),
        index: {
          name: optionalName(node.index),
          columns: indexColumns(node.index_columns),
          unique: String(node.index_type ?? '').toLowerCase() === 'unique',
          primary: false,
        },
      },
    ];
  }
  if (keyword === 'trigger') {
    return [
      { kind: 'create-trigger', name: String(asNode(node.trigger).table), table: String(asNode(node.table).table) },
    ];
  }
  if (keyword === 'view') {
    return [{ kind: 'create-view', name: String(asNode(node.view).view), orReplace: Boolean(node.replace) }];
  }
  return [{ kind: 'other', statement: `create ${keyword}` }];
}

function dropOperations(node: Node): Operation[] {
  const keyword = String(node.keyword ?? '').toLowerCase();
  if (keyword === 'table') {
    return asArray(node.name).map((entry) => ({ kind: 'drop-table', table: String(asNode(entry).table) }));
  }
  if (keyword === 'index') {
    return [{ kind: 'drop-index', table: String(asNode(node.table).table), index: columnName(node.name) }];
  }
  if (keyword === 'trigger') {
    return asArray(node.name).map((entry) => ({ kind: 'drop-trigger', name: String(asNode(entry).trigger) }));
  }
  if (keyword === 'view') {
    return asArray(node.name).map((entry) => ({
      kind: 'drop-view',
      name: String(asNode(entry).view ?? asNode(entry).table),
    }));
  }
  return [{ kind: 'other', statement: `drop ${keyword}` }];
}

function columnDefinition(item: Node): ColumnDefinition {
  const definition = asNode(item.definition);
  const nullability = String(asNode(item.nullable).type ?? '').toLowerCase();
  const primary = Boolean(item.primary_key);
  return {
    name: columnName(item.column),
    type: normalizeAstType(definition),
    nullable: nullability === 'not null' ? false : nullability === 'null' ? true : !primary,
    hasDefault: item.default_val !== undefined && item.default_val !== null,
    autoIncrement: Boolean(item.auto_increment),
  };
}

function constraintIndex(constraint: Node): IndexDefinition | undefined {
  const type = String(constraint.constraint_type ?? '').toLowerCase();
  if (type === 'primary key') {
    return { name: 'PRIMARY', columns: indexColumns(constraint.definition), unique: true, primary: true };
  }
  if (type.startsWith('unique')) {
    return {
      name: optionalName(constraint.index) ?? optionalName(constraint.constraint),
      columns: indexColumns(constraint.definition),
      unique: true,
      primary: false,
    };
  }
  return undefined;
}

function constraintForeignKey(constraint: Node): ForeignKeyDefinition | undefined {
  if (String(constraint.constraint_type ?? '').toLowerCase() !== 'foreign key') return undefined;
  const reference = asNode(constraint.reference_definition);
  return {
    name: optionalName(constraint.constraint) ?? optionalName(constraint.index),
    columns: indexColumns(constraint.definition),
    referencedTable: String(asNode(asArray(reference.table)[0]).table),
  };
}

function comparedColumns(where: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    const node = value as Node;
    if (node.type === 'binary_expr') {
      const operator = String(node.operator).toUpperCase();
      const left = asNode(node.left);
      if (['=', '<', '<=', '>', '>=', 'BETWEEN', 'IN'].includes(operator) && left.type === 'column_ref') {
        found.push(columnName(left).toLowerCase());
      }
    }
    Object.values(node).forEach(visit);
  };
  visit(where);
  return found;
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);

function normalizeAstType(definition: Node): string {
  let base = String(definition.dataType ?? '').toLowerCase();
  if (base === 'integer') base = 'int';
  if (base === 'bool' || base === 'boolean') base = 'tinyint';
  if (base === 'dec' || base === 'numeric') base = 'decimal';
  const suffix = asArray(definition.suffix).map((part) => String(part).toLowerCase());
  const unsigned = suffix.includes('unsigned') ? ' unsigned' : '';
  if (base === 'enum' || base === 'set') {
    const values = asArray(asNode(definition.expr).value).map((entry) => String(asNode(entry).value));
    return `${base}(${values.map(quoteLiteral).join(',')})`;
  }
  if (INTEGER_TYPES.has(base)) return `${base}${unsigned}`;
  let size = '';
  if (definition.length !== undefined && definition.length !== null) {
    size = `(${String(definition.length)}${definition.scale !== undefined && definition.scale !== null ? `,${String(definition.scale)}` : ''})`;
  } else if (base === 'decimal') size = '(10,0)';
  else if (base === 'char' || base === 'binary') size = '(1)';
  return `${base}${size}${unsigned}`;
}

/** information_schema COLUMN_TYPE, normalized like the parsed types: no integer display widths. */
export function normalizeColumnType(columnType: string): string {
  const lower = columnType.toLowerCase().trim();
  const integer = /^(tinyint|smallint|mediumint|int|bigint)(?:\(\d+\))?( unsigned)?/.exec(lower);
  if (integer) return `${integer[1]}${integer[2] ?? ''}`;
  if (/^(enum|set)\(/.test(lower))
    return `${lower.slice(0, lower.indexOf('('))}(${enumValues(lower).map(quoteLiteral).join(',')})`;
  return lower.replace(/\s+zerofill$/, '');
}

/** The values of an `enum('a','b')` / `set(...)` type, in order. */
export function enumValues(type: string): string[] {
  const open = type.indexOf('(');
  if (open < 0) return [];
  const values: string[] = [];
  const pattern = /'((?:[^'\\]|\\.|'')*)'/g;
  for (const match of type.slice(open).matchAll(pattern)) values.push(match[1]!.replace(/''/g, "'"));
  return values;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function indexColumns(definition: unknown): string[] {
  return asArray(definition).map((entry) => columnName(entry));
}

function columnName(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = asNode(value);
  const column = node.column;
  if (typeof column === 'string') return column;
  // Newer grammars wrap names: { expr: { type: 'default', value: 'name' } }.
  const expr = asNode(asNode(column).expr);
  return String(expr.value ?? column);
}

function optionalName(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function asNode(value: unknown): Node {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Node) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
