import { SafemigError, type MigrationMode } from '@safemig/core';
import type { SnapshotChange } from '../snapshot/snapshot-diff';
import { TESTKIT_ERROR_CODES } from './testkit-error-codes';

/** What the idempotency harness saw go wrong. */
export type IdempotencyFailure =
  /** The step threw on this run. */
  | 'error'
  /** The step ran, but the schema or data after this run differs from the state after run 1. */
  | 'changed';

export interface IdempotencyErrorDetails {
  /** The step's class name. */
  readonly step: string;
  readonly mode: MigrationMode;
  /** 1-based run number in this phase. */
  readonly run: number;
  readonly failure: IdempotencyFailure;
  /** For `changed`: every difference from the state after run 1. Empty for `error`. */
  readonly changes: readonly SnapshotChange[];
  /** What to do about it: one line per kind of problem found. */
  readonly hints: readonly string[];
  readonly cause?: unknown;
}

/**
 * A migration step is not idempotent: it threw when run again, or a repeated run changed the schema or data.
 * The message names the step, the phase (`update()`/`updateDestructive()`), the run and every difference.
 *
 * ### Examples
 * ```ts
 * try {
 *   await assertIdempotent(new Migration1700000100AddStatus(), { db });
 * } catch (error) {
 *   if (error instanceof IdempotencyError) console.log(error.step, error.mode, error.run, error.changes);
 *   throw error;
 * }
 * ```
 */
export class IdempotencyError extends SafemigError {
  readonly step: string;
  readonly mode: MigrationMode;
  readonly run: number;
  readonly failure: IdempotencyFailure;
  readonly changes: readonly SnapshotChange[];

  constructor(details: IdempotencyErrorDetails) {
    super(TESTKIT_ERROR_CODES.NOT_IDEMPOTENT, messageOf(details), {
      cause: details.cause,
      hint: details.hints.length > 0 ? details.hints.map((hint) => `-> ${hint}`).join('\n') : undefined,
    });
    this.step = details.step;
    this.mode = details.mode;
    this.run = details.run;
    this.failure = details.failure;
    this.changes = details.changes;
  }
}

function messageOf(details: IdempotencyErrorDetails): string {
  const where = `${details.step}.${details.mode}()`;
  if (details.failure === 'error') {
    const reason = details.cause instanceof Error ? details.cause.message : String(details.cause);
    const failedSql = sqlOf(details.cause);
    const which =
      details.run === 1
        ? `failed on its first run (before any repeat), so idempotency could not be checked`
        : `is not idempotent: run ${details.run} failed after run 1 succeeded`;
    return `${where} ${which}: ${reason}${failedSql ? `\n  SQL: ${failedSql}` : ''}`;
  }
  const lines = details.changes.map((change) => `  ${change.line}`).join('\n');
  return `${where} is not idempotent: run ${details.run} changed the database compared with run 1 (${details.changes.length} difference${details.changes.length === 1 ? '' : 's'}):\n${lines}`;
}

function sqlOf(error: unknown): string | undefined {
  const value = typeof error === 'object' && error !== null ? (error as { sql?: unknown }).sql : undefined;
  return typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : undefined;
}
