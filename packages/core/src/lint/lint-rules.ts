/** A rule's code, as used in findings, suppressions and docs/lint.md. */
export type LintRuleCode =
  | 'SM000'
  | 'SM001'
  | 'SM002'
  | 'SM003'
  | 'SM004'
  | 'SM005'
  | 'SM006'
  | 'SM007'
  | 'SM008'
  | 'SM009'
  | 'SM010'
  | 'SM011'
  | 'SM012'
  | 'SM013'
  | 'SM014';

export type LintSeverity = 'error' | 'warning';

/** One rule of the linter: why a statement is unsafe and what to do instead. */
export interface LintRule {
  readonly code: LintRuleCode;
  readonly name: string;
  readonly severity: LintSeverity;
  /** Why the flagged statement is unsafe during a zero-downtime rollout. */
  readonly reason: string;
  /** The safe way to get the same result. */
  readonly alternative: string;
}

/**
 * Every rule of the linter, by code. docs/lint.md lists the same rules; codes are stable and never reused.
 *
 * ### Examples
 * ```ts
 * console.log(LINT_RULES.SM003.alternative);
 * ```
 */
export const LINT_RULES: Readonly<Record<LintRuleCode, LintRule>> = Object.freeze({
  SM000: {
    code: 'SM000',
    name: 'unparseable-statement',
    severity: 'error',
    reason: 'The statement could not be parsed (MySQL and MariaDB grammars), so no rule could check it.',
    alternative:
      'Rewrite it in plain MySQL syntax, or review it by hand and suppress SM000 for the step with the reason.',
  },
  SM001: {
    code: 'SM001',
    name: 'drop-in-update',
    severity: 'error',
    reason:
      'update() runs while release N-1 still runs; dropping a table, column, index or key (or truncating) breaks it.',
    alternative: 'Move the drop to updateDestructive() of a contract step shipped in a later release.',
  },
  SM002: {
    code: 'SM002',
    name: 'rename-in-update',
    severity: 'error',
    reason: 'Renaming a table or column in update() breaks release N-1, which still uses the old name.',
    alternative:
      'Add the new column/table (expand), write both (activate, behind a flag), backfill, and drop the old one in a later contract step.',
  },
  SM003: {
    code: 'SM003',
    name: 'add-not-null-without-default',
    severity: 'error',
    reason:
      'ADD COLUMN ... NOT NULL without DEFAULT fails on strict servers when rows exist and breaks inserts of release N-1, which does not know the column.',
    alternative:
      'Add the column NULLable (or NOT NULL with a safe DEFAULT), backfill it, and tighten to NOT NULL in a later contract step.',
  },
  SM004: {
    code: 'SM004',
    name: 'set-not-null-without-compat-check',
    severity: 'error',
    reason:
      'Tightening a NULLable column to NOT NULL fails (or silently converts NULLs) when any row still holds NULL.',
    alternative:
      'Require a passed compat nullability check (compatPassed(...) from @safemig/compat) in the contract step that tightens the column.',
  },
  SM005: {
    code: 'SM005',
    name: 'unique-without-compat-check',
    severity: 'error',
    reason:
      'A new UNIQUE (or PRIMARY) key on an existing table fails on duplicates under the target collation, half-way through a deploy.',
    alternative:
      'Require a passed compat collision check (compatPassed(...) from @safemig/compat) in the step that adds the unique key.',
  },
  SM006: {
    code: 'SM006',
    name: 'column-type-change',
    severity: 'error',
    reason:
      'Changing or narrowing a column type rewrites the table (ALGORITHM=COPY, writes blocked), can truncate data, and breaks release N-1 reading the old type.',
    alternative:
      'Add a new column of the new type (expand), dual-write and backfill it, switch reads behind a flag, and drop the old column in a later contract step.',
  },
  SM007: {
    code: 'SM007',
    name: 'enum-reorder-or-removal',
    severity: 'error',
    reason:
      'Reordering or removing ENUM values rewrites the table and changes or invalidates stored values; only appending at the end is instant.',
    alternative:
      'Append new values at the end; to remove a value, migrate the rows away first and remove it in a later contract step after a compat check.',
  },
  SM008: {
    code: 'SM008',
    name: 'copying-alter',
    severity: 'error',
    reason: 'ALGORITHM=COPY (or LOCK=SHARED/EXCLUSIVE) blocks writes to the table for the whole rebuild.',
    alternative: 'Use an online change (ALGORITHM=INSTANT or INPLACE with LOCK=NONE) or an expand/contract sequence.',
  },
  SM009: {
    code: 'SM009',
    name: 'large-table-rebuild',
    severity: 'error',
    reason: 'The change copies or locks a table that holds many rows in the target database.',
    alternative:
      'Split it into online steps (new column + backfill), or run it with an online schema change tool in a maintenance window.',
  },
  SM010: {
    code: 'SM010',
    name: 'foreign-key-without-index',
    severity: 'error',
    reason:
      'A foreign key whose columns are not the leftmost columns of an index makes InnoDB build an implicit index while the table is locked, and leaves the key unnamed for later migrations.',
    alternative: 'Add an index on the referencing columns first (its own expand step), then the foreign key.',
  },
  SM011: {
    code: 'SM011',
    name: 'unbatched-whole-table-dml',
    severity: 'error',
    reason:
      'An UPDATE or DELETE without a key range or LIMIT touches the whole table in one transaction: it locks every row and floods replication.',
    alternative: 'Use a backfill (@safemig/backfill) that works in keyset batches with checkpoints.',
  },
  SM012: {
    code: 'SM012',
    name: 'create-without-guard',
    severity: 'error',
    reason:
      'A CREATE (or ALTER ... ADD) without an existence check fails when the step runs again after a partial failure.',
    alternative:
      'Use CREATE TABLE IF NOT EXISTS or the helpers (addColumn, addIndex, createTrigger), which check information_schema first.',
  },
  SM013: {
    code: 'SM013',
    name: 'destructive-outside-contract',
    severity: 'error',
    reason: 'Destructive work belongs only to contract steps; this step declares another phase.',
    alternative: 'Move the destructive work into a contract step (phase: contract) of a later release.',
  },
  SM014: {
    code: 'SM014',
    name: 'step-failed-on-scratch-schema',
    severity: 'error',
    reason:
      'The step threw on a scratch schema with the earlier steps applied, so its SQL could not be checked completely.',
    alternative: 'Make the step run on an empty schema with only the earlier steps applied (and run twice).',
  },
});

/** The rules in code order. */
export function listLintRules(): LintRule[] {
  return Object.values(LINT_RULES);
}
