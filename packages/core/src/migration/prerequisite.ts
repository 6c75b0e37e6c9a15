import type { Kysely } from 'kysely';

/**
 * What a prerequisite is about. The rollout rules read two kinds: `backfill` (an activate step needs its backfill or
 * adapt step) and `compat` (tightening NULL -> NOT NULL or adding a UNIQUE index needs a passed compat check).
 * Prerequisites from `@safemig/backfill` and `@safemig/compat` use those kinds; any other string is allowed.
 */
export type PrerequisiteKind = 'server' | 'flag' | 'backfill' | 'compat' | (string & {});

/** The outcome of {@link Prerequisite.check}. */
export interface PrerequisiteResult {
  readonly met: boolean;
  /** What was found, e.g. `the server is MariaDB 10.11.19` or `flag orders_status is off`. */
  readonly detail: string;
  /** What to do when it is not met; the Migrator's error shows it. */
  readonly hint?: string;
}

/**
 * A technical prerequisite of a step (`requires` in its metadata), checked by the Migrator right before the step's
 * work runs and listed in the plan. Core ships {@link minimumServerVersion}, {@link serverSupports} and `flagAt`;
 * other packages plug in their own (`backfillCompleted` in @safemig/backfill, `compatPassed` in @safemig/compat) by
 * implementing this interface, since core imports no other safemig package.
 *
 * `id` and `describe()` must depend only on the prerequisite's arguments (never on the database): the plan file is
 * hashed over them.
 *
 * ### Examples
 * ```ts
 * const tableIsEmpty = (table: string): Prerequisite => ({
 *   id: `empty:${table}`,
 *   kind: 'data',
 *   describe: () => `table ${table} is empty`,
 *   async check(db) {
 *     const result = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${id(table)}`.execute(db);
 *     const n = Number(result.rows[0]?.n);
 *     return { met: n === 0, detail: `${table} has ${n} row(s)` };
 *   },
 * });
 * ```
 */
export interface Prerequisite {
  /** Stable and unique per prerequisite, e.g. `flag:orders_status=new` or `server:instantAddColumn`. */
  readonly id: string;
  readonly kind: PrerequisiteKind;
  /** One line for the plan and error messages. */
  describe(): string;
  check(db: Kysely<any>): Promise<PrerequisiteResult>;
}

/** Whether a value has the shape of a {@link Prerequisite} (used to validate step metadata). */
export function isPrerequisite(value: unknown): value is Prerequisite {
  const candidate = value as Partial<Prerequisite> | null | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.id === 'string' &&
    candidate.id.length > 0 &&
    typeof candidate.kind === 'string' &&
    typeof candidate.describe === 'function' &&
    typeof candidate.check === 'function'
  );
}
