import { currentTestDatabase } from '../provisioning';
import { NoTestDatabaseError } from '../errors';
import { Migration1700000202AddStatus } from '../harness/__fixtures__/correct-migrations';
import { registerSafemigMatchers } from './register-safemig-matchers';
import { safemigMatchers } from './safemig-matchers';

// This file deliberately does not call useTestDatabase().
registerSafemigMatchers();

describe('registerSafemigMatchers', () => {
  it('adds the matchers to the global expect, and registering twice (or by hand) is harmless', () => {
    registerSafemigMatchers();
    expect.extend(safemigMatchers);
    expect(typeof (expect(Migration1700000202AddStatus) as unknown as Record<string, unknown>).toBeIdempotent).toBe(
      'function',
    );
  });

  it('makes toBeIdempotent() say how to get a database when the file has none', async () => {
    expect(() => currentTestDatabase()).toThrow(NoTestDatabaseError);
    await expect(expect(Migration1700000202AddStatus).toBeIdempotent()).rejects.toThrow(
      /Call useTestDatabase\(\) at the top of the file/,
    );
  });
});
