import type { Kysely } from 'kysely';
import { z } from 'zod';
import { InvalidConfigError } from '../errors';
import { flagNameSchema } from '../flags/flag-state';
import {
  compareReleases,
  DEFAULT_MIGRATION_TABLE,
  isRelease,
  MigrationStep,
  readMigrationRows,
  type LoadedMigration,
  type MigrationPhase,
  type MigrationSource,
} from '../migration';

/**
 * What a rollback to a release needs:
 * - `compatible`: only expand/adapt/activate steps (and the non-destructive part of contract steps) ran since, so
 *   release N-1 runs on the current schema as it is; compensations are optional cleanup.
 * - `needs-compensation`: a step without a declared phase ran since; its `compensate()` must run before N-1 can be
 *   trusted on the schema.
 * - `refused`: a contract step's destructive part ran since (restore a snapshot), or a step without phase and
 *   without `compensate()` ran.
 */
export type RollbackVerdict = 'compatible' | 'needs-compensation' | 'refused';

/** What a rollback does with one step that ran after the target release. */
export type RollbackAction =
  /** `compensate()` runs, then the step's bookkeeping is cleared. */
  | 'compensate'
  /** The step's schema change stays; N-1 ignores it. Bookkeeping unchanged. */
  | 'keep'
  /** The destructive part ran: only a table snapshot restore undoes it. */
  | 'restore';

export interface RollbackStep {
  readonly className: string;
  readonly timestamp: number;
  readonly phase: MigrationPhase | undefined;
  readonly release: string;
  readonly action: RollbackAction;
  /** Whether the step defines `compensate()`. */
  readonly compensable: boolean;
  /** Whether `updateDestructive()` with real work ran (phase contract or an overridden `updateDestructive`). */
  readonly destructiveRan: boolean;
  /** Whether the last `update()` attempt failed (its error is in `migration.message`). */
  readonly failed: boolean;
}

export interface RollbackPlan {
  /** The release to go back to (N-1). */
  readonly to: string;
  readonly verdict: RollbackVerdict;
  /** Steps of releases after `to` that ran (or failed half-way), in timestamp order. */
  readonly steps: readonly RollbackStep[];
  /** The steps to compensate, in the order they run: reverse timestamp order. */
  readonly compensations: readonly string[];
  /** Contract steps whose destructive part ran after `to`. */
  readonly destructive: readonly string[];
  /** Flags the rollback switches to `off`: declared by steps after `to` (`requires: flagAt(...)`) and configured. */
  readonly flags: readonly string[];
  /** Steps that ran but declare no release: a rollback cannot place them and leaves them alone. */
  readonly unplaced: readonly string[];
  /** Why the plan is refused, one line per reason; empty otherwise. */
  readonly refusals: readonly string[];
}

export interface PlanRollbackOptions {
  /** The release to go back to, e.g. `1.0.0`. */
  readonly to: string;
  /** Further flags to switch off (the config's `rollback.flags`). */
  readonly flags?: readonly string[];
  /** Bookkeeping table; Shopware's `migration` by default. */
  readonly migrationTable?: string;
}

const optionsSchema = z.object({
  to: z.string().refine(isRelease, 'must be a semver release such as 1.0.0'),
  flags: z.array(flagNameSchema).optional(),
  migrationTable: z.string().optional(),
});

/**
 * Plans a rollback to release `to` from the bookkeeping table and the steps' metadata: which steps of later
 * releases ran, which of them have `compensate()`, whether a contract step's destructive part ran (then the plan is
 * refused), and which flags to switch off. Reads only.
 *
 * ### Examples
 * ```ts
 * const plan = await planRollback(db, source, { to: '1.0.0' });
 * if (plan.verdict === 'compatible') console.log('release 1.0.0 runs on the current schema');
 * ```
 */
export async function planRollback(
  db: Kysely<any>,
  source: MigrationSource,
  options: PlanRollbackOptions,
): Promise<RollbackPlan> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw InvalidConfigError.fromZod('rollback options', parsed.error);
  }
  const { to } = parsed.data;
  const rows = await readMigrationRows(db, parsed.data.migrationTable ?? DEFAULT_MIGRATION_TABLE);
  const later = (migration: LoadedMigration) => {
    const release = migration.step.getMetadata().release;
    return release !== undefined && isRelease(release) && compareReleases(release, to) > 0;
  };
  const steps: RollbackStep[] = [];
  const unplaced: string[] = [];
  for (const migration of source.migrations) {
    const row = rows.get(migration.className);
    const ran = row !== undefined && (row.update !== null || row.message !== null);
    if (!ran) continue;
    const metadata = migration.step.getMetadata();
    if (metadata.release === undefined || !isRelease(metadata.release)) {
      if (row.update !== null) unplaced.push(migration.className);
      continue;
    }
    if (!later(migration)) continue;
    const hasDestructiveWork =
      metadata.phase === 'contract' || migration.step.updateDestructive !== MigrationStep.prototype.updateDestructive;
    const destructiveRan = hasDestructiveWork && row.updateDestructive !== null;
    const compensable = typeof migration.step.compensate === 'function';
    steps.push({
      className: migration.className,
      timestamp: migration.timestamp,
      phase: metadata.phase,
      release: metadata.release,
      action: destructiveRan ? 'restore' : compensable ? 'compensate' : 'keep',
      compensable,
      destructiveRan,
      failed: row.update === null,
    });
  }
  const destructive = steps.filter((step) => step.destructiveRan).map((step) => step.className);
  const refusals = [
    ...steps
      .filter((step) => step.destructiveRan)
      .map(
        (step) =>
          `${step.className} (${step.phase ?? 'no phase'}, release ${step.release}) ran its destructive part (updateDestructive); what it dropped cannot be compensated.`,
      ),
    ...steps
      .filter((step) => !step.destructiveRan && step.phase === undefined && !step.compensable)
      .map(
        (step) =>
          `${step.className} (release ${step.release}) declares no phase and has no compensate(), so it cannot be shown that release ${to} runs on its schema.`,
      ),
  ];
  const needsCompensation = steps.some((step) => !step.destructiveRan && step.phase === undefined && step.compensable);
  const flags = new Set<string>();
  for (const migration of source.migrations.filter(later)) {
    for (const prerequisite of migration.step.getMetadata().requires ?? []) {
      const match = prerequisite.kind === 'flag' ? /^flag:([^=]+)=/.exec(prerequisite.id) : null;
      if (match) flags.add(match[1]!);
    }
  }
  for (const flag of parsed.data.flags ?? []) flags.add(flag);
  return {
    to,
    verdict: refusals.length > 0 ? 'refused' : needsCompensation ? 'needs-compensation' : 'compatible',
    steps,
    compensations: steps
      .filter((step) => step.compensable && !step.destructiveRan)
      .sort((a, b) => b.timestamp - a.timestamp)
      .map((step) => step.className),
    destructive,
    flags: [...flags].sort(),
    unplaced,
    refusals,
  };
}
