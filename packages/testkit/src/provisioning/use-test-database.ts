import type { Kysely } from 'kysely';
import { ERROR_CODES, SafemigError } from '@safemig/core';
import { NoTestDatabaseError } from '../errors';
import { registerSafemigMatchers } from '../matchers/register-safemig-matchers';
import { clearCurrentTestDatabase, setCurrentTestDatabase } from './current-test-database';
import { createTestDatabase, type CreateTestDatabaseOptions, type TestDatabase } from './create-test-database';

/** How long provisioning may take in beforeAll/beforeEach: a throwaway server or a container needs seconds. */
const PROVISIONING_TIMEOUT_MS = 180_000;

export interface UseTestDatabaseOptions extends CreateTestDatabaseOptions {
  /** `file` (default): one schema for the whole file. `test`: a fresh schema for every test. */
  readonly scope?: 'file' | 'test';
}

/** The test database of the current file, available inside tests and hooks (not at collection time). */
export interface TestDatabaseHandle {
  readonly db: Kysely<any>;
  readonly name: string;
  readonly url: string;
  /** The whole {@link TestDatabase}. */
  readonly current: TestDatabase;
}

/**
 * Wires a test database into jest: created in `beforeAll` (or `beforeEach` with `scope: 'test'`), destroyed in
 * `afterAll`/`afterEach`, and registered as the file's current database, which `toBeIdempotent()` uses. Also
 * registers the safemig matchers. Call it at the top level of a test file.
 *
 * ### Examples
 * ```ts
 * const testDb = useTestDatabase();
 *
 * it('adds the status column idempotently', async () => {
 *   await expect(Migration1700000100AddStatus).toBeIdempotent();
 *   expect(await columnExists(testDb.db, 'external_order', 'status')).toBe(true);
 * });
 * ```
 */
export function useTestDatabase(options: UseTestDatabaseOptions = {}): TestDatabaseHandle {
  const hooks = jestHooks();
  registerSafemigMatchers();
  let database: TestDatabase | undefined;
  const setUp = async () => {
    database = await createTestDatabase(options);
    setCurrentTestDatabase(database);
  };
  const tearDown = async () => {
    const finished = database;
    database = undefined;
    if (finished) clearCurrentTestDatabase(finished);
    await finished?.destroy();
  };
  if (options.scope === 'test') {
    hooks.beforeEach(setUp, PROVISIONING_TIMEOUT_MS);
    hooks.afterEach(tearDown, PROVISIONING_TIMEOUT_MS);
  } else {
    hooks.beforeAll(setUp, PROVISIONING_TIMEOUT_MS);
    hooks.afterAll(tearDown, PROVISIONING_TIMEOUT_MS);
  }
  const current = (): TestDatabase => {
    if (!database) throw new NoTestDatabaseError('The test database handle (it exists inside tests and hooks only)');
    return database;
  };
  return {
    get db() {
      return current().db;
    },
    get name() {
      return current().name;
    },
    get url() {
      return current().url;
    },
    get current() {
      return current();
    },
  };
}

type Hook = (fn: () => Promise<void>, timeout?: number) => void;

/** jest's lifecycle globals, read at call time so importing the testkit outside jest costs nothing and breaks nothing. */
function jestHooks(): { beforeAll: Hook; afterAll: Hook; beforeEach: Hook; afterEach: Hook } {
  const globals = globalThis as Partial<Record<'beforeAll' | 'afterAll' | 'beforeEach' | 'afterEach', Hook>>;
  const { beforeAll, afterAll, beforeEach, afterEach } = globals;
  if (!beforeAll || !afterAll || !beforeEach || !afterEach) {
    throw new SafemigError(
      ERROR_CODES.INVALID_CONFIG,
      'useTestDatabase() needs the jest globals beforeAll/afterAll/beforeEach/afterEach.',
      {
        hint: 'Call it at the top level of a jest test file; elsewhere use createTestDatabase() and destroy() yourself.',
      },
    );
  }
  return { beforeAll, afterAll, beforeEach, afterEach };
}
