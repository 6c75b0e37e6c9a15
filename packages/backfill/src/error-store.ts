import { createHash } from 'node:crypto';
import { id, tableExists } from '@safemig/core';
import { sql, type Kysely } from 'kysely';

/** The error table: rows a backfill could not process, with their key, the last message and the attempts. */
export const BACKFILL_ERROR_TABLE = 'safemig_backfill_error';

/**
 * Why a row is in the error table: `error` = the transform threw (or returned something unusable); `conflict` = the
 * application kept changing the row between read and write, more often than `maxConflictAttempts`.
 */
export type BackfillErrorReason = 'error' | 'conflict';

export interface BackfillErrorRow {
  readonly name: string;
  /** The row's key in checkpoint text form, e.g. `["42"]` or `["0x0a0b…","7"]`. */
  readonly rowKey: string;
  readonly reason: BackfillErrorReason;
  readonly message: string;
  readonly attempts: number;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

/** Reads and writes `safemig_backfill_error`. Writes happen inside the batch transaction that found the error. */
export class ErrorStore {
  readonly #db: Kysely<any>;
  readonly #table = BACKFILL_ERROR_TABLE;

  constructor(db: Kysely<any>) {
    this.#db = db;
  }

  /** Creates the error table when missing. */
  async ensureTable(): Promise<void> {
    await sql`CREATE TABLE IF NOT EXISTS ${id(this.#table)} (
      name VARCHAR(128) NOT NULL,
      key_hash BINARY(32) NOT NULL,
      row_key TEXT NOT NULL,
      reason VARCHAR(16) NOT NULL,
      message TEXT NOT NULL,
      attempts INT UNSIGNED NOT NULL DEFAULT 1,
      first_seen_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      last_seen_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      PRIMARY KEY (name, key_hash)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(this.#db);
  }

  /** Inserts the row, or counts one more attempt and keeps the newest message. */
  async record(
    connection: Kysely<any>,
    name: string,
    rowKey: string,
    reason: BackfillErrorReason,
    message: string,
  ): Promise<void> {
    const trimmed = message.length > 4_000 ? `${message.slice(0, 4_000)}…` : message;
    await sql`INSERT INTO ${id(this.#table)} (name, key_hash, row_key, reason, message)
      VALUES (${name}, ${keyHash(rowKey)}, ${rowKey}, ${reason}, ${trimmed})
      ON DUPLICATE KEY UPDATE reason = ${reason}, message = ${trimmed}, attempts = attempts + 1, last_seen_at = NOW(6)`.execute(
      connection,
    );
  }

  /** Removes a row that has now been processed. */
  async clear(connection: Kysely<any>, name: string, rowKey: string): Promise<void> {
    await sql`DELETE FROM ${id(this.#table)} WHERE name = ${name} AND key_hash = ${keyHash(rowKey)}`.execute(
      connection,
    );
  }

  /** The recorded rows of a backfill, oldest first. */
  async list(name: string, limit = 100): Promise<BackfillErrorRow[]> {
    if (!(await this.#exists())) return [];
    const result = await sql<
      Record<string, unknown>
    >`SELECT name, row_key, reason, message, attempts, first_seen_at, last_seen_at
      FROM ${id(this.#table)} WHERE name = ${name} ORDER BY first_seen_at, key_hash LIMIT ${limit}`.execute(this.#db);
    return result.rows.map((row) => ({
      name: String(row.name),
      rowKey: String(row.row_key),
      reason: String(row.reason) as BackfillErrorReason,
      message: String(row.message),
      attempts: Number(row.attempts),
      firstSeenAt: new Date(row.first_seen_at as Date),
      lastSeenAt: new Date(row.last_seen_at as Date),
    }));
  }

  /** How many rows of a backfill are in the error table. */
  async count(name: string): Promise<number> {
    if (!(await this.#exists())) return 0;
    const result = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${id(this.#table)} WHERE name = ${name}`.execute(
      this.#db,
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  /** Deletes a backfill's error rows. */
  async delete(name: string): Promise<void> {
    if (await this.#exists()) await sql`DELETE FROM ${id(this.#table)} WHERE name = ${name}`.execute(this.#db);
  }

  #exists(): Promise<boolean> {
    return tableExists(this.#db, this.#table);
  }
}

function keyHash(rowKey: string): Buffer {
  return createHash('sha256').update(rowKey).digest();
}
