import { NoTestDatabaseError } from '../errors';
import type { TestDatabase } from './create-test-database';

/*
 * jest gives every test file its own module registry, so this module-level slot holds one file's database.
 */
let current: TestDatabase | undefined;

/**
 * The database `useTestDatabase()` created for the running test file; throws {@link NoTestDatabaseError} when
 * there is none.
 *
 * ### Examples
 * ```ts
 * useTestDatabase();
 * it('sees the table', async () => {
 *   expect(await tableExists(currentTestDatabase().db, 'external_order')).toBe(true);
 * });
 * ```
 */
export function currentTestDatabase(): TestDatabase {
  if (!current) throw new NoTestDatabaseError('currentTestDatabase()');
  return current;
}

/** @internal Set by `useTestDatabase()` when it created a database. */
export function setCurrentTestDatabase(database: TestDatabase): void {
  current = database;
}

/** @internal Cleared by `useTestDatabase()` when it destroys that database. */
export function clearCurrentTestDatabase(database: TestDatabase): void {
  if (current === database) current = undefined;
}
