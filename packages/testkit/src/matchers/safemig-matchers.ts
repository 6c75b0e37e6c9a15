import { isMigrationStepClass, MigrationSource, type MigrationStep, type MigrationStepClass } from '@safemig/core';
import { IdempotencyError } from '../errors';
import { assertCollectionIdempotent, assertIdempotent, type AssertIdempotentOptions } from '../harness';
import { currentTestDatabase } from '../provisioning/current-test-database';

/** Options of the matchers: those of `assertIdempotent()`, with `db` defaulting to the file's test database. */
export type IdempotencyMatcherOptions = Omit<AssertIdempotentOptions, 'db'> &
  Partial<Pick<AssertIdempotentOptions, 'db'>>;

/** What the matchers accept: a step (class or instance), or a collection (source or list of classes). */
export type IdempotencySubject = MigrationStep | MigrationStepClass | MigrationSource | readonly MigrationStepClass[];

/** The part of jest's matcher context the matchers use. */
interface MatcherContextLike {
  readonly isNot?: boolean;
}

interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
}

/**
 * The safemig jest matchers. Register them with `expect.extend(safemigMatchers)` or {@link registerSafemigMatchers}
 * (`useTestDatabase()` does it for you). Both are async: `await` them.
 *
 * - `toBeIdempotent(options?)`: on the database of `useTestDatabase()`.
 * - `toBeIdempotentWith(options)`: with explicit options, e.g. `{ db, seed, history }`.
 *
 * A step that throws on its FIRST run makes the matcher throw (also under `.not`): that is a broken test setup,
 * not a proof of anything.
 *
 * ### Examples
 * ```ts
 * await expect(Migration1700000100AddStatus).toBeIdempotent();
 * await expect(new Migration1700000200Backfill()).toBeIdempotentWith({ db, seed, history });
 * await expect(MigrationSource.fromDirectory(dir)).toBeIdempotent();
 * ```
 */
export const safemigMatchers = {
  toBeIdempotent(
    this: MatcherContextLike,
    received: unknown,
    options?: IdempotencyMatcherOptions,
  ): Promise<MatcherResult> {
    return matchIdempotent(received, options ?? {});
  },
  toBeIdempotentWith(
    this: MatcherContextLike,
    received: unknown,
    options: IdempotencyMatcherOptions,
  ): Promise<MatcherResult> {
    return matchIdempotent(received, options);
  },
};

async function matchIdempotent(received: unknown, options: IdempotencyMatcherOptions): Promise<MatcherResult> {
  const subject = asSubject(received);
  const db = options.db ?? currentTestDatabase().db;
  const resolved: AssertIdempotentOptions = { ...options, db };
  try {
    const report =
      subject.kind === 'collection'
        ? await assertCollectionIdempotent(subject.value, resolved)
        : await assertIdempotent(subject.value, resolved);
    const runs = `${report.runs} runs of ${report.phases.map((phase) => `${phase}()`).join(' and ')}`;
    return {
      pass: true,
      message: () =>
        `expected ${report.steps.join(', ')} not to be idempotent, but ${runs} left the same schema and data`,
    };
  } catch (error) {
    if (error instanceof IdempotencyError && !(error.failure === 'error' && error.run === 1)) {
      return { pass: false, message: () => error.message };
    }
    throw error;
  }
}

function asSubject(
  received: unknown,
):
  | { kind: 'step'; value: MigrationStep | MigrationStepClass }
  | { kind: 'collection'; value: MigrationSource | readonly MigrationStepClass[] } {
  if (received instanceof MigrationSource || Array.isArray(received)) {
    return { kind: 'collection', value: received as MigrationSource | readonly MigrationStepClass[] };
  }
  if (isMigrationStepClass(received)) return { kind: 'step', value: received };
  if (typeof received === 'object' && received !== null && typeof (received as MigrationStep).update === 'function') {
    return { kind: 'step', value: received as MigrationStep };
  }
  throw new TypeError(
    `toBeIdempotent() expects a MigrationStep (class or instance), a MigrationSource or a list of step classes, got ${describe(received)}.`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return typeof value;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // The type parameters must match @types/jest's declaration for the interfaces to merge.
    // eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-empty-object-type
    interface Matchers<R, T = {}> {
      /** Runs the step's (or collection's) phases twice on the file's test database; fails naming every difference. */
      toBeIdempotent(options?: IdempotencyMatcherOptions): Promise<R>;
      /** Like `toBeIdempotent()`, with explicit options such as `{ db, seed, history }`. */
      toBeIdempotentWith(options: IdempotencyMatcherOptions): Promise<R>;
    }
  }
}
