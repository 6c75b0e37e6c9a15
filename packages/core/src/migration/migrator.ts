import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import {
  DependencyNotExecutedError,
  InvalidConfigError,
  MigrationFailedError,
  PrerequisiteError,
  type MigrationMode,
} from '../errors';
import { SILENT_LOGGER, type Logger } from '../logging';
import { identifierSchema } from '../sql';
import type { LoadedMigration, MigrationSource } from './migration-source';
import {
  DEFAULT_DESTRUCTIVE_MODE,
  DESTRUCTIVE_MODES,
  isHeldBack,
  releaseGate,
  type DestructiveMode,
  type ReleaseGate,
} from './destructive-selection';
import { bindStepContext, type MigrationPhase } from './migration-step';
import { isRelease } from './release-version';
import { assertRolloutOrder, type ResolvedStep } from './rollout-order';
import {
  DEFAULT_MIGRATION_TABLE,
  ensureMigrationTable,
  markExecuted,
  markFailed,
  readMigrationRows,
  syncMigrationTable,
  type MigrationRow,
} from './migration-table';
import { lockNameFor, withNamedLock } from './named-lock';

/** How long a runner waits for another runner's lock before giving up. */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 30;

export interface MigratorProps {
  readonly db: Kysely<any>;
  readonly source: MigrationSource;
  /** pino or any logger with debug/info/warn/error. */
  readonly logger?: Logger;
  /** Seconds to wait for the migration lock held by another runner. */
  readonly lockTimeoutSeconds?: number;
  /** Bookkeeping table; Shopware's `migration` by default. */
  readonly migrationTable?: string;
  /** Create blue-green triggers; defaults to the `BLUE_GREEN_DEPLOYMENT` environment variable. */
  readonly blueGreen?: boolean;
}

export interface MigrateOptions {
  /** Run only steps whose creation timestamp is at most this (inclusive), like `database:migrate --until`. */
  readonly until?: number;
  /** Run at most this many steps; 0 or absent means no limit. */
  readonly limit?: number;
}

/** Options of {@link Migrator.migrateDestructive}: the release gate on top of `until` and `limit`. */
export interface DestructiveMigrateOptions extends MigrateOptions {
  /** Which releases may run their destructive part; `safe` by default (see {@link DestructiveMode}). */
  readonly mode?: DestructiveMode;
  /** The release being deployed (semver); defaults to the newest release declared by a step. */
  readonly currentRelease?: string;
}

export type MigrationState = 'pending' | 'failed' | 'updated' | 'complete';

export interface MigrationStatus {
  readonly className: string;
  readonly name: string;
  readonly timestamp: number;
  readonly description: string | undefined;
  readonly phase: MigrationPhase | undefined;
  readonly release: string | undefined;
  /** pending: update() not run; updated: update() ran, updateDestructive() not yet; complete: both ran. */
  readonly state: MigrationState;
  readonly update: Date | null;
  readonly updateDestructive: Date | null;
  /** The error of the last failed attempt, if any. */
  readonly message: string | null;
}

export interface ExecutedStep {
  readonly className: string;
  readonly mode: MigrationMode;
  readonly durationMs: number;
}

export interface MigrationRunResult {
  readonly mode: MigrationMode;
  readonly executed: readonly ExecutedStep[];
  /** Steps that were still pending in this mode but left out by `until` or `limit`. */
  readonly remaining: number;
  /** Due destructive steps kept back by the release gate (`mode`); always empty for `migrate()`. */
  readonly heldBack: readonly string[];
  /** The release gate of a destructive run. */
  readonly gate?: ReleaseGate;
}

export type MigrationProgressEvent =
  | { readonly type: 'run:start'; readonly mode: MigrationMode; readonly total: number }
  | {
      readonly type: 'step:start';
      readonly mode: MigrationMode;
      readonly className: string;
      readonly index: number;
      readonly total: number;
    }
  | {
      readonly type: 'step:done';
      readonly mode: MigrationMode;
      readonly className: string;
      readonly index: number;
      readonly total: number;
      readonly durationMs: number;
    }
  | {
      readonly type: 'step:failed';
      readonly mode: MigrationMode;
      readonly className: string;
      readonly error: MigrationFailedError;
    }
  | { readonly type: 'run:done'; readonly mode: MigrationMode; readonly executed: number; readonly durationMs: number };

