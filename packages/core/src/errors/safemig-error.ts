import type { ZodError } from 'zod';

/**
 * Stable error codes. Scripts and the CLI branch on `error.code`, never on the message text.
 */
export const ERROR_CODES = {
  INVALID_IDENTIFIER: 'SAFEMIG_INVALID_IDENTIFIER',
  INVALID_CONFIG: 'SAFEMIG_INVALID_CONFIG',
  INVALID_SQL_FRAGMENT: 'SAFEMIG_INVALID_SQL_FRAGMENT',
  CONNECTION_FAILED: 'SAFEMIG_CONNECTION_FAILED',
  MIGRATION_SOURCE: 'SAFEMIG_MIGRATION_SOURCE',
  MIGRATION_FAILED: 'SAFEMIG_MIGRATION_FAILED',
  MIGRATION_LOCKED: 'SAFEMIG_MIGRATION_LOCKED',
  SCHEMA_CONFLICT: 'SAFEMIG_SCHEMA_CONFLICT',
  PREREQUISITE_UNMET: 'SAFEMIG_PREREQUISITE_UNMET',
  DEPENDENCY_NOT_EXECUTED: 'SAFEMIG_DEPENDENCY_NOT_EXECUTED',
  ROLLOUT_ORDER: 'SAFEMIG_ROLLOUT_ORDER',
  FLAG_TRANSITION: 'SAFEMIG_FLAG_TRANSITION',
  PLAN_FILE: 'SAFEMIG_PLAN_FILE',
  LINT_SCRATCH_SCHEMA: 'SAFEMIG_LINT_SCRATCH_SCHEMA',
  PLAN_OUT_OF_DATE: 'SAFEMIG_PLAN_OUT_OF_DATE',
  LINT_FAILED: 'SAFEMIG_LINT_FAILED',
} as const;

export type SafemigErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES] | (string & {});

export interface SafemigErrorOptions {
  readonly cause?: unknown;
  /** What the user should do next; appended to the message. */
  readonly hint?: string;
}

/**
 * Base class of every error safemig throws on purpose.
 *
 * The message names the table, column, migration or setting involved and ends with what to do next.
 *
 * ### Examples
 * ```ts
 * try {
 *   await migrator.migrate();
 * } catch (error) {
 *   if (error instanceof SafemigError) console.error(error.code, error.message);
 *   throw error;
 * }
 * ```
 */
export class SafemigError extends Error {
  readonly code: SafemigErrorCode;
  readonly hint: string | undefined;

  constructor(code: SafemigErrorCode, message: string, options: SafemigErrorOptions = {}) {
    super(
      options.hint ? `${message}\n${options.hint}` : message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** An identifier (table, column, index, trigger, schema name) that safemig refuses to put into SQL. */
export class InvalidIdentifierError extends SafemigError {
  readonly identifier: string;
  constructor(identifier: string, reason: string) {
    super(ERROR_CODES.INVALID_IDENTIFIER, `Invalid identifier ${JSON.stringify(identifier)}: ${reason}.`, {
      hint: 'Use letters, digits, _ and $ only (at most 64 characters); identifiers are never taken from user input.',
    });
    this.identifier = identifier;
  }
}

/** A configuration object failed validation; `issues` lists every field path with its problem. */
export class InvalidConfigError extends SafemigError {
  readonly issues: readonly { readonly path: string; readonly message: string }[];
  constructor(subject: string, issues: readonly { readonly path: string; readonly message: string }[], hint?: string) {
    const lines = issues.map((issue) => `  - ${issue.path || '(root)'}: ${issue.message}`).join('\n');
    super(ERROR_CODES.INVALID_CONFIG, `Invalid ${subject}:\n${lines}`, { hint });
    this.issues = issues;
  }

  /**
   * The error for a failed zod parse: one issue per field, its path prefixed with where the object sits in a larger
   * configuration (`['migrations']` gives `migrations.directory: ...`).
   *
   * ### Examples
   * ```ts
   * const parsed = schema.safeParse(config.validation);
   * if (!parsed.success) throw InvalidConfigError.fromZod('config file', parsed.error, { prefix: ['validation'] });
   * ```
   */
  static fromZod(
    subject: string,
    error: ZodError,
    options: { readonly prefix?: readonly string[]; readonly hint?: string } = {},
  ): InvalidConfigError {
    const issues = error.issues.map((issue) => ({
      path: [...(options.prefix ?? []), ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
    return new InvalidConfigError(subject, issues, options.hint);
  }
}

/** A raw SQL fragment (column type, trigger body) that contains something safemig will not pass through. */
export class InvalidSqlFragmentError extends SafemigError {
  constructor(what: string, fragment: string, reason: string) {
    super(ERROR_CODES.INVALID_SQL_FRAGMENT, `Invalid ${what} ${JSON.stringify(fragment)}: ${reason}.`, {
      hint: 'Pass a plain SQL type such as VARCHAR(255), DECIMAL(10,2) or JSON; values belong in bound parameters.',
    });
  }
}

/** The server could not be reached or refused the login. The message never contains the password. */
export class ConnectionError extends SafemigError {
  constructor(target: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(ERROR_CODES.CONNECTION_FAILED, `Could not connect to ${target}: ${reason}`, {
      cause,
      hint: 'Check that the server runs and that DATABASE_URL (mysql://user:password@host:port/database) is right.',
    });
  }
}
