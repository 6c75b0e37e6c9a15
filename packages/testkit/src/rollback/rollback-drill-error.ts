import { SafemigError } from '@safemig/core';
import type { SnapshotChange } from '../snapshot/snapshot-diff';

/** Stable code of a failed rollback drill. */
export const ROLLBACK_DRILL_FAILED = 'SAFEMIG_ROLLBACK_DRILL_FAILED';

/** Where the drill stopped. */
export type RollbackDrillStage = 'deploy' | 'smoke' | 'rollback' | 'compare';

/**
 * The rollback drill failed: deploying release N threw, a query of release N-1 failed on N's schema, the rollback
 * threw, or the database after the rollback differs from before the deploy (beyond what `keep` allows). The message
 * names the stage and every broken query or difference.
 */
export class RollbackDrillError extends SafemigError {
  readonly stage: RollbackDrillStage;
  /** For `compare`: the differences `keep` does not allow. */
  readonly changes: readonly SnapshotChange[];
  constructor(
    stage: RollbackDrillStage,
    problems: readonly string[],
    changes: readonly SnapshotChange[] = [],
    cause?: unknown,
  ) {
    const what = {
      deploy: 'deploying release N failed',
      smoke: 'release N-1 does not run on release N (its smoke queries fail)',
      rollback: 'the rollback failed',
      compare: 'the database after the rollback differs from before the deploy',
    }[stage];
    super(ROLLBACK_DRILL_FAILED, `Rollback drill: ${what}:\n${problems.map((line) => `  ${line}`).join('\n')}`, {
      cause,
      hint: {
        deploy: 'Fix the deploy (migrate, backfill, flags) first; the drill needs release N to deploy cleanly.',
        smoke:
          'An expand release must keep N-1 working: add columns NULLable or with a default, drop nothing before the contract release.',
        rollback:
          'Fix the compensations (compensate() must be idempotent) or the rollback steps, and run the drill again.',
        compare:
          'Give the expand steps a compensate() that drops what update() added, switch the flags off in the rollback, or, for data written under N that the runbook keeps, name it in `keep`.',
      }[stage],
    });
    this.stage = stage;
    this.changes = changes;
  }
}
