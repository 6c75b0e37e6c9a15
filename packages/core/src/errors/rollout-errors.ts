import type { RolloutIssue } from '../migration/rollout-order';
import type { MigrationMode } from './migration-errors';
import { ERROR_CODES, SafemigError } from './safemig-error';

/**
 * A step's technical prerequisite (`requires`) is not met, so the Migrator did not run it. Nothing was stored as
 * executed; run again once the prerequisite holds.
 */
export class PrerequisiteError extends SafemigError {
  readonly migration: string;
  readonly mode: MigrationMode;
  /** The prerequisite's stable id, e.g. `flag:external_order_status=new`. */
  readonly prerequisite: string;
  readonly detail: string;
  constructor(
    migration: string,
    mode: MigrationMode,
    prerequisite: { readonly id: string; readonly description: string },
    detail: string,
    hint: string | undefined,
  ) {
    super(
      ERROR_CODES.PREREQUISITE_UNMET,
      `Migration ${migration} was not run (${mode}): its prerequisite "${prerequisite.description}" [${prerequisite.id}] is not met: ${detail}`,
      {
        hint:
          hint ??
          'Make the prerequisite hold (finish the backfill, switch the flag, pass the compat check, upgrade the server) and run again; nothing was marked as executed.',
      },
    );
    this.migration = migration;
    this.mode = mode;
    this.prerequisite = prerequisite.id;
    this.detail = detail;
  }
}

/** A step's `dependsOn` names a migration whose `update()` has not run yet (per the bookkeeping table). */
export class DependencyNotExecutedError extends SafemigError {
  readonly migration: string;
  readonly dependency: string;
  constructor(migration: string, mode: MigrationMode, dependency: string) {
    super(
      ERROR_CODES.DEPENDENCY_NOT_EXECUTED,
      `Migration ${migration} was not run (${mode}): it depends on ${dependency}, whose update() has not run.`,
      {
        hint: `Run the migrations of ${dependency} first (for another plugin: install or update that plugin), then run again.`,
      },
    );
    this.migration = migration;
    this.dependency = dependency;
  }
}

/**
 * The declared rollout breaks an ordering rule: a dependency cycle, a dependency on a later step, a contract step in
 * the same release as the expand step it cleans up, an activate step before its adapt step, invalid metadata.
 * `issues` lists every violation with its rule.
 */
export class RolloutOrderError extends SafemigError {
  readonly issues: readonly RolloutIssue[];
  constructor(issues: readonly RolloutIssue[]) {
    const lines = issues.map((issue) => `  - [${issue.rule}] ${issue.step}: ${issue.message}\n    ${issue.hint}`);
    super(
      ERROR_CODES.ROLLOUT_ORDER,
      `The rollout order is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      { hint: 'Fix the metadata (getMetadata()) of the steps named above; nothing was run.' },
    );
    this.issues = issues;
  }
}

/** A flag change that skips a state (`off` <-> `new`) without `force`. */
export class FlagTransitionError extends SafemigError {
  readonly flag: string;
  constructor(flag: string, from: string, to: string) {
    super(
      ERROR_CODES.FLAG_TRANSITION,
      `Flag ${flag} cannot go from ${from} to ${to} directly: while old and new instances run side by side, the dual state keeps both models written.`,
      { hint: `Set ${flag} to dual first and let every instance pick it up; pass force only in an emergency.` },
    );
    this.flag = flag;
  }
}

/** The plan file cannot be read or is not a safemig plan file. */
export class PlanFileError extends SafemigError {
  readonly file: string;
  constructor(file: string, reason: string, cause?: unknown) {
    super(ERROR_CODES.PLAN_FILE, `Plan file ${file}: ${reason}`, {
      cause,
      hint: 'Regenerate it with `safemig plan --write --reviewer <name>` and commit it after review.',
    });
    this.file = file;
  }
}

/** The linter could not create or use its scratch schema. */
export class LintScratchSchemaError extends SafemigError {
  constructor(reason: string, cause?: unknown) {
    super(ERROR_CODES.LINT_SCRATCH_SCHEMA, `The linter cannot use a scratch schema: ${reason}`, {
      cause,
      hint: 'Pass a database created by createDatabase()/connectDatabase() whose user may CREATE and DROP DATABASE.',
    });
  }
}

/** `safemig plan --check`: the code's plan differs from the committed plan file, or the review is missing. */
export class PlanOutOfDateError extends SafemigError {
  readonly file: string;
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(
      ERROR_CODES.PLAN_OUT_OF_DATE,
      `The rollout plan ${file} is out of date:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
      {
        hint: 'Review the change, then run `safemig plan --write --reviewer <name>` and commit the plan file with the migrations.',
      },
    );
    this.file = file;
    this.problems = problems;
  }
}

/** `safemig lint`: at least one finding of severity error that no suppression covers. */
export class LintFailedError extends SafemigError {
  readonly errors: number;
  constructor(errors: number) {
    super(ERROR_CODES.LINT_FAILED, `safemig lint found ${errors} error${errors === 1 ? '' : 's'}.`, {
      hint: 'Apply the safe alternative shown with each finding, or suppress the rule for that step with a reason (lintSuppressions).',
    });
    this.errors = errors;
  }
}
