import { id, SILENT_LOGGER, type Logger } from '@safemig/core';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { ensureAuditTable } from '../audit/audit-store';
import type { CheckContext } from '../checks/check-context';
import {
  defineCheck,
  type CheckDefinition,
  type CheckDefinitionInput,
  type UniqueCheck,
} from '../checks/check-definition';
import {
  classifiesInJs,
  classifyValue,
  INVALID_JSON_BUCKET,
  NULL_BUCKET,
  UNRECOGNIZED_BUCKET,
} from '../checks/legacy-format-check';
import { FixFailedError, FixNotApplicableError } from '../compat-errors';
import { DEFAULT_SAMPLE_SIZE } from '../finding';
import { keysetPages } from '../schema/keyset-pages';
import {
  displayValue,
  keyOf,
  loadTableMetadata,
  requireColumn,
  rowKeyExpression,
  type TableMetadata,
} from '../schema/table-metadata';
import { encodingOf, textOfExpression, valueAsText } from '../schema/value-text';
import { auditedBackfill, runAuditedBackfill } from './audited-backfill';
import { captureChanges, captureComputedChanges, type ChangeSet } from './capture-changes';
import { duplicateRowsSource, mergeReferencesSource, rankedDuplicates, suffixSource } from './dedupe-source';
import type { FixDefinition } from './fix-definition';
import { fixedColumnOf, offendingRows, truncateExpression } from './offending-rows';
import { moveAuditedRows, quarantineTableOf } from './quarantine-rows';

/** One table/column a fix changed (or would change). */
export interface FixChange {
  readonly table: string;
  /** Empty for quarantined rows. */
  readonly column: string;
  readonly action: 'update' | 'quarantine';
  /** Rows recorded in the audit table (dry run: rows that would change). */
  readonly rows: number;
  /** Rows written (updated or moved); 0 in a dry run. */
  readonly written: number;
  /** Up to `sampleSize` rows with their old and new value (dry run and real run alike). */
  readonly samples: readonly { readonly key: unknown; readonly oldValue: unknown; readonly newValue: unknown }[];
}

export interface FixResult {
  readonly check: string;
  readonly strategy: FixDefinition['strategy'];
  readonly runId: string;
  readonly dryRun: boolean;
  readonly changes: readonly FixChange[];
}

export interface ApplyFixOptions {
  /** Groups the audit rows of one `safemig compat --fix` run; `undoFix(db, runId)` undoes them. */
  readonly runId: string;
  /** Report what would change; write nothing (not even the audit table). */
  readonly dryRun?: boolean;
  readonly logger?: Logger;
  readonly sampleSize?: number;
}

interface PlannedChange {
  readonly changeSet: ChangeSet;
  readonly metadata: TableMetadata;
  /** SELECT of safemig_key, safemig_old, safemig_new; or computed rows for a JS normalize. */
  readonly source:
    | RawBuilder<unknown>
    | (() => AsyncGenerator<{ key: string; display: unknown; oldValue: string | null; newValue: string | null }>);
}

const PAGE_SIZE = 5_000;

/**
 * Applies the fix attached to a check (`check.fix`): captures every row it will change in `safemig_compat_audit`
 * (key, old value, new value), then writes through a set-mode backfill (batched, checkpointed, resumable) or, for
 * quarantine, moves the rows to `<table>_quarantine`. With `dryRun` it only reports counts and samples.
 *
 * ### Examples
 * ```ts
 * const check = { id: 'status', type: 'nullability', table: 'orders', column: 'status', fix: { strategy: 'fill-default', value: 'open' } } as const;
 * const preview = await applyFix(db, check, { runId, dryRun: true });
 * const result = await applyFix(db, check, { runId });
 * // later, if needed:
 * await undoFix(db, runId);
 * ```
 */
