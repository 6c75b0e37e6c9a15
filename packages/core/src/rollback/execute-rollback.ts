import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { InvalidConfigError } from '../errors';
import { getFlag, setFlag, type FlagChange } from '../flags';
import { SILENT_LOGGER, type Logger } from '../logging';
import {
  bindStepContext,
  DEFAULT_LOCK_TIMEOUT_SECONDS,
  DEFAULT_MIGRATION_TABLE,
  lockNameFor,
  withNamedLock,
  type MigrationSource,
} from '../migration';
import { id } from '../sql';
import { CompensationFailedError, RollbackRefusedError } from './rollback-errors';
import { planRollback, type PlanRollbackOptions, type RollbackPlan } from './rollback-plan';

/** A table snapshot to restore when contract steps ran; core only calls it (the snapshots live in the testkit). */
export interface RollbackRestore {
  /** The snapshot's name, for the result and the logs. */
  readonly name: string;
  /** Restores the tables; receives the rollback's connection, which holds the migration lock. */
  run(db: Kysely<any>): Promise<void>;
}

export interface ExecuteRollbackOptions extends PlanRollbackOptions {
  /** Who rolls back (a person or a job); recorded in the flag audit. */
  readonly by: string;
  /** Restore this snapshot to undo the destructive part of contract steps; without it such a plan is refused. */
  readonly restore?: RollbackRestore;
  readonly logger?: Logger;
  /** Seconds to wait for the migration lock held by a migrate run. */
  readonly lockTimeoutSeconds?: number;
}

export interface RollbackResult {
  readonly plan: RollbackPlan;
  /** Flags switched to `off` (flags already off are not listed). */
  readonly flags: readonly FlagChange[];
  /** The snapshot restored, if any. */
  readonly restored: string | undefined;
  /** Steps whose `compensate()` ran and whose bookkeeping was cleared, in the order they ran. */
  readonly compensated: readonly string[];
  /** Steps that ran after the target release and stay as they are (no `compensate()`; N-1 ignores them). */
  readonly kept: readonly string[];
}

const bySchema = z.string().trim().min(1, 'must name who rolls back').max(255);

/**
 * Rolls the database back to release `to`, under the Migrator's lock (so no migrate run interleaves):
 * 1. switches the flags of the later releases to `off` (`force`, reason `rollback to <to>`), so the data layer
 *    stops writing the new model within its cache TTL;
 * 2. if contract steps ran their destructive part: restores `restore` (else refuses with {@link RollbackRefusedError}
 *    before changing anything) and clears their `update_destructive`;
 * 3. runs `compensate()` of the later steps in reverse timestamp order; after each, sets its `update`,
 *    `update_destructive` and `message` to NULL in the bookkeeping table, so a later `migrate` runs it again.
 * A failing compensation throws {@link CompensationFailedError}; that step's bookkeeping is left as it was, so the
 * rollback can run again. Steps without `compensate()` keep their schema change and their bookkeeping.
 *
 * ### Examples
 * ```ts
 * const result = await executeRollback(db, source, { to: '1.0.0', by: 'alice' });
 * console.log(result.flags, result.compensated); // flags switched off, steps compensated
 * ```
 */
export async function executeRollback(
  db: Kysely<any>,
  source: MigrationSource,
  options: ExecuteRollbackOptions,
): Promise<RollbackResult> {
  const by = bySchema.safeParse(options.by);
  if (!by.success)
    throw new InvalidConfigError('rollback options', [{ path: 'by', message: by.error.issues[0]!.message }]);
  const logger = options.logger ?? SILENT_LOGGER;
  const table = options.migrationTable ?? DEFAULT_MIGRATION_TABLE;
  return db.connection().execute(async (connection) => {
    const schema = await sql<{ schema: string | null }>`SELECT DATABASE() AS \`schema\``.execute(connection);
    const lockName = lockNameFor(`migrate:${table}`, schema.rows[0]?.schema ?? '');
    return withNamedLock(connection, lockName, options.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS, async () => {
      // Planned under the lock: the bookkeeping cannot change between plan and execution.
      const plan = await planRollback(connection, source, options);
      const onlyDestructive = plan.refusals.length === plan.destructive.length;
      if (plan.verdict === 'refused' && !(options.restore && onlyDestructive)) throw new RollbackRefusedError(plan);
      const reason = `rollback to ${plan.to}`;
      const flags: FlagChange[] = [];
      for (const flag of plan.flags) {
        if ((await getFlag(connection, flag)).state === 'off') continue;
        const change = await setFlag(connection, flag, 'off', { by: by.data, reason, force: true });
        if (change) flags.push(change);
        logger.info({ flag, from: change?.from }, `safemig: flag ${flag} switched off (${reason})`);
      }
      let restored: string | undefined;
      if (plan.destructive.length > 0 && options.restore) {
        logger.info({ snapshot: options.restore.name }, `safemig: restoring table snapshot ${options.restore.name}`);
        await options.restore.run(connection);
        restored = options.restore.name;
        for (const className of plan.destructive) {
          await sql`UPDATE ${id(table)} SET \`update_destructive\` = NULL WHERE \`class\` = ${className}`.execute(
            connection,
          );
        }
      }
      const compensated: string[] = [];
      for (const className of plan.compensations) {
        const migration = source.get(className)!;
        bindStepContext(migration.step, { logger, blueGreen: undefined });
        logger.info({ migration: className }, `safemig: running ${className}.compensate()`);
        try {
          await migration.step.compensate!(connection);
        } catch (cause) {
          const error = new CompensationFailedError(className, cause, compensated);
          logger.error({ migration: className, err: error }, `safemig: ${className}.compensate() failed`);
          throw error;
        }
        await sql`
          UPDATE ${id(table)} SET \`update\` = NULL, \`update_destructive\` = NULL, \`message\` = NULL
          WHERE \`class\` = ${className}`.execute(connection);
        compensated.push(className);
      }
      const kept = plan.steps.filter((step) => step.action === 'keep').map((step) => step.className);
      return { plan, flags, restored, compensated, kept };
    });
  });
}
