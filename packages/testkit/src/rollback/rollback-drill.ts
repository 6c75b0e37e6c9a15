import { sql, type Kysely } from 'kysely';
import { id, InvalidSqlFragmentError, validateIdentifier } from '@safemig/core';
import { snapshotData } from '../snapshot/data-snapshot';
import { snapshotDatabase } from '../snapshot/database-snapshot';
import { diffSnapshots, type SnapshotChange } from '../snapshot/snapshot-diff';
import { RollbackDrillError } from './rollback-drill-error';
import { tableShape } from './table-copy';
import { resolveSchema } from '../snapshot/schema-snapshot';

/**
 * The bookkeeping of safemig itself, which a deploy and a rollback legitimately change (the `migration` rows, flag
 * states and their audit, backfill checkpoints, validation baselines). The drill compares everything else.
 */
export const DRILL_IGNORED_TABLE_PATTERN = /^(migration|safemig_.*)$/;

/** Data written under release N that stays after the rollback, as the runbook says. */
export interface RollbackDrillKeep {
  /** Tables whose rows may differ (rows added or changed under N stay); their schema must still match. */
  readonly tables?: readonly string[];
  /** `table.column` whose values may differ, e.g. a legacy column that N's dual writes kept up to date. */
  readonly columns?: readonly string[];
  /**
   * Table -> SQL condition selecting the rows written under N (e.g. `id >= 1000`). Those rows may stay; every other
   * row of the table must be exactly as before.
   */
  readonly rows?: Readonly<Record<string, string>>;
}

export interface RollbackDrillOptions {
  readonly db: Kysely<any>;
  /** Deploys release N: migrate, backfill, switch flags. */
  readonly deploy: (db: Kysely<any>) => Promise<unknown>;
  /** The queries release N-1 runs (reads and writes), by name; each must succeed on N's schema. */
  readonly smoke: Readonly<Record<string, (db: Kysely<any>) => Promise<unknown>>>;
  /** Rolls back to N-1: flags off, compensations, snapshot restore (e.g. `executeRollback` or `safemig rollback`). */
  readonly rollback: (db: Kysely<any>) => Promise<unknown>;
  readonly keep?: RollbackDrillKeep;
  /** Tables left out of the comparison; defaults to safemig's bookkeeping ({@link DRILL_IGNORED_TABLE_PATTERN}). */
  readonly ignoreTables?: RegExp;
}

export interface RollbackDrillReport {
  /** The N-1 smoke queries that ran on release N. */
  readonly smoke: readonly string[];
  /** Differences that `keep` allowed: the data written under N that stays. */
  readonly kept: readonly SnapshotChange[];
}

/**
 * Proves a release can be rolled back: snapshots schema and data, deploys release N, runs release N-1's smoke
 * queries on it (N-1 must keep working while N is live), rolls back, and compares schema and data with the state
 * before the deploy. Every difference not covered by `keep` fails the drill with a {@link RollbackDrillError} that
 * lists them (`external_order.status: column added (varchar(32) NULL)`).
 *
 * ### Examples
 * ```ts
 * await rollbackDrill({
 *   db,
 *   deploy: async (db) => { await new Migrator({ db, source }).migrate(); await setFlag(db, 'status', 'dual', by); },
 *   smoke: { 'list orders': (db) => sql`SELECT id, legacy_status FROM external_order`.execute(db) },
 *   rollback: (db) => executeRollback(db, source, { to: '1.0.0', by: 'drill' }),
 *   keep: { rows: { external_order: 'id >= 1000' } },
 * });
 * ```
 */
