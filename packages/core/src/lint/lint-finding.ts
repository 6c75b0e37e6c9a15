import type { MigrationMode } from '../errors';
import type { LintRuleCode, LintSeverity } from './lint-rules';

/** One problem the linter found in one statement (or step). */
export interface LintFinding {
  readonly code: LintRuleCode;
  readonly severity: LintSeverity;
  /** Bare class name of the step. */
  readonly step: string;
  /** Bookkeeping key of the step. */
  readonly className: string;
  /** Which part of the step issued the statement. */
  readonly phase: MigrationMode;
  readonly table: string | undefined;
  /** The statement with its parameters inlined, whitespace collapsed. */
  readonly statement: string | undefined;
  /** What is wrong with this statement. */
  readonly message: string;
  /** The safe alternative. */
  readonly alternative: string;
  /** Set when the step suppresses this rule; suppressed findings never fail a run. */
  readonly suppressed?: { readonly reason: string };
}
