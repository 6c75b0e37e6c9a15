import { ERROR_CODES, SafemigError } from '@safemig/core';
import { safemigMatchers } from './safemig-matchers';

/**
 * `expect.extend(safemigMatchers)` on jest's global `expect`. Safe to call more than once. `useTestDatabase()` calls
 * it, so a file that uses a test database has the matchers already.
 *
 * ### Examples
 * ```ts
 * // jest.setup.ts, listed in setupFilesAfterEach
 * import { registerSafemigMatchers } from '@safemig/testkit';
 * registerSafemigMatchers();
 * ```
 */
export function registerSafemigMatchers(): void {
  const expect = (globalThis as { expect?: { extend?: (matchers: object) => void } }).expect;
  if (typeof expect?.extend !== 'function') {
    throw new SafemigError(ERROR_CODES.INVALID_CONFIG, 'registerSafemigMatchers() found no global jest expect.', {
      hint: 'Call it inside a jest test file or setup file, or call expect.extend(safemigMatchers) on the expect you use.',
    });
  }
  expect.extend(safemigMatchers);
}
