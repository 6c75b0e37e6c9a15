import { SafemigError } from '@safemig/core';

/** Stable codes of the errors @safemig/compat throws. Scripts branch on `error.code`, never on the message. */
export const COMPAT_ERROR_CODES = {
  UNKNOWN_COLLATION: 'SAFEMIG_COMPAT_UNKNOWN_COLLATION',
  MISSING_TABLE: 'SAFEMIG_COMPAT_MISSING_TABLE',
  INVALID_VIEW_QUERY: 'SAFEMIG_COMPAT_INVALID_VIEW_QUERY',
  VIEW_NOT_SNAPSHOTTED: 'SAFEMIG_COMPAT_VIEW_NOT_SNAPSHOTTED',
  FIX_NOT_APPLICABLE: 'SAFEMIG_COMPAT_FIX_NOT_APPLICABLE',
  FIX_FAILED: 'SAFEMIG_COMPAT_FIX_FAILED',
  UNKNOWN_PLAN: 'SAFEMIG_COMPAT_UNKNOWN_PLAN',
  CHECK_FAILED: 'SAFEMIG_COMPAT_CHECK_FAILED',
} as const;

/** The target collation of a unique check does not exist on this server. */
export class UnknownCollationError extends SafemigError {
  readonly collation: string;
  constructor(check: string, collation: string, available: readonly string[]) {
    super(
      COMPAT_ERROR_CODES.UNKNOWN_COLLATION,
      `Check ${check}: the target collation ${collation} does not exist on this server (information_schema.COLLATIONS).`,
      {
        hint:
          available.length > 0
            ? `Use a collation this server has, e.g. ${available.join(', ')}; MariaDB 10.11 has no utf8mb4_0900_* collations (its NO PAD equivalent is utf8mb4_unicode_nopad_ci).`
            : 'Name a collation from information_schema.COLLATIONS.',
      },
    );
    this.collation = collation;
  }
}

/** A check or fix names a table or column that does not exist in the current schema, or a table without primary key. */
export class CompatSchemaError extends SafemigError {
  readonly table: string;
  readonly column: string | undefined;
  constructor(check: string, table: string, column: string | undefined, reason: string) {
    super(
      COMPAT_ERROR_CODES.MISSING_TABLE,
      `Check ${check}: ${column ? `column ${table}.${column}` : `table ${table}`} ${reason}.`,
      { hint: 'Fix the check plan (table and column names of the current schema) or run the expand migrations first.' },
    );
    this.table = table;
    this.column = column;
  }
}

/** The query of an application view is not a single SELECT statement. */
export class InvalidViewQueryError extends SafemigError {
  readonly view: string;
  constructor(view: string, reason: string) {
    super(COMPAT_ERROR_CODES.INVALID_VIEW_QUERY, `View ${view}: the query ${reason}.`, {
      hint: 'Write one SELECT (or WITH ... SELECT) without a semicolon or comments; values belong in the query text only as literals you wrote.',
    });
    this.view = view;
  }
}

/** compareView() found no snapshot of this view. */
export class ViewNotSnapshottedError extends SafemigError {
  readonly view: string;
  constructor(view: string) {
    super(COMPAT_ERROR_CODES.VIEW_NOT_SNAPSHOTTED, `View ${view} has no snapshot in safemig_compat_view.`, {
      hint: 'Call snapshotView() (or run `safemig compat` with the view in the plan) before the migration, then compare after it.',
    });
    this.view = view;
  }
}

/** A fix strategy does not fit the check it is attached to (e.g. `truncate` on a nullability check). */
export class FixNotApplicableError extends SafemigError {
  readonly check: string;
  constructor(check: string, strategy: string, reason: string) {
    super(COMPAT_ERROR_CODES.FIX_NOT_APPLICABLE, `Check ${check}: fix ${strategy} cannot be applied: ${reason}.`, {
      hint: 'Pick a strategy listed for this check in docs/compat.md.',
    });
    this.check = check;
  }
}

/** A fix stopped before it was complete. Its audited rows stay undoable with `undoFix(db, runId)`. */
export class FixFailedError extends SafemigError {
  readonly check: string;
  readonly runId: string;
  constructor(check: string, runId: string, reason: string, cause?: unknown) {
    super(COMPAT_ERROR_CODES.FIX_FAILED, `Check ${check}: the fix of run ${runId} did not complete: ${reason}`, {
      cause,
      hint: `Run the fix again with the same run id to resume, or undo what was written with \`undoFix(db, '${runId}')\`.`,
    });
    this.check = check;
    this.runId = runId;
  }
}

/** `compatPassed(plan)` or the CLI names a plan that the configuration does not declare. */
export class UnknownCompatPlanError extends SafemigError {
  readonly plan: string;
  constructor(plan: string, known: readonly string[]) {
    super(COMPAT_ERROR_CODES.UNKNOWN_PLAN, `No compat plan named ${plan}.`, {
      hint:
        known.length > 0
          ? `Declared plans: ${known.join(', ')}.`
          : 'Declare plans in the `compat` section of safemig.config.',
    });
    this.plan = plan;
  }
}

/** `safemig compat` finished with error findings left (or a changed view); the report says which. */
export class CompatCheckFailedError extends SafemigError {
  readonly plans: readonly string[];
  constructor(plans: readonly string[], errorFindings: number) {
    super(
      COMPAT_ERROR_CODES.CHECK_FAILED,
      `Compat plan(s) ${plans.join(', ')} failed: ${errorFindings} error finding(s) remain or a view changed.`,
      {
        hint: 'Read the report, then run `safemig compat --fix --dry-run` to preview the configured fixes and `safemig compat --fix` to apply them.',
      },
    );
    this.plans = plans;
  }
}