export async function applyFix(
  db: Kysely<any>,
  input: CheckDefinition | CheckDefinitionInput,
  options: ApplyFixOptions,
): Promise<FixResult> {
  const check = defineCheck(input);
  const fix = check.fix;
  if (!fix) throw new FixNotApplicableError(check.id, '(none)', 'the check has no fix');
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(options.runId))
    throw new FixNotApplicableError(
      check.id,
      fix.strategy,
      `run id ${JSON.stringify(options.runId)} must be 1-40 letters, digits, _ or -`,
    );
  const context: CheckContext = { db, sampleSize: options.sampleSize ?? DEFAULT_SAMPLE_SIZE };
  const metadata = await loadTableMetadata(db, check.id, check.table);
  const planned = await planChanges(context, check, fix, metadata, options.runId);
  const logger = options.logger ?? SILENT_LOGGER;
  const changes: FixChange[] = [];
  if (!options.dryRun) await ensureAuditTable(db);
  for (const change of planned) {
    const samples = await previewSamples(context, change);
    if (options.dryRun) {
      changes.push({ ...describe(change), rows: await countChanges(db, change), written: 0, samples });
      continue;
    }
    try {
      const rows = await capture(db, change);
      let written: number;
      if (change.changeSet.action === 'quarantine') {
        written = await moveAuditedRows(db, change.metadata, change.changeSet, 'quarantine', fix.batchSize ?? 1_000);
      } else {
        const column = requireColumn(change.metadata, check.id, change.changeSet.column);
        const summary = await runAuditedBackfill(
          db,
          auditedBackfill(db, change.changeSet, change.metadata, column, 'apply', fix.batchSize),
          logger,
        );
        written = summary.updated;
      }
      logger.info(
        { check: check.id, table: change.changeSet.table, column: change.changeSet.column, rows, written },
        `compat fix ${fix.strategy} applied`,
      );
      changes.push({ ...describe(change), rows, written, samples });
    } catch (error) {
      if (error instanceof FixNotApplicableError) throw error;
      throw new FixFailedError(check.id, options.runId, error instanceof Error ? error.message : String(error), error);
    }
  }
  return { check: check.id, strategy: fix.strategy, runId: options.runId, dryRun: options.dryRun ?? false, changes };
}

function describe(change: PlannedChange): Pick<FixChange, 'table' | 'column' | 'action'> {
  return { table: change.changeSet.table, column: change.changeSet.column, action: change.changeSet.action };
}

async function planChanges(
  context: CheckContext,
  check: CheckDefinition,
  fix: FixDefinition,
  metadata: TableMetadata,
  runId: string,
): Promise<PlannedChange[]> {
  if (fix.strategy === 'dedupe') {
    if (check.type !== 'unique')
      throw new FixNotApplicableError(check.id, fix.strategy, 'dedupe fixes unique checks only');
    return planDedupe(context, check, fix, metadata, runId);
  }
  if (check.type === 'unique' || check.type === 'defaults') {
    throw new FixNotApplicableError(
      check.id,
      fix.strategy,
      check.type === 'unique'
        ? 'use dedupe for a unique check'
        : 'defaults are fixed in the migration (declare a DEFAULT)',
    );
  }
  const base = { runId, fixId: check.id, table: metadata.table };
  if (check.type === 'format' && classifiesInJs(check)) return [planJsFormatFix(context, check, fix, metadata, base)];
  const predicate = offendingRows(check, metadata, fix.strategy)!;
  if (fix.strategy === 'quarantine') {
    const source = sql`SELECT ${rowKeyExpression(metadata)} AS safemig_key, NULL AS safemig_old, NULL AS safemig_new FROM ${id(metadata.table)} WHERE ${predicate}`;
    quarantineTableOf(metadata.table);
    return [{ changeSet: { ...base, column: '', action: 'quarantine', encoding: 'text' }, metadata, source }];
  }
  const columnName = fixedColumnOf(check);
  if (!columnName) throw new FixNotApplicableError(check.id, fix.strategy, 'it needs a single column to write');
  const column = requireColumn(metadata, check.id, columnName);
  const changeSet: ChangeSet = { ...base, column: column.name, action: 'update', encoding: encodingOf(column) };
  if (fix.strategy === 'normalize' && fix.transform) {
    const transform = fix.transform;
    return [
      {
        changeSet,
        metadata,
        source: async function* () {
          for await (const row of keysetPages(context.db, metadata, [column.name], PAGE_SIZE, predicate)) {
            yield computedRow(metadata, row, column.name, transform(row[column.name], row));
          }
        },
      },
    ];
  }
  const newValue = newValueExpression(check, fix, column.name);
  const source = sql`SELECT ${rowKeyExpression(metadata)} AS safemig_key, ${valueAsText(column)} AS safemig_old,
      ${textOfExpression(column, newValue)} AS safemig_new FROM ${id(metadata.table)} WHERE ${predicate}`;
  return [{ changeSet, metadata, source }];
}

