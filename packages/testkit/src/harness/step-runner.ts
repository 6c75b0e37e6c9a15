import { sql, type Kysely } from 'kysely';
import {
  bindStepContext,
  isMigrationStepClass,
  MigrationSource,
  Migrator,
  SILENT_LOGGER,
  type MigrationMode,
  type MigrationStep,
  type MigrationStepClass,
} from '@safemig/core';
import type { HarnessOptions, StepUnderTest } from './harness-options';

/** One day: how far the session clock moves between two runs when `shiftClock` is on. */
const CLOCK_STEP_SECONDS = 86_400;

/** The step instance of a class or instance. */
export function stepInstance(step: StepUnderTest): MigrationStep {
  return isMigrationStepClass(step) ? new step() : step;
}

/** The class name the harness reports. */
export function stepName(step: MigrationStep): string {
  return step.constructor.name;
}

/**
 * Runs steps the way the Migrator does (one pinned connection, its context bound), but without bookkeeping, so the
 * `migration` table does not change between runs. Each run gets its own clock when `shiftClock` is on.
 */
export class StepRunner {
  readonly #db: Kysely<any>;
  readonly #blueGreen: boolean;
  readonly #shiftClock: boolean;
  #clock: number | undefined;
  #stepMs = 0;

  constructor(options: HarnessOptions) {
    this.#db = options.db;
    this.#blueGreen = options.blueGreen ?? true;
    this.#shiftClock = options.shiftClock ?? true;
  }

  /** Time spent inside the steps so far. */
  get stepMs(): number {
    return this.#stepMs;
  }

  /** Runs `mode` of each step in order, on one connection with one clock reading. */
  async run(
    steps: readonly MigrationStep[],
    mode: MigrationMode,
    onError: (step: MigrationStep, error: unknown) => never,
  ): Promise<void> {
    const clock = await this.#nextClock();
    await this.#db.connection().execute(async (connection) => {
      if (clock !== undefined) await sql`SET timestamp = ${clock}`.execute(connection);
      try {
        for (const step of steps) {
          bindStepContext(step, { logger: SILENT_LOGGER, blueGreen: this.#blueGreen });
          const started = performance.now();
          try {
            if (mode === 'update') await step.update(connection);
            else await step.updateDestructive(connection);
          } catch (error) {
            onError(step, error);
          } finally {
            this.#stepMs += performance.now() - started;
          }
        }
      } finally {
        if (clock !== undefined) await sql`SET timestamp = DEFAULT`.execute(connection);
      }
    });
  }

  async #nextClock(): Promise<number | undefined> {
    if (!this.#shiftClock) return undefined;
    if (this.#clock === undefined) {
      const result = await sql<{ now: string | number }>`SELECT UNIX_TIMESTAMP() AS now`.execute(this.#db);
      this.#clock = Number(result.rows[0]?.now);
    }
    this.#clock += CLOCK_STEP_SECONDS;
    return this.#clock;
  }
}

/** Applies the history through the core Migrator (bookkeeping included), then the seed. */
export async function prepare(options: HarnessOptions): Promise<void> {
  if (options.history) {
    const source =
      options.history instanceof MigrationSource
        ? options.history
        : MigrationSource.fromClasses(options.history as readonly MigrationStepClass[]);
    const migrator = new Migrator({ db: options.db, source, blueGreen: options.blueGreen ?? true });
    await migrator.migrate();
    // `all`: the history is the past, so no release gate holds any of its contract steps back.
    if (options.historyDestructive) await migrator.migrateDestructive({ mode: 'all' });
  }
  if (options.seed) await options.seed(options.db);
}
