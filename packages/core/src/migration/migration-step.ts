import type { Kysely } from 'kysely';
import {
  addColumn,
  addIndex,
  columnExists,
  createTrigger,
  dropColumnIfExists,
  dropForeignKeyIfExists,
  dropIndexIfExists,
  dropTableIfExists,
  foreignKeyExists,
  indexExists,
  removeTrigger,
  tableExists,
  triggerExists,
  type AddColumnOptions,
  type AddIndexOptions,
  type IndexColumn,
  type TriggerDefinition,
} from '../schema';
import { SILENT_LOGGER, type Logger } from '../logging';
import type { Prerequisite } from './prerequisite';

/** Marks MigrationStep subclasses across copies of this package (instanceof fails between copies). */
export const MIGRATION_STEP_BRAND = Symbol.for('safemig.MigrationStep');

/**
 * The rollout phase of a step, in the order the SDK enforces:
 * `expand` (backward-compatible schema) -> `adapt` (data layer reads old and new) -> `activate` (writes to the new
 * fields, behind a flag) -> `contract` (destructive cleanup in `updateDestructive()`, in a LATER release).
 */
export type MigrationPhase = 'expand' | 'adapt' | 'activate' | 'contract';

/** The phases in rollout order. */
export const MIGRATION_PHASES: readonly MigrationPhase[] = Object.freeze(['expand', 'adapt', 'activate', 'contract']);

/**
 * A dependency of a step: a step class, the creation timestamp of a step in the same source, or a bookkeeping key
 * (`OtherPlugin\\Migration\\Migration1690000000Base`) or bare class name, which may belong to another plugin.
 */
export type StepReference = MigrationStepClass | number | string;

/** Silences one lint rule for one step; the reason is required and shown in the plan. */
export interface LintSuppression {
  /** The rule code, e.g. `SM012`. */
  readonly code: string;
  readonly reason: string;
}

/** What a step declares about its place in the rollout; read by the Migrator, the plan and the linter. */
export interface MigrationMetadata {
  /** One sentence for `status()` and the plan. */
  readonly description?: string;
  readonly phase?: MigrationPhase;
  /** The plugin version (semver) that ships the step; gates `migrateDestructive({ mode })`. */
  readonly release?: string;
  /** Steps whose `update()` must have run before this step runs, and which must have earlier timestamps. */
  readonly dependsOn?: readonly StepReference[];
  /**
   * Technical prerequisites, checked right before the step's work runs: before `updateDestructive()` for a
   * contract step, before `update()` for every other step.
   */
  readonly requires?: readonly Prerequisite[];
  readonly lintSuppressions?: readonly LintSuppression[];
}

/**
 * Types and freezes a step's metadata, so `getMetadata()` reads as a declaration.
 *
 * ### Examples
 * ```ts
 * getMetadata() {
 *   return stepMetadata({
 *     description: 'Drop the legacy status column',
 *     phase: 'contract',
 *     release: '1.2.0',
 *     dependsOn: [Migration1700000100AddStatus],
 *     requires: [flagAt('external_order_status', 'new')],
 *   });
 * }
 * ```
 */
export function stepMetadata(metadata: MigrationMetadata): MigrationMetadata {
  return Object.freeze({
    ...metadata,
    ...(metadata.dependsOn ? { dependsOn: Object.freeze([...metadata.dependsOn]) } : {}),
    ...(metadata.requires ? { requires: Object.freeze([...metadata.requires]) } : {}),
    ...(metadata.lintSuppressions ? { lintSuppressions: Object.freeze([...metadata.lintSuppressions]) } : {}),
  });
}

/** What the Migrator hands a step while it runs it. */
export interface MigrationStepContext {
  readonly logger: Logger;
  /** Whether blue-green triggers are created (see {@link createTrigger}). */
  readonly blueGreen: boolean | undefined;
}

const contexts = new WeakMap<MigrationStep, MigrationStepContext>();

/** @internal The Migrator binds its logger and blue-green setting to a step before running it. */
export function bindStepContext(step: MigrationStep, context: MigrationStepContext): void {
  contexts.set(step, context);
}

/**
 * One migration, in Shopware's shape: a class named `Migration<timestamp><WhatItDoes>` with no constructor
 * arguments.
 *
 * - `update()` is the expand step: backward-compatible changes only, safe while release N-1 still runs.
 * - `updateDestructive()` is the contract step, run later (`migrateDestructive`), only after `update()` ran.
 *
 * Both must be safe to run again after a failure half-way: use the helpers, which check information_schema first.
 *
 * ### Examples
 * ```ts
 * export class Migration1700000100AddStatus extends MigrationStep {
 *   getCreationTimestamp() {
 *     return 1700000100;
 *   }
 *   async update(db: Kysely<any>) {
 *     await this.addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true });
 *   }
 * }
 * ```
 */