function newValueExpression(check: CheckDefinition, fix: FixDefinition, column: string): RawBuilder<unknown> {
  switch (fix.strategy) {
    case 'fill-default':
      return sql`${fix.value}`;
    case 'null-out':
      return sql`NULL`;
    case 'normalize':
      return sql.raw(`(${fix.expression})`);
    case 'truncate': {
      const expression = truncateExpression(check, fix.length);
      if (!expression)
        throw new FixNotApplicableError(
          check.id,
          fix.strategy,
          `give length, or use it on a type-change to a type with a length or scale (column ${column})`,
        );
      return expression;
    }
    default:
      throw new FixNotApplicableError(check.id, fix.strategy, 'not a value-changing strategy');
  }
}

function computedRow(metadata: TableMetadata, row: Record<string, unknown>, column: string, value: unknown) {
  const key = `[${metadata.primaryKey.map((name) => keyPart(metadata, name, row[name])).join(', ')}]`;
  const text = (input: unknown): string | null =>
    input === null || input === undefined
      ? null
      : typeof input === 'object' && !(input instanceof Date) && !Buffer.isBuffer(input)
        ? JSON.stringify(input)
        : String(displayValue(input));
  return { key, display: keyOf(metadata, row), oldValue: text(row[column]), newValue: text(value) };
}

/**
 * A key part exactly as the server's JSON_ARRAY prints it (integers bare, also BIGINTs the driver returns as strings;
 * binary as upper-case hex), so a key captured in JS hashes like one captured in SQL.
 */
function keyPart(metadata: TableMetadata, column: string, value: unknown): string {
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('hex').toUpperCase());
  const type = metadata.columns.get(column)?.dataType ?? '';
  if (/int$/.test(type) && /^-?\d+$/.test(String(value))) return String(value);
  return JSON.stringify(value);
}

function planJsFormatFix(
  context: CheckContext,
  check: Extract<CheckDefinition, { type: 'format' }>,
  fix: FixDefinition,
  metadata: TableMetadata,
  base: Pick<ChangeSet, 'runId' | 'fixId' | 'table'>,
): PlannedChange {
  const column = requireColumn(metadata, check.id, check.column);
  const broken = new Set([UNRECOGNIZED_BUCKET, INVALID_JSON_BUCKET]);
  const selected = (value: unknown) => {
    const bucket = classifyValue(check, value);
    return fix.strategy === 'normalize' && check.canonical !== undefined
      ? bucket !== NULL_BUCKET && bucket !== check.canonical
      : broken.has(bucket);
  };
  const quarantine = fix.strategy === 'quarantine';
  if (!quarantine && fix.strategy !== 'normalize' && fix.strategy !== 'null-out' && fix.strategy !== 'fill-default') {
    throw new FixNotApplicableError(
      check.id,
      fix.strategy,
      'formats checked in JS support normalize, null-out, fill-default and quarantine',
    );
  }
  if (fix.strategy === 'normalize' && !fix.transform) {
    throw new FixNotApplicableError(
      check.id,
      fix.strategy,
      'formats checked in JS need a transform function, not an SQL expression',
    );
  }
  return {
    changeSet: {
      ...base,
      column: quarantine ? '' : column.name,
      action: quarantine ? 'quarantine' : 'update',
      encoding: encodingOf(column),
    },
    metadata,
    source: async function* () {
      for await (const row of keysetPages(context.db, metadata, [column.name], check.pageSize)) {
        const value = row[column.name];
        if (!selected(value)) continue;
        const next =
          fix.strategy === 'normalize'
            ? fix.transform!(value, row)
            : fix.strategy === 'fill-default'
              ? fix.value
              : null;
        const computed = computedRow(metadata, row, column.name, next);
        yield quarantine ? { ...computed, oldValue: null, newValue: null } : computed;
      }
    },
  };
}