const propsSchema = z.object({
  lockTimeoutSeconds: z.number().int().min(0).max(86_400).optional(),
  migrationTable: identifierSchema.optional(),
  blueGreen: z.boolean().optional(),
});

const migrateOptionsSchema = z
  .object({
    until: z.number().int().min(0).optional(),
    limit: z.number().int().min(0).optional(),
  })
  .strict();

const destructiveOptionsSchema = migrateOptionsSchema
  .extend({
    mode: z.enum(DESTRUCTIVE_MODES as [DestructiveMode, ...DestructiveMode[]]).optional(),
    currentRelease: z.string().refine(isRelease, 'must be a semver release such as 1.2.0').optional(),
  })
  .strict();

/**
 * Runs steps with Shopware's semantics and bookkeeping: `migrate()` runs pending `update()`s, `migrateDestructive()`
 * runs `updateDestructive()` of steps whose `update()` already ran, both in timestamp order, under a named lock so
 * two runners never interleave. A failing step stores its error in `migration.message`, keeps its phase NULL (so the
 * next run retries it) and throws a {@link MigrationFailedError}.
 *
 * Listen to `progress` events for a progress display.
 *
 * ### Examples
 * ```ts
 * const migrator = new Migrator({ db, source });
 * migrator.on('progress', (event) => console.log(event.type));
 * await migrator.migrate({ until: 1700000200 });
 * await migrator.migrateDestructive({ limit: 1 });
 * console.table(await migrator.status());
 * ```
 */
export class Migrator extends EventEmitter<{ progress: [MigrationProgressEvent] }> {
  readonly #db: Kysely<any>;
  readonly #source: MigrationSource;
  readonly #logger: Logger;
  readonly #lockTimeoutSeconds: number;
  readonly #table: string;
  readonly #blueGreen: boolean | undefined;

  constructor(props: MigratorProps) {
    super();
    const parsed = propsSchema.safeParse({
      lockTimeoutSeconds: props.lockTimeoutSeconds,
      migrationTable: props.migrationTable,
      blueGreen: props.blueGreen,
    });
    if (!parsed.success) throw InvalidConfigError.fromZod('Migrator options', parsed.error);
    this.#db = props.db;
    this.#source = props.source;
    this.#logger = props.logger ?? SILENT_LOGGER;
    this.#lockTimeoutSeconds = parsed.data.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
    this.#table = parsed.data.migrationTable ?? DEFAULT_MIGRATION_TABLE;
    this.#blueGreen = parsed.data.blueGreen;
  }

  /**
   * Runs pending `update()` steps in timestamp order. Before each step it checks that the steps it `dependsOn` ran
   * and, for every phase but contract, that its `requires` hold.
   */
  migrate(options: MigrateOptions = {}): Promise<MigrationRunResult> {
    return this.#run('update', options);
  }

  /**
   * Runs `updateDestructive()` of steps whose `update()` ran and whose destructive part did not, except the steps the
   * release gate keeps back (`mode`, `safe` by default). A contract step's `requires` are checked right before it.
   *
   * ### Examples
   * ```ts
   * // Deploying 1.2.0 blue-green: contract steps of 1.1.0 and older run, those of 1.2.0 wait for the next release.
   * await migrator.migrateDestructive({ mode: 'blue-green', currentRelease: '1.2.0' });
   * ```
   */
  migrateDestructive(options: DestructiveMigrateOptions = {}): Promise<MigrationRunResult> {
    return this.#run('updateDestructive', options);
  }

  /** Registers the source's steps in the bookkeeping table (creating it if needed) without running anything. */
  async sync(): Promise<void> {
    await this.#exclusive(async (connection) => {
      await ensureMigrationTable(connection, this.#table);
      await syncMigrationTable(connection, this.#table, this.#source.migrations);
    });
  }

