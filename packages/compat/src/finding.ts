/** How bad a finding is: `error` blocks the migration (and fails `safemig compat`), `warning` and `info` do not. */
export type Severity = 'error' | 'warning' | 'info';

/** One offending row: its primary key and the value the check looked at. */
export interface FindingSample {
  readonly key: Readonly<Record<string, unknown>>;
  readonly value: unknown;
}

/** A group of rows that collide under a planned unique index, with every key in it. */
export interface CollisionGroup {
  /** The colliding value(s) of the first row of the group, as stored. */
  readonly values: readonly unknown[];
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

/** Rows of a legacy-format bucket (one format variant, or unrecognized / invalid JSON). */
export interface FormatBucket {
  readonly format: string;
  readonly count: number;
  readonly samples: readonly FindingSample[];
}

/**
 * What a check found. `count` is the number of rows concerned (for `unique-collision`: the rows in colliding groups;
 * for `invalid-default`: the columns), `samples` the first rows by primary key.
 *
 * ### Examples
 * ```ts
 * const findings = await runCheck(db, { id: 'email-not-null', type: 'nullability', table: 'customer', column: 'email' });
 * for (const f of findings) console.log(`${f.check} ${f.table}.${f.column}: ${f.count} x ${f.kind}, ${f.suggestedFix}`);
 * ```
 */
export interface Finding {
  /** The id of the check in the plan. */
  readonly check: string;
  /** What was found, stable for scripts: `null-values`, `unique-collision`, `zero-date`, ... (see docs/compat.md). */
  readonly kind: string;
  readonly table: string;
  readonly column: string | undefined;
  readonly severity: Severity;
  readonly count: number;
  readonly samples: readonly FindingSample[];
  readonly suggestedFix: string;
  /** Check-specific detail: collision groups, format buckets, the implicit default, the target collation... */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Number of samples a finding carries unless the check says otherwise. */
export const DEFAULT_SAMPLE_SIZE = 5;

/** Findings that block the migration. */
export function errorFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => finding.severity === 'error' && finding.count > 0);
}