async function planDedupe(
  context: CheckContext,
  check: UniqueCheck,
  fix: Extract<FixDefinition, { strategy: 'dedupe' }>,
  metadata: TableMetadata,
  runId: string,
): Promise<PlannedChange[]> {
  const ranked = await rankedDuplicates(context, check, fix, metadata);
  const base = { runId, fixId: check.id, table: metadata.table };
  const quarantine: PlannedChange = {
    changeSet: { ...base, column: '', action: 'quarantine', encoding: 'text' },
    metadata,
    source: duplicateRowsSource(ranked, metadata),
  };
  if (fix.rest === 'quarantine') return [quarantine];
  if (fix.rest === 'suffix') {
    const entry = check.columns
      .map((c) => (typeof c === 'string' ? { column: c, prefix: undefined } : c))
      .find((c) => {
        const meta = metadata.columns.get(c.column);
        return meta?.maxLength !== null && meta?.maxLength !== undefined && ['char', 'varchar'].includes(meta.dataType);
      });
    if (!entry)
      throw new FixNotApplicableError(check.id, 'dedupe', 'suffix needs a CHAR or VARCHAR column in the index');
    const meta = requireColumn(metadata, check.id, entry.column);
    const width = Math.min(entry.prefix ?? Number.MAX_SAFE_INTEGER, meta.maxLength ?? 255);
    return [
      {
        changeSet: { ...base, column: meta.name, action: 'update', encoding: encodingOf(meta) },
        metadata,
        source: suffixSource(ranked, check, metadata, meta.name, width),
      },
    ];
  }
  if (metadata.primaryKey.length !== 1)
    throw new FixNotApplicableError(check.id, 'dedupe', 'merge needs a single-column primary key');
  const merges: PlannedChange[] = [];
  for (const reference of fix.references ?? []) {
    const child = await loadTableMetadata(context.db, check.id, reference.table);
    const column = requireColumn(child, check.id, reference.column);
    merges.push({
      changeSet: {
        runId,
        fixId: check.id,
        table: child.table,
        column: column.name,
        action: 'update',
        encoding: encodingOf(column),
      },
      metadata: child,
      source: mergeReferencesSource(ranked, metadata, child, column.name),
    });
  }
  return [...merges, quarantine];
}

async function capture(db: Kysely<any>, change: PlannedChange): Promise<number> {
  if (typeof change.source !== 'function') return captureChanges(db, change.changeSet, change.source);
  let total = 0;
  let page: { key: string; oldValue: string | null; newValue: string | null }[] = [];
  for await (const row of change.source()) {
    page.push(row);
    if (page.length >= PAGE_SIZE) {
      total += await captureComputedChanges(db, change.changeSet, page);
      page = [];
    }
  }
  return total + (await captureComputedChanges(db, change.changeSet, page));
}

async function countChanges(db: Kysely<any>, change: PlannedChange): Promise<number> {
  if (typeof change.source === 'function') {
    let count = 0;
    for await (const row of change.source())
      if (change.changeSet.action === 'quarantine' || row.oldValue !== row.newValue) count += 1;
    return count;
  }
  const filter = change.changeSet.action === 'quarantine' ? sql`1 = 1` : sql`NOT (s.safemig_old <=> s.safemig_new)`;
  const result = await sql<{
    n: number | string;
  }>`SELECT COUNT(*) AS n FROM (${change.source}) s WHERE ${filter}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

async function previewSamples(context: CheckContext, change: PlannedChange): Promise<FixChange['samples']> {
  const limit = context.sampleSize;
  if (typeof change.source === 'function') {
    const samples: { key: unknown; oldValue: unknown; newValue: unknown }[] = [];
    for await (const row of change.source()) {
      if (change.changeSet.action === 'update' && row.oldValue === row.newValue) continue;
      samples.push({ key: row.display, oldValue: row.oldValue, newValue: row.newValue });
      if (samples.length >= limit) break;
    }
    return samples;
  }
  const filter = change.changeSet.action === 'quarantine' ? sql`1 = 1` : sql`NOT (s.safemig_old <=> s.safemig_new)`;
  const result = await sql<{ safemig_key: string; safemig_old: string | null; safemig_new: string | null }>`
    SELECT s.safemig_key, s.safemig_old, s.safemig_new FROM (${change.source}) s WHERE ${filter} LIMIT ${limit}`.execute(
    context.db,
  );
  // MySQL types JSON_ARRAY as JSON (the driver parses it), MariaDB as text.
  const parse = (key: unknown): unknown => (typeof key === 'string' ? JSON.parse(key) : key);
  return result.rows.map((row) => ({
    key: parse(row.safemig_key),
    oldValue: row.safemig_old,
    newValue: row.safemig_new,
  }));
}