export async function rollbackDrill(options: RollbackDrillOptions): Promise<RollbackDrillReport> {
  const { db } = options;
  const keep = options.keep ?? {};
  const ignored = options.ignoreTables ?? DRILL_IGNORED_TABLE_PATTERN;
  const keptRows = Object.entries(keep.rows ?? {}).map(([table, condition]) => ({
    table: validateIdentifier(table),
    condition: validCondition(table, condition),
  }));
  const before = await snapshotDatabase(db);
  const rowsBefore = await checksumsOutside(db, keptRows);

  await stage('deploy', () => options.deploy(db));
  const broken: string[] = [];
  for (const [name, query] of Object.entries(options.smoke)) {
    try {
      await query(db);
    } catch (error) {
      broken.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (broken.length > 0) throw new RollbackDrillError('smoke', broken);
  await stage('rollback', () => options.rollback(db));

  const after = await snapshotDatabase(db);
  const rowsAfter = await checksumsOutside(db, keptRows);
  const keptTables = new Set([...(keep.tables ?? []), ...keptRows.map((entry) => entry.table)]);
  const keptColumns = new Set(keep.columns ?? []);
  const kept: SnapshotChange[] = [];
  const failing: SnapshotChange[] = [];
  for (const change of diffSnapshots(before, after).changes) {
    if (ignored.test(change.table)) continue;
    const isData = change.subject === 'rows' || change.subject === 'values';
    const allowed =
      isData &&
      (keptTables.has(change.table) ||
        (change.subject === 'values' &&
          (change.name === undefined
            ? [...keptColumns].some((column) => column.startsWith(`${change.table}.`))
            : keptColumns.has(`${change.table}.${change.name}`))));
    (allowed ? kept : failing).push(change);
  }
  const lines = failing.map((change) => change.line);
  for (const { table } of keptRows) {
    const a = rowsBefore.get(table);
    const b = rowsAfter.get(table);
    if (a && b && (a.rows !== b.rows || a.checksum !== b.checksum)) {
      lines.push(
        `${table}: rows not written under N changed (${a.rows} -> ${b.rows} rows, checksum ${a.checksum} -> ${b.checksum})`,
      );
    }
  }
  if (lines.length > 0) throw new RollbackDrillError('compare', lines, failing);
  return { smoke: Object.keys(options.smoke), kept };
}

async function stage(name: 'deploy' | 'rollback', work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    throw new RollbackDrillError(name, [error instanceof Error ? error.message : String(error)], [], error);
  }
}

/**
 * Row count and checksum of the rows NOT matching each condition: copied into a scratch table (same structure) and
 * checksummed like every other table, so the numbers compare with each other.
 */
async function checksumsOutside(
  db: Kysely<any>,
  entries: readonly { readonly table: string; readonly condition: string }[],
): Promise<Map<string, { rows: number; checksum: string }>> {
  const result = new Map<string, { rows: number; checksum: string }>();
  if (entries.length === 0) return result;
  const schema = await resolveSchema(db, undefined);
  for (const { table, condition } of entries) {
    const scratch = `safemig_drill_${table}`.slice(0, 64);
    await sql`DROP TABLE IF EXISTS ${id(scratch)}`.execute(db);
    await sql`CREATE TABLE ${id(scratch)} LIKE ${id(table)}`.execute(db);
    try {
      const shape = await tableShape(db, { schema, table });
      const columns = sql.join(shape.columns.map((column) => id(column)));
      await sql`INSERT INTO ${id(scratch)} (${columns})
        SELECT ${columns} FROM ${id(table)} WHERE NOT COALESCE((${sql.raw(condition)}), FALSE)`.execute(db);
      const data = await snapshotData(db, { tables: [scratch] });
      const snapshot = data.tables[scratch]!;
      result.set(table, { rows: snapshot.rows, checksum: snapshot.checksum });
    } finally {
      await sql`DROP TABLE IF EXISTS ${id(scratch)}`.execute(db);
    }
  }
  return result;
}

function validCondition(table: string, condition: string): string {
  if (condition.trim().length === 0 || condition.includes(';')) {
    throw new InvalidSqlFragmentError(
      `keep.rows condition of ${table}`,
      condition,
      'it must be one SQL condition without ;',
    );
  }
  return condition;
}