  /** Every step of the source with its state. Reads only; a missing bookkeeping table means all pending. */
  async status(): Promise<MigrationStatus[]> {
    const rows = await readMigrationRows(this.#db, this.#table);
    return this.#source.migrations.map((migration) => statusOf(migration, rows.get(migration.className)));
  }

  async #run(mode: MigrationMode, options: DestructiveMigrateOptions): Promise<MigrationRunResult> {
    const parsed = (mode === 'update' ? migrateOptionsSchema : destructiveOptionsSchema).safeParse(options);
    if (!parsed.success) throw InvalidConfigError.fromZod('migrate options', parsed.error);
    const { until, limit } = parsed.data;
    // The ordering rules need only the metadata, so a broken rollout is refused before anything runs.
    const resolved = new Map(
      assertRolloutOrder(this.#source).steps.map((step) => [step.migration.className, step] as const),
    );
    const gate =
      mode === 'updateDestructive'
        ? releaseGate(
            (parsed.data as DestructiveMigrateOptions).mode ?? DEFAULT_DESTRUCTIVE_MODE,
            (parsed.data as DestructiveMigrateOptions).currentRelease,
            [...resolved.values()].flatMap((step) => (step.metadata.release ? [step.metadata.release] : [])),
          )
        : undefined;
    return this.#exclusive(async (connection) => {
      const started = Date.now();
      await ensureMigrationTable(connection, this.#table);
      await syncMigrationTable(connection, this.#table, this.#source.migrations);
      const rows = await readMigrationRows(connection, this.#table);
      const pending = this.#source.migrations.filter((migration) => isDue(mode, rows.get(migration.className)));
      const heldBack = gate
        ? pending.filter((migration) => isHeldBack(gate, resolved.get(migration.className)?.metadata.release))
        : [];
      const due = pending.filter((migration) => !heldBack.includes(migration));
      const capped = due.filter((migration) => until === undefined || migration.timestamp <= until);
      const selected = limit ? capped.slice(0, limit) : capped;
      if (heldBack.length > 0) {
        this.#logger.info(
          { mode: gate?.mode, currentRelease: gate?.currentRelease, heldBack: heldBack.map((m) => m.className) },
          `safemig: ${heldBack.length} destructive step(s) kept back by the ${gate?.mode} release gate`,
        );
      }
      const updated = new Set([...rows.values()].filter((row) => row.update !== null).map((row) => row.className));
      this.#emit({ type: 'run:start', mode, total: selected.length });
      this.#logger.info(
        { mode, total: selected.length, until, limit },
        `safemig: ${selected.length} step(s) to run (${mode})`,
      );
      const executed: ExecutedStep[] = [];
      for (const [index, migration] of selected.entries()) {
        const step = resolved.get(migration.className)!;
        await this.#checkReadiness(connection, step, mode, rows, updated);
        executed.push(await this.#execute(connection, migration, mode, index, selected.length));
        updated.add(migration.className);
      }
      const durationMs = Date.now() - started;
      this.#emit({ type: 'run:done', mode, executed: executed.length, durationMs });
      this.#logger.info({ mode, executed: executed.length, durationMs }, `safemig: ${mode} finished`);
      return {
        mode,
        executed,
        remaining: due.length - executed.length,
        heldBack: heldBack.map((migration) => migration.className),
        ...(gate ? { gate } : {}),
      };
    });
  }

  /**
   * Refuses to run a step whose dependencies have not run or whose prerequisites do not hold. Prerequisites guard
   * the step's work: `updateDestructive()` for a contract step, `update()` for every other step.
   */
  async #checkReadiness(
    connection: Kysely<any>,
    step: ResolvedStep,
    mode: MigrationMode,
    rows: ReadonlyMap<string, MigrationRow>,
    updated: ReadonlySet<string>,
  ): Promise<void> {
    const { className } = step.migration;
    for (const dependency of step.dependencies) {
      const ran = dependency.external
        ? [...rows.values()].some(
            (row) =>
              row.update !== null &&
              (row.className === dependency.reference ||
                row.className === dependency.name ||
                row.className.endsWith(`\\${dependency.name}`)),
          )
        : updated.has(dependency.className!);
      if (!ran) {
        const error = new DependencyNotExecutedError(className, mode, dependency.name ?? dependency.reference);
        this.#logger.error({ migration: className, mode, err: error }, `safemig: ${className} is blocked`);
        throw error;
      }
    }
    const guardsMode = step.metadata.phase === 'contract' ? 'updateDestructive' : 'update';
    if (guardsMode !== mode) return;
    for (const prerequisite of step.metadata.requires ?? []) {
      const result = await prerequisite.check(connection);
      if (result.met) {
        this.#logger.debug({ migration: className, prerequisite: prerequisite.id }, `safemig: ${result.detail}`);
        continue;
      }
      const error = new PrerequisiteError(
        className,
        mode,
        { id: prerequisite.id, description: prerequisite.describe() },
        result.detail,
        result.hint,
      );
      this.#logger.error({ migration: className, mode, err: error }, `safemig: ${className} is blocked`);
      throw error;
    }
  }

