import type { Kysely } from 'kysely';
import type { MigrationMode, MigrationSource, MigrationStep, MigrationStepClass } from '@safemig/core';

/** A step under test: an instance, or a class constructible without arguments. */
export type StepUnderTest = MigrationStep | MigrationStepClass;

/** What the harness leaves out when it compares the state after run 1 with the state after run k. */
export interface IgnoreOptions {
  /** Tables whose data is not compared (their schema still is). */
  readonly tables?: readonly string[];
  /** Columns whose values are not compared: `column` in every table or `table.column`. */
  readonly columns?: readonly string[];
}

/** Options shared by every harness function. */
export interface HarnessOptions {
  /** The test database, e.g. from `createTestDatabase()` or `useTestDatabase()`. */
  readonly db: Kysely<any>;
  /**
   * Earlier steps, applied first through the core `Migrator` (with bookkeeping) exactly as a deployment would, so
   * the step under test meets the schema it will meet in production. Steps already applied are skipped.
   */
  readonly history?: readonly MigrationStepClass[] | MigrationSource;
  /**
   * Also run `migrateDestructive({ mode: 'all' })` over the history. Default false: the contract of earlier steps
   * usually ships in a later release than the step under test.
   */
  readonly historyDestructive?: boolean;
  /** Inserts legacy rows after the history and before run 1, e.g. the heterogeneous data production holds. */
  readonly seed?: (db: Kysely<any>) => Promise<void>;
  /** What not to compare between runs. */
  readonly ignore?: IgnoreOptions;
  /**
   * Create blue-green triggers (`createTrigger`) during the runs. Default true: the trigger path is the one with
   * more to go wrong, so it is the one to prove idempotent.
   */
  readonly blueGreen?: boolean;
  /**
   * Move the session clock one day forward for every run (`SET timestamp`), so `NOW()` differs between runs even
   * when they fall into the same second and a statement that rewrites a timestamp on every run is always caught.
   * Default true.
   */
  readonly shiftClock?: boolean;
}

/** Options of {@link assertIdempotent}. */
export interface AssertIdempotentOptions extends HarnessOptions {
  /** How many times each phase runs; at least 2 (the default). */
  readonly runs?: number;
  /**
   * Which phases to run. Default: `update`, then `updateDestructive` unless the step does not override it
   * (the base class's no-op cannot fail).
   */
  readonly phases?: readonly MigrationMode[];
}

/** What one harness call did. Durations are for benchmarks and logs, never for assertions. */
export interface IdempotencyReport {
  /** The step (or, for a collection, every step) checked. */
  readonly steps: readonly string[];
  /** Runs per phase. */
  readonly runs: number;
  readonly phases: readonly MigrationMode[];
  /** Time spent inside update()/updateDestructive(). */
  readonly stepMs: number;
  /** Time spent taking snapshots. */
  readonly snapshotMs: number;
  /** Everything, including history and seed. */
  readonly totalMs: number;
}
