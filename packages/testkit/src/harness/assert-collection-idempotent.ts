import { MigrationSource, type MigrationStep, type MigrationStepClass } from '@safemig/core';
import type { AssertIdempotentOptions, IdempotencyReport } from './harness-options';
import { IdempotencyCheck } from './idempotency-check';
import { prepare, stepName, StepRunner } from './step-runner';
import { validatePhases, validateRuns } from './assert-idempotent';

const ALL_PHASES = ['update', 'updateDestructive'] as const;

/** Options of {@link assertCollectionIdempotent}: as for one step, `phases` and `runs` apply to the whole chain. */
export type AssertCollectionIdempotentOptions = AssertIdempotentOptions;

/**
 * Proves that a whole collection is idempotent as a chain, the way a deployment repeats it: every `update()` in
 * order, every `update()` again, then every `updateDestructive()`, and again. After the first pass, a snapshot is
 * taken after every step of the repeat passes, so the first step that changes anything is the one named.
 *
 * ### Examples
 * ```ts
 * await assertCollectionIdempotent(MigrationSource.fromDirectory(join(__dirname, '../migrations')), { db, seed });
 * ```
 */
export async function assertCollectionIdempotent(
  source: MigrationSource | readonly MigrationStepClass[],
  options: AssertCollectionIdempotentOptions,
): Promise<IdempotencyReport> {
  const started = performance.now();
  const steps = stepsOf(source);
  const runs = validateRuns(options.runs);
  const phases = validatePhases(options.phases) ?? ALL_PHASES;
  const runner = new StepRunner(options);
  const check = new IdempotencyCheck(options.db, options.ignore);
  await prepare(options);
  for (const mode of phases) {
    const fail = (run: number) => (step: MigrationStep, error: unknown) => check.failed(step, mode, run, error);
    await runner.run(steps, mode, fail(1));
    const baseline = await check.snapshot();
    for (let run = 2; run <= runs; run++) {
      for (const step of steps) {
        await runner.run([step], mode, fail(run));
        check.compare(step, mode, run, baseline, await check.snapshot());
      }
    }
  }
  return {
    steps: steps.map(stepName),
    runs,
    phases,
    stepMs: runner.stepMs,
    snapshotMs: check.snapshotMs,
    totalMs: performance.now() - started,
  };
}

function stepsOf(source: MigrationSource | readonly MigrationStepClass[]): MigrationStep[] {
  const loaded = source instanceof MigrationSource ? source : MigrationSource.fromClasses(source);
  return loaded.migrations.map((migration) => migration.step);
}
