import type { Prerequisite } from '@safemig/core';
import { aggregateStatus } from './backfill-runner';
import { CheckpointStore } from './checkpoint-store';

export interface BackfillCompletedOptions {
  /** Also require that at most this share of processed rows failed (0 to 1). */
  readonly maxErrorRate?: number;
}

/**
 * A Migrator prerequisite: the backfill `name` completed every range (its checkpoint rows in `safemig_backfill` are
 * all `completed`), optionally with an error rate at most `maxErrorRate`. Put it in the `requires` of the step that
 * activates writes to the new columns or tightens them.
 *
 * ### Examples
 * ```ts
 * getMetadata() {
 *   return stepMetadata({ phase: 'activate', release: '1.2.0', requires: [backfillCompleted('external_order.normalized')] });
 * }
 * ```
 */
export function backfillCompleted(name: string, options: BackfillCompletedOptions = {}): Prerequisite {
  const { maxErrorRate } = options;
  const limit = maxErrorRate === undefined ? '' : ` with at most ${(maxErrorRate * 100).toFixed(2)}% failed rows`;
  return {
    id: `backfill:${name}`,
    kind: 'backfill',
    describe: () => `backfill ${name} completed${limit}`,
    async check(db) {
      const rows = await new CheckpointStore(db).read(name);
      if (rows.length === 0) {
        return { met: false, detail: `backfill ${name} never ran`, hint: `Run \`safemig backfill run ${name}\`.` };
      }
      const status = aggregateStatus(rows);
      const processed = rows.reduce((sum, row) => sum + row.processed, 0);
      const failed = rows.reduce((sum, row) => sum + row.failed, 0);
      const detail = `backfill ${name} is ${status}: ${processed} processed, ${failed} failed`;
      if (status !== 'completed') {
        return { met: false, detail, hint: `Run \`safemig backfill resume ${name}\` until it completes.` };
      }
      if (maxErrorRate !== undefined && processed > 0 && failed / processed > maxErrorRate) {
        return {
          met: false,
          detail: `${detail} (${((failed / processed) * 100).toFixed(2)}%, more than allowed)`,
          hint: `Fix the rows in safemig_backfill_error (or the transform) and run \`safemig backfill retry-errors ${name}\`.`,
        };
      }
      return { met: true, detail };
    },
  };
}