  async #execute(
    connection: Kysely<any>,
    migration: LoadedMigration,
    mode: MigrationMode,
    index: number,
    total: number,
  ): Promise<ExecutedStep> {
    const { className, step } = migration;
    bindStepContext(step, { logger: this.#logger, blueGreen: this.#blueGreen });
    this.#emit({ type: 'step:start', mode, className, index, total });
    this.#logger.info({ migration: className, mode }, `safemig: running ${className}.${mode}()`);
    const started = Date.now();
    try {
      if (mode === 'update') await step.update(connection);
      else await step.updateDestructive(connection);
    } catch (cause) {
      const error = new MigrationFailedError(className, mode, cause);
      await markFailed(connection, this.#table, className, error.message);
      this.#emit({ type: 'step:failed', mode, className, error });
      this.#logger.error({ migration: className, mode, err: error }, `safemig: ${className}.${mode}() failed`);
      throw error;
    }
    await markExecuted(connection, this.#table, className, mode === 'updateDestructive');
    const durationMs = Date.now() - started;
    this.#emit({ type: 'step:done', mode, className, index, total, durationMs });
    this.#logger.info({ migration: className, mode, durationMs }, `safemig: ${className}.${mode}() done`);
    return { className, mode, durationMs };
  }

  /** Pins one connection and holds the schema's migration lock on it for the whole run. */
  async #exclusive<T>(work: (connection: Kysely<any>) => Promise<T>): Promise<T> {
    return this.#db.connection().execute(async (connection) => {
      const schema = await sql<{ schema: string | null }>`SELECT DATABASE() AS \`schema\``.execute(connection);
      const lockName = lockNameFor(`migrate:${this.#table}`, schema.rows[0]?.schema ?? '');
      return withNamedLock(connection, lockName, this.#lockTimeoutSeconds, () => work(connection));
    });
  }

  #emit(event: MigrationProgressEvent): void {
    this.emit('progress', event);
  }
}

function isDue(mode: MigrationMode, row: MigrationRow | undefined): boolean {
  if (!row) return mode === 'update';
  return mode === 'update' ? row.update === null : row.update !== null && row.updateDestructive === null;
}

function statusOf(migration: LoadedMigration, row: MigrationRow | undefined): MigrationStatus {
  const metadata = migration.step.getMetadata();
  const update = row?.update ?? null;
  const updateDestructive = row?.updateDestructive ?? null;
  const message = row?.message ?? null;
  const state: MigrationState =
    update !== null && updateDestructive !== null
      ? 'complete'
      : message !== null
        ? 'failed'
        : update !== null
          ? 'updated'
          : 'pending';
  return {
    className: migration.className,
    name: migration.name,
    timestamp: migration.timestamp,
    description: metadata.description,
    phase: metadata.phase,
    release: metadata.release,
    state,
    update,
    updateDestructive,
    message,
  };
}
