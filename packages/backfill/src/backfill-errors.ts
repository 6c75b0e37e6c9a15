import { SafemigError } from '@safemig/core';

/**
 * Stable codes of the errors @safemig/backfill throws. Scripts and the CLI branch on `error.code`.
 */
export const BACKFILL_ERROR_CODES = {
  DEFINITION_CHANGED: 'SAFEMIG_BACKFILL_DEFINITION_CHANGED',
  KEY: 'SAFEMIG_BACKFILL_KEY',
  COLUMN: 'SAFEMIG_BACKFILL_COLUMN',
  FAILED: 'SAFEMIG_BACKFILL_FAILED',
  NOT_STARTED: 'SAFEMIG_BACKFILL_NOT_STARTED',
  ACTIVE: 'SAFEMIG_BACKFILL_ACTIVE',
  REPLICA: 'SAFEMIG_BACKFILL_REPLICA',
  TRANSFORM_RESULT: 'SAFEMIG_BACKFILL_TRANSFORM_RESULT',
} as const;

/**
 * The definition of a backfill differs from the one its checkpoint was written with. Resuming would process the
 * rest of the table with other rules than the rows before the cursor, so safemig refuses.
 */
export class BackfillDefinitionChangedError extends SafemigError {
  readonly backfill: string;
  /** The hashed fields that differ, e.g. `['where', 'set.status']`. */
  readonly changedFields: readonly string[];
  constructor(backfill: string, changedFields: readonly string[]) {
    super(
      BACKFILL_ERROR_CODES.DEFINITION_CHANGED,
      `The definition of backfill ${JSON.stringify(backfill)} changed since its checkpoint was written (changed: ${
        changedFields.join(', ') || 'unknown'
      }). Rows before the cursor were processed with the old definition.`,
      {
        hint: `Restore the previous definition to resume, or run \`safemig backfill reset ${backfill}\` to start over with the new one (rows still matching \`where\` are processed again), or give the new definition another name.`,
      },
    );
    this.backfill = backfill;
    this.changedFields = changedFields;
  }
}

/** The configured key is not usable for keyset pagination on this table. */
export class BackfillKeyError extends SafemigError {
  readonly backfill: string;
  readonly table: string;
  constructor(backfill: string, table: string, reason: string) {
    super(
      BACKFILL_ERROR_CODES.KEY,
      `Backfill ${JSON.stringify(backfill)} cannot page through table ${table}: ${reason}.`,
      {
        hint: 'Use the primary key columns in their index order (INT/BIGINT, BINARY/VARBINARY or CHAR/VARCHAR), or leave `key` out to use the primary key.',
      },
    );
    this.backfill = backfill;
    this.table = table;
  }
}

/** A column named by the definition (`set`, `select`, `key`) or by a transform's patch does not exist. */
export class BackfillColumnError extends SafemigError {
  readonly backfill: string;
  readonly table: string;
  readonly column: string;
  constructor(backfill: string, table: string, column: string, where: string) {
    super(
      BACKFILL_ERROR_CODES.COLUMN,
      `Backfill ${JSON.stringify(backfill)} names column ${table}.${column} in ${where}, but the table has no such column.`,
      { hint: 'Run the expand migration that adds the column first, or fix the name in the backfill definition.' },
    );
    this.backfill = backfill;
    this.table = table;
    this.column = column;
  }
}

/**
 * A batch failed with an error that is not worth retrying (or retries were exhausted). The checkpoint is marked
 * `failed` with the message; everything committed before stays, and `run`/`resume` continues from the cursor.
 */
export class BackfillFailedError extends SafemigError {
  readonly backfill: string;
  readonly part: number;
  constructor(backfill: string, part: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(BACKFILL_ERROR_CODES.FAILED, `Backfill ${JSON.stringify(backfill)} failed in range ${part}: ${reason}`, {
      cause,
      hint: `Committed batches are kept. Fix the cause, then run \`safemig backfill resume ${backfill}\`; it continues from the checkpoint.`,
    });
    this.backfill = backfill;
    this.part = part;
  }
}

/** `resume` was asked for a backfill that has no checkpoint yet. */
export class BackfillNotStartedError extends SafemigError {
  readonly backfill: string;
  constructor(backfill: string) {
    super(BACKFILL_ERROR_CODES.NOT_STARTED, `Backfill ${JSON.stringify(backfill)} has no checkpoint to resume.`, {
      hint: `Start it with \`safemig backfill run ${backfill}\` (after \`safemig backfill dry-run ${backfill}\`).`,
    });
    this.backfill = backfill;
  }
}

/** `reset` was asked while a worker still processes the backfill. */
export class BackfillActiveError extends SafemigError {
  readonly backfill: string;
  constructor(backfill: string, parts: readonly number[]) {
    super(
      BACKFILL_ERROR_CODES.ACTIVE,
      `Backfill ${JSON.stringify(backfill)} is being processed right now (range ${parts.join(', ')} held by a live worker).`,
      { hint: 'Stop the running workers first (SIGINT pauses them cleanly), then reset.' },
    );
    this.backfill = backfill;
  }
}

/** A configured replica cannot report its lag: not reachable, or not a replica at all. */
export class BackfillReplicaError extends SafemigError {
  readonly replica: string;
  constructor(replica: string, reason: string) {
    super(BACKFILL_ERROR_CODES.REPLICA, `Replica ${replica} cannot report replication lag: ${reason}.`, {
      hint: 'List only replicas in `throttle.replicas` (their URLs, with a user that has the REPLICATION CLIENT privilege), or remove the option.',
    });
    this.replica = replica;
  }
}

/** A transform returned something that is neither a patch object nor `skipRow`. */
export class BackfillTransformResultError extends SafemigError {
  constructor(backfill: string, reason: string) {
    super(BACKFILL_ERROR_CODES.TRANSFORM_RESULT, `The transform of backfill ${JSON.stringify(backfill)} ${reason}.`, {
      hint: 'Return an object of column -> value to write, or `skipRow` to leave the row alone; throw for a bad row.',
    });
  }
}
