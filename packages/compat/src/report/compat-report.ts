import type { FixResult } from '../fixes/apply-fix';
import type { Finding } from '../finding';
import type { ViewComparison } from '../view/view-snapshot';

/** What one check of a plan found, fixed and left. */
export interface CheckReport {
  readonly id: string;
  readonly type: string;
  readonly table: string;
  /** Findings before any fix. */
  readonly findings: readonly Finding[];
  /** The fix that ran (or would run, in a dry run). */
  readonly fix?: FixResult;
  /** Findings of the re-check after a fix; equal to `findings` when nothing was fixed. */
  readonly remaining: readonly Finding[];
}

export interface ViewReport {
  readonly name: string;
  readonly action: 'snapshot' | 'compare';
  readonly rowCount: number;
  readonly comparison?: ViewComparison;
}

/**
 * The compatibility report of one plan run, as JSON (`JSON.stringify(report)`) or markdown
 * ({@link renderMarkdownReport}) to attach to a change request.
 */
export interface CompatReport {
  readonly plan: string;
  readonly runId: string;
  readonly mode: 'check' | 'fix' | 'dry-run';
  readonly server: string;
  readonly schema: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly checks: readonly CheckReport[];
  readonly views: readonly ViewReport[];
  readonly summary: {
    /** Error-severity findings with a count above zero that remain. */
    readonly errorFindings: number;
    readonly warningFindings: number;
    readonly rowsFixed: number;
  };
  /** No error finding remains and no view changed. */
  readonly passed: boolean;
}
