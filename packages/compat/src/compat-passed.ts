import type { Prerequisite } from '@safemig/core';
import { lastRun } from './plan/run-store';

/**
 * A Migrator prerequisite: the last (non-dry) `safemig compat` run of the plan passed, i.e. it left no error
 * finding and no changed view. Put it in the `requires` of the step that tightens the schema.
 *
 * ### Examples
 * ```ts
 * getMetadata() {
 *   return { phase: 'contract', requires: [compatPassed('Migration1700000300Contract')] };
 * }
 * ```
 */
export function compatPassed(plan: string): Prerequisite {
  return {
    id: `compat:${plan}`,
    kind: 'compat',
    describe: () => `the last compat run of plan ${plan} passed`,
    async check(db) {
      const run = await lastRun(db, plan);
      if (!run) {
        return {
          met: false,
          detail: `plan ${plan} was never checked`,
          hint: 'Run `safemig compat` (with --fix if the plan has fixes), then run again.',
        };
      }
      const detail = `the last run of ${plan} (${run.runId}, ${run.mode}, ${run.finishedAt.toISOString()}) left ${run.errorFindings} error finding(s)${run.passed ? '' : ' or a changed view'}`;
      return run.passed
        ? { met: true, detail }
        : {
            met: false,
            detail,
            hint: 'Run `safemig compat --fix` (or fix the data by hand) until the report passes, then run again.',
          };
    },
  };
}
