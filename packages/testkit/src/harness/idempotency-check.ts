import type { Kysely } from 'kysely';
import type { MigrationMode, MigrationStep } from '@safemig/core';
import { IdempotencyError } from '../errors';
import { diffSnapshots, snapshotDatabase, type DatabaseSnapshot } from '../snapshot';
import { hintsForChanges, hintsForError } from './failure-hints';
import type { IgnoreOptions } from './harness-options';
import { stepName } from './step-runner';

/** Takes the snapshots of one harness call and turns differences and errors into {@link IdempotencyError}s. */
export class IdempotencyCheck {
  readonly #db: Kysely<any>;
  readonly #ignore: IgnoreOptions;
  #snapshotMs = 0;

  constructor(db: Kysely<any>, ignore: IgnoreOptions = {}) {
    this.#db = db;
    this.#ignore = ignore;
  }

  /** Time spent taking snapshots so far. */
  get snapshotMs(): number {
    return this.#snapshotMs;
  }

  async snapshot(): Promise<DatabaseSnapshot> {
    const started = performance.now();
    try {
      return await snapshotDatabase(this.#db, {
        ignoreTables: this.#ignore.tables,
        ignoreColumns: this.#ignore.columns,
      });
    } finally {
      this.#snapshotMs += performance.now() - started;
    }
  }

  /** Throws when `current` differs from `baseline`, naming the step, phase and run. */
  compare(
    step: MigrationStep,
    mode: MigrationMode,
    run: number,
    baseline: DatabaseSnapshot,
    current: DatabaseSnapshot,
  ): void {
    const diff = diffSnapshots(baseline, current);
    if (diff.equal) return;
    throw new IdempotencyError({
      step: stepName(step),
      mode,
      run,
      failure: 'changed',
      changes: diff.changes,
      hints: hintsForChanges(diff.changes, dateColumnsOf(current)),
    });
  }

  /** The error for a step that threw on `run`. */
  failed(step: MigrationStep, mode: MigrationMode, run: number, error: unknown): never {
    throw new IdempotencyError({
      step: stepName(step),
      mode,
      run,
      failure: 'error',
      changes: [],
      hints: hintsForError(error, mode, run),
      cause: error,
    });
  }
}

function dateColumnsOf(snapshot: DatabaseSnapshot): Set<string> {
  const columns = new Set<string>();
  for (const [table, definition] of Object.entries(snapshot.schema.tables)) {
    for (const [column, { type }] of Object.entries(definition.columns)) {
      if (/^(date|datetime|timestamp|time|year)\b/i.test(type)) columns.add(`${table}.${column}`);
    }
  }
  return columns;
}
