import type { Kysely } from 'kysely';
import { MigrationFailedError, SafemigError, ERROR_CODES } from '@safemig/core';
import { BackwardCompatibilityError, type BrokenQuery } from '../errors';
import type { HarnessOptions, StepUnderTest } from './harness-options';
import { prepare, stepInstance, stepName, StepRunner } from './step-runner';

/** A query of the previous release (N-1): a read or a write, run against the database it is given. */
export type PreviousReleaseQuery = (db: Kysely<any>) => Promise<unknown>;

export interface AssertBackwardCompatibleOptions extends Omit<HarnessOptions, 'ignore'> {
  /**
   * The previous release's queries by name, reads and writes (DML only: DDL would commit). Each runs inside a
   * transaction that is rolled back, once before `update()` (proving the query itself is right) and once after.
   */
  readonly queries: Readonly<Record<string, PreviousReleaseQuery>>;
}

export interface BackwardCompatibilityReport {
  readonly step: string;
  /** The queries that still work after `update()`: all of them, or the call would have thrown. */
  readonly queries: readonly string[];
}

/**
 * Proves the expand phase does not break release N-1: applies `history` and `seed`, runs the previous release's
 * `queries`, runs the step's `update()`, and runs the queries again. A query that worked before and fails after
 * fails the assertion with a {@link BackwardCompatibilityError} naming it.
 *
 * ### Examples
 * ```ts
 * await assertBackwardCompatible(Migration1700000100AddStatus, {
 *   db,
 *   history: [Migration1700000000CreateExternalOrder],
 *   queries: {
 *     'list orders': (db) => db.selectFrom('external_order').select(['id', 'legacy_status']).execute(),
 *     'insert order': (db) => sql`INSERT INTO external_order (id, legacy_status) VALUES (UNHEX('AA'), 'new')`.execute(db),
 *   },
 * });
 * ```
 */
export async function assertBackwardCompatible(
  step: StepUnderTest,
  options: AssertBackwardCompatibleOptions,
): Promise<BackwardCompatibilityReport> {
  const instance = stepInstance(step);
  const name = stepName(instance);
  const entries = Object.entries(options.queries);
  if (entries.length === 0) {
    throw new SafemigError(ERROR_CODES.INVALID_CONFIG, `assertBackwardCompatible(${name}) got no queries to check.`, {
      hint: "Pass the previous release's reads and writes: { queries: { 'list orders': (db) => ... } }.",
    });
  }
  await prepare(options);
  const before = await runAll(options.db, entries);
  if (before.length > 0) {
    const lines = before.map(
      ({ name: query, error }) => `  ${query}: ${error instanceof Error ? error.message : String(error)}`,
    );
    throw new SafemigError(
      ERROR_CODES.INVALID_CONFIG,
      `assertBackwardCompatible(${name}): ${before.length} quer${before.length === 1 ? 'y fails' : 'ies fail'} even BEFORE update(), so they do not describe the previous release:\n${lines.join('\n')}`,
      { hint: 'Fix the queries (or the history/seed they need) so they pass on the schema before the step.' },
    );
  }
  await new StepRunner(options).run([instance], 'update', (failed, error) => {
    throw new MigrationFailedError(stepName(failed), 'update', error);
  });
  const after = await runAll(options.db, entries);
  if (after.length > 0) throw new BackwardCompatibilityError(name, after);
  return { step: name, queries: entries.map(([query]) => query) };
}

/** Sentinel that makes kysely roll the query's transaction back. */
class Rollback extends Error {}

async function runAll(db: Kysely<any>, entries: readonly [string, PreviousReleaseQuery][]): Promise<BrokenQuery[]> {
  const broken: BrokenQuery[] = [];
  for (const [name, query] of entries) {
    try {
      await db.transaction().execute(async (trx) => {
        await query(trx);
        throw new Rollback();
      });
    } catch (error) {
      if (!(error instanceof Rollback)) broken.push({ name, error });
    }
  }
  return broken;
}
