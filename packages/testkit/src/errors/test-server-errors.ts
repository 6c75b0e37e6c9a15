import { SafemigError } from '@safemig/core';
import { TESTKIT_ERROR_CODES } from './testkit-error-codes';

/** How one way of finding a test server went. */
export interface ServerAttempt {
  /** The option, as listed in the message, e.g. `SAFEMIG_TEST_DATABASE_URL / DATABASE_URL`. */
  readonly option: string;
  /** Why it was not used. */
  readonly outcome: string;
}

/**
 * No way of finding a database server for the tests worked. The ONE message lists every option in order, what
 * happened with each, and what to do.
 */
export class NoTestServerError extends SafemigError {
  readonly attempts: readonly ServerAttempt[];

  constructor(attempts: readonly ServerAttempt[]) {
    const lines = attempts.map((attempt, index) => `  ${index + 1}. ${attempt.option}: ${attempt.outcome}`);
    super(
      TESTKIT_ERROR_CODES.NO_TEST_SERVER,
      `No database server for the tests. Tried, in order:\n${lines.join('\n')}`,
      {
        hint: [
          'Do one of:',
          '  - set SAFEMIG_TEST_DATABASE_URL=mysql://user:password@host:port (a MySQL 8.0+ or MariaDB 10.11+ server where that user may CREATE DATABASE);',
          '  - run a server on 127.0.0.1:3306 with user root and no password;',
          '  - start Docker (or another container runtime) so testcontainers can start SAFEMIG_TEST_IMAGE (default mysql:8.0);',
          '  - install the MariaDB or MySQL server package so mariadbd or mysqld is on PATH (or in /usr/sbin).',
        ].join('\n'),
      },
    );
    this.attempts = attempts;
  }
}

/**
 * A test server that was explicitly configured or had to be started did not work: an unreachable
 * `SAFEMIG_TEST_DATABASE_URL`, a container or throwaway server that did not come up.
 */
export class TestServerError extends SafemigError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(TESTKIT_ERROR_CODES.TEST_SERVER_FAILED, message, options);
  }
}

/** `toBeIdempotent()` or `currentTestDatabase()` was used in a file that did not call `useTestDatabase()`. */
export class NoTestDatabaseError extends SafemigError {
  constructor(what: string) {
    super(TESTKIT_ERROR_CODES.NO_TEST_DATABASE, `${what} needs a test database, and this test file has none.`, {
      hint: 'Call useTestDatabase() at the top of the file (it creates one in beforeAll), or pass { db } explicitly, e.g. toBeIdempotentWith({ db }).',
    });
  }
}
