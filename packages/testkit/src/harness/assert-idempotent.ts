import { MigrationStep, SafemigError, ERROR_CODES, type MigrationMode } from '@safemig/core';
import type { AssertIdempotentOptions, IdempotencyReport, StepUnderTest } from './harness-options';
import { IdempotencyCheck } from './idempotency-check';
import { prepare, stepInstance, stepName, StepRunner } from './step-runner';

/** Runs per phase when none are given: once to do the work, once to prove the repeat changes nothing. */
export const DEFAULT_IDEMPOTENCY_RUNS = 2;

/**
 * Proves that a step is idempotent, on a real database: applies `history` the way the Migrator would, runs `seed`,
 * then runs `update()` `runs` times with a schema and data snapshot after each, then `updateDestructive()` the same
 * way. The step itself runs outside the Migrator, so the bookkeeping table does not change between runs.
 *
 * Fails with an {@link IdempotencyError} when a run throws, or when the snapshot after run k differs from the one
 * after run 1; the message names the step, the phase, the run and every difference, with what to do about it.
 *
 * ### Examples
 * ```ts
 * await assertIdempotent(Migration1700000100AddStatus, {
 *   db,
 *   history: [Migration1700000000CreateExternalOrder],
 *   seed: (db) => sql`INSERT INTO external_order (id, legacy_status) VALUES (UNHEX('01'), 'paid')`.execute(db),
 * });
 * ```
 */
export async function assertIdempotent(
  step: StepUnderTest,
  options: AssertIdempotentOptions,
): Promise<IdempotencyReport> {
  const started = performance.now();
  const instance = stepInstance(step);
  const runs = validateRuns(options.runs);
  const phases = validatePhases(options.phases) ?? defaultPhases(instance);
  const runner = new StepRunner(options);
  const check = new IdempotencyCheck(options.db, options.ignore);
  await prepare(options);
  for (const mode of phases) {
    let baseline;
    for (let run = 1; run <= runs; run++) {
      await runner.run([instance], mode, (failed, error) => check.failed(failed, mode, run, error));
      const snapshot = await check.snapshot();
      if (baseline === undefined) baseline = snapshot;
      else check.compare(instance, mode, run, baseline, snapshot);
    }
  }
  return {
    steps: [stepName(instance)],
    runs,
    phases,
    stepMs: runner.stepMs,
    snapshotMs: check.snapshotMs,
    totalMs: performance.now() - started,
  };
}

/** Checks the `runs` option: a single run proves nothing about a repeat. */
export function validateRuns(runs: number | undefined): number {
  const value = runs ?? DEFAULT_IDEMPOTENCY_RUNS;
  if (!Number.isInteger(value) || value < 2 || value > 100) {
    throw new SafemigError(ERROR_CODES.INVALID_CONFIG, `Invalid runs ${String(runs)}: use an integer from 2 to 100.`, {
      hint: 'Idempotency means the second run changes nothing, so every phase runs at least twice.',
    });
  }
  return value;
}

/** Checks the `phases` option: each of `update`/`updateDestructive` at most once, in that order, at least one. */
export function validatePhases(phases: readonly MigrationMode[] | undefined): readonly MigrationMode[] | undefined {
  if (phases === undefined) return undefined;
  const valid =
    phases.length > 0 &&
    phases.every((phase) => phase === 'update' || phase === 'updateDestructive') &&
    new Set(phases).size === phases.length &&
    (phases.length === 1 || phases[0] === 'update');
  if (!valid) {
    throw new SafemigError(ERROR_CODES.INVALID_CONFIG, `Invalid phases ${JSON.stringify(phases)}.`, {
      hint: "Use ['update'], ['updateDestructive'] or ['update', 'updateDestructive'] (the default).",
    });
  }
  return phases;
}

function defaultPhases(step: MigrationStep): MigrationMode[] {
  // The base class's updateDestructive() does nothing; running it proves nothing and costs two snapshots.
  return step.updateDestructive === MigrationStep.prototype.updateDestructive
    ? ['update']
    : ['update', 'updateDestructive'];
}
