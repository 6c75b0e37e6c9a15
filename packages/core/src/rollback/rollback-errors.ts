import { SafemigError } from '../errors';
import type { RollbackPlan } from './rollback-plan';

/** Stable codes of the rollback errors; branch on these, never on message text. */
export const ROLLBACK_ERROR_CODES = {
  REFUSED: 'SAFEMIG_ROLLBACK_REFUSED',
  COMPENSATION_FAILED: 'SAFEMIG_COMPENSATION_FAILED',
} as const;

/**
 * `rollback --to <release>` cannot bring the schema back: a contract step's destructive part ran after that release
 * (the dropped data is gone; only a snapshot restore brings it back), or a step without a declared phase and without
 * `compensate()` ran. Nothing was changed.
 */
export class RollbackRefusedError extends SafemigError {
  readonly plan: RollbackPlan;
  constructor(plan: RollbackPlan, hint?: string) {
    super(
      ROLLBACK_ERROR_CODES.REFUSED,
      `Rollback to ${plan.to} refused; nothing was changed:\n${plan.refusals.map((line) => `  - ${line}`).join('\n')}`,
      {
        hint:
          hint ??
          (plan.destructive.length > 0
            ? `Restore the affected tables from a table snapshot taken before ${plan.destructive.join(', ')} ran: \`safemig snapshot list\`, then \`safemig rollback --to ${plan.to} --snapshot <name> --by <you>\`. Without a snapshot, restore a whole-database backup (docs/rollback-runbook.md).`
            : 'Declare the phase of the steps named above (getMetadata()) or give them a compensate() method, then run again.'),
      },
    );
    this.plan = plan;
  }
}

/**
 * A step's `compensate()` threw. Steps compensated before it stay rolled back; its own bookkeeping is unchanged, so
 * after fixing the cause `rollback --to` can run again (compensations are idempotent).
 */
export class CompensationFailedError extends SafemigError {
  readonly migration: string;
  /** Steps compensated (and cleared in the bookkeeping) before the failure, in the order they ran. */
  readonly compensated: readonly string[];
  constructor(migration: string, cause: unknown, compensated: readonly string[]) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(ROLLBACK_ERROR_CODES.COMPENSATION_FAILED, `Migration ${migration} failed in compensate(): ${reason}`, {
      cause,
      hint: `${compensated.length > 0 ? `Already compensated: ${compensated.join(', ')}. ` : ''}The bookkeeping of ${migration} is unchanged. Fix the cause and run the rollback again; compensate() must be idempotent.`,
    });
    this.migration = migration;
    this.compensated = compensated;
  }
}