export abstract class MigrationStep {
  static readonly [MIGRATION_STEP_BRAND] = true;

  /** Unix timestamp that orders the step; must equal the digits in the class name. */
  abstract getCreationTimestamp(): number;

  /** The non-destructive part. Must be idempotent. */
  abstract update(db: Kysely<any>): Promise<void>;

  /** The destructive part, run in a later release. Must be idempotent. Does nothing unless overridden. */
  async updateDestructive(_db: Kysely<any>): Promise<void> {
    // A step without destructive work is complete once update() ran.
  }

  /**
   * Optional inverse of `update()`, run by a rollback (`safemig rollback --to <release>`) in reverse timestamp order:
   * drop what the expand step added (columns, indexes, tables, triggers). Must be idempotent, like `update()`: a
   * rollback that fails half-way is run again. Afterwards the step's bookkeeping is cleared, so a later `migrate`
   * runs `update()` again. A contract step's destructive part has no inverse; restore a table snapshot instead.
   *
   * ### Examples
   * ```ts
   * override async compensate(db: Kysely<any>) {
   *   await this.dropIndexIfExists(db, 'external_order', 'idx_external_order_status');
   *   await this.dropColumnIfExists(db, 'external_order', 'status');
   * }
   * ```
   */
  compensate?(db: Kysely<any>): Promise<void>;

  /** The step's phase, release, dependencies, prerequisites and lint suppressions; see {@link stepMetadata}. */
  getMetadata(): MigrationMetadata {
    return {};
  }

  /** The logger of the Migrator that runs this step (silent outside a run). */
  protected get logger(): Logger {
    return contexts.get(this)?.logger ?? SILENT_LOGGER;
  }

  protected tableExists(db: Kysely<any>, table: string): Promise<boolean> {
    return tableExists(db, table);
  }

  protected columnExists(db: Kysely<any>, table: string, column: string): Promise<boolean> {
    return columnExists(db, table, column);
  }

  protected indexExists(db: Kysely<any>, table: string, index: string): Promise<boolean> {
    return indexExists(db, table, index);
  }

  protected foreignKeyExists(db: Kysely<any>, table: string, foreignKey: string): Promise<boolean> {
    return foreignKeyExists(db, table, foreignKey);
  }

  protected triggerExists(db: Kysely<any>, trigger: string): Promise<boolean> {
    return triggerExists(db, trigger);
  }

  protected addColumn(
    db: Kysely<any>,
    table: string,
    column: string,
    type: string,
    options?: AddColumnOptions,
  ): Promise<boolean> {
    return addColumn(db, table, column, type, options);
  }

  protected addIndex(
    db: Kysely<any>,
    table: string,
    index: string,
    columns: readonly IndexColumn[],
    options?: AddIndexOptions,
  ): Promise<boolean> {
    return addIndex(db, table, index, columns, options);
  }

  protected dropColumnIfExists(db: Kysely<any>, table: string, column: string): Promise<boolean> {
    return dropColumnIfExists(db, table, column);
  }

  protected dropIndexIfExists(db: Kysely<any>, table: string, index: string): Promise<boolean> {
    return dropIndexIfExists(db, table, index);
  }

  protected dropForeignKeyIfExists(db: Kysely<any>, table: string, foreignKey: string): Promise<boolean> {
    return dropForeignKeyIfExists(db, table, foreignKey);
  }

  protected dropTableIfExists(db: Kysely<any>, table: string): Promise<boolean> {
    return dropTableIfExists(db, table);
  }

  /** Creates the trigger only for blue-green deployments (the Migrator's `blueGreen`, else `BLUE_GREEN_DEPLOYMENT`). */
  protected createTrigger(db: Kysely<any>, trigger: TriggerDefinition): Promise<boolean> {
    const blueGreen = contexts.get(this)?.blueGreen;
    return createTrigger(db, trigger, blueGreen === undefined ? {} : { blueGreen });
  }

  protected removeTrigger(db: Kysely<any>, trigger: string): Promise<boolean> {
    return removeTrigger(db, trigger);
  }
}

/** A concrete MigrationStep class, constructible without arguments. */
export type MigrationStepClass = (new () => MigrationStep) & { readonly name: string };

/** Whether a value is a concrete MigrationStep subclass (works across duplicate copies of @safemig/core). */
export function isMigrationStepClass(value: unknown): value is MigrationStepClass {
  if (typeof value !== 'function') return false;
  const prototype = value.prototype as Partial<MigrationStep> | undefined;
  return (
    (value as unknown as Record<symbol, unknown>)[MIGRATION_STEP_BRAND] === true &&
    typeof prototype?.getCreationTimestamp === 'function' &&
    typeof prototype.update === 'function'
  );
}
