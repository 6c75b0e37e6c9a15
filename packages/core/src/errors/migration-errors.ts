import { ERROR_CODES, SafemigError } from './safemig-error';

/** A migration file or class that cannot be loaded: wrong name, timestamp mismatch, duplicate, nothing exported. */
export class MigrationSourceError extends SafemigError {
  readonly file: string | undefined;
  constructor(message: string, options: { file?: string; hint?: string; cause?: unknown } = {}) {
    super(ERROR_CODES.MIGRATION_SOURCE, options.file ? `${options.file}: ${message}` : message, options);
    this.file = options.file;
  }
}

export type MigrationMode = 'update' | 'updateDestructive';

/** A step's update() or updateDestructive() threw. The step stays pending and is retried by the next run. */
export class MigrationFailedError extends SafemigError {
  readonly migration: string;
  readonly mode: MigrationMode;
  /** The SQL statement the server rejected, when the failure came from the server. */
  readonly sql: string | undefined;
  constructor(migration: string, mode: MigrationMode, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const failedSql = sqlOf(cause);
    super(
      ERROR_CODES.MIGRATION_FAILED,
      `Migration ${migration} failed in ${mode}(): ${reason}${failedSql ? `\n  SQL: ${failedSql}` : ''}`,
      {
        cause,
        hint: `The error is stored in migration.message and ${mode === 'update' ? '`update`' : '`update_destructive`'} stays NULL, so the next run retries the step. Fix the cause (or the step, if it is not yet released) and run again.`,
      },
    );
    this.migration = migration;
    this.mode = mode;
    this.sql = failedSql;
  }
}

/** Another runner holds the migration lock longer than this runner was willing to wait. */
export class MigrationLockedError extends SafemigError {
  readonly lockName: string;
  readonly holderConnectionId: number | undefined;
  constructor(lockName: string, timeoutSeconds: number, holderConnectionId: number | undefined) {
    super(
      ERROR_CODES.MIGRATION_LOCKED,
      `Another migration runner holds the lock ${JSON.stringify(lockName)}${
        holderConnectionId === undefined ? '' : ` (server connection ${holderConnectionId})`
      }; gave up after ${timeoutSeconds} s.`,
      {
        hint: 'Wait for the other run to finish and run again. The lock is released automatically when its connection closes, so a killed runner never leaves it behind.',
      },
    );
    this.lockName = lockName;
    this.holderConnectionId = holderConnectionId;
  }
}

function sqlOf(error: unknown): string | undefined {
  const value = typeof error === 'object' && error !== null ? (error as { sql?: unknown }).sql : undefined;
  return typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : undefined;
}
