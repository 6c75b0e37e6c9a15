import { randomBytes } from 'node:crypto';
import { id, lockNameFor, tableExists } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { inTransaction } from './transaction';

/** The checkpoint table: one row per backfill and key range. */
export const BACKFILL_CHECKPOINT_TABLE = 'safemig_backfill';

export type BackfillStatus = 'pending' | 'running' | 'paused' | 'completed' | 'failed';

/** Counters kept per checkpoint row, summed over every run. */
export interface BackfillCounters {
  /** Rows the engine handled: updated + skipped + failed (+ conflicts still unresolved). */
  readonly processed: number;
  readonly updated: number;
  readonly skipped: number;
  readonly failed: number;
  /** Rows the application changed between read and write; they were re-read and tried again. */
  readonly conflicts: number;
  /** Statements or batches repeated after a deadlock, lock wait timeout, lost connection or statement timeout. */
  readonly retries: number;
  readonly batches: number;
}

export const ZERO_COUNTERS: BackfillCounters = Object.freeze({
  processed: 0,
  updated: 0,
  skipped: 0,
  failed: 0,
  conflicts: 0,
  retries: 0,
  batches: 0,
});

/** Adds two sets of counters. */
export function addCounters(a: BackfillCounters, b: Partial<BackfillCounters>): BackfillCounters {
  return {
    processed: a.processed + (b.processed ?? 0),
    updated: a.updated + (b.updated ?? 0),
    skipped: a.skipped + (b.skipped ?? 0),
    failed: a.failed + (b.failed ?? 0),
    conflicts: a.conflicts + (b.conflicts ?? 0),
    retries: a.retries + (b.retries ?? 0),
    batches: a.batches + (b.batches ?? 0),
  };
}

/** One checkpoint row as stored. Keys are in their checkpoint text form (see `encodeKey`). */
export interface CheckpointRow extends BackfillCounters {
  readonly name: string;
  readonly part: number;
  readonly parts: number;
  /** Exclusive lower bound of the range; `null` = from the first row. */
  readonly rangeStart: string | null;
  /** Inclusive upper bound of the range; `null` = to the last row. */
  readonly rangeEnd: string | null;
  /** The cursor: the last key whose batch committed; `null` = nothing done yet. */
  readonly lastKey: string | null;
  readonly status: BackfillStatus;
  readonly definitionHash: string;
  /** JSON of the hashed definition fields, to explain what changed. */
  readonly definition: string;
  readonly claimToken: string | null;
  readonly worker: string | null;
  readonly message: string | null;
  readonly startedAt: Date | null;
  readonly updatedAt: Date | null;
  readonly completedAt: Date | null;
}

/** A range claimed by this worker: its named lock is held on the worker's connection until released. */
export interface ClaimedPart {
  readonly row: CheckpointRow;
  readonly token: string;
  readonly lockName: string;
}

/** Bounds of one range, for {@link CheckpointStore.initialize}. */
export interface PartRange {
  readonly rangeStart: string | null;
  readonly rangeEnd: string | null;
}

const COUNTER_COLUMNS = ['processed', 'updated', 'skipped', 'failed', 'conflicts', 'retries', 'batches'] as const;

/**
 * Reads and writes the `safemig_backfill` checkpoint rows. Every write that advances a range is fenced by the
 * worker's claim token, so a worker that lost its claim cannot move a cursor another worker owns.
 */
export class CheckpointStore {
  readonly #db: Kysely<any>;
  readonly #table = BACKFILL_CHECKPOINT_TABLE;

  constructor(db: Kysely<any>) {
    this.#db = db;
  }

  /** Creates the checkpoint table when missing (DDL: never inside a batch transaction). */
  async ensureTable(): Promise<void> {
    await sql`CREATE TABLE IF NOT EXISTS ${id(this.#table)} (
      name VARCHAR(128) NOT NULL,
      part INT UNSIGNED NOT NULL,
      parts INT UNSIGNED NOT NULL,
      range_start TEXT NULL,
      range_end TEXT NULL,
      last_key TEXT NULL,
      status VARCHAR(16) NOT NULL DEFAULT 'pending',
      definition_hash CHAR(64) NOT NULL,
      definition TEXT NOT NULL,
      claim_token CHAR(32) NULL,
      worker VARCHAR(255) NULL,
      processed BIGINT UNSIGNED NOT NULL DEFAULT 0,
      updated BIGINT UNSIGNED NOT NULL DEFAULT 0,
      skipped BIGINT UNSIGNED NOT NULL DEFAULT 0,
      failed BIGINT UNSIGNED NOT NULL DEFAULT 0,
      conflicts BIGINT UNSIGNED NOT NULL DEFAULT 0,
      retries BIGINT UNSIGNED NOT NULL DEFAULT 0,
      batches BIGINT UNSIGNED NOT NULL DEFAULT 0,
      message TEXT NULL,
      created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      started_at TIMESTAMP(6) NULL DEFAULT NULL,
      updated_at TIMESTAMP(6) NULL DEFAULT NULL,
      completed_at TIMESTAMP(6) NULL DEFAULT NULL,
      PRIMARY KEY (name, part)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(this.#db);
  }

  /** Whether the checkpoint table exists (dry-run and status read it without creating it). */
  tableExists(): Promise<boolean> {
    return tableExists(this.#db, this.#table);
  }

  /** All ranges of a backfill, in order; empty when it never ran (or the table does not exist). */
  async read(name: string, db: Kysely<any> = this.#db): Promise<CheckpointRow[]> {
    if (!(await this.tableExists())) return [];
    const result = await sql<
      Record<string, unknown>
    >`SELECT * FROM ${id(this.#table)} WHERE name = ${name} ORDER BY part`.execute(db);
    return result.rows.map(toCheckpointRow);
  }

  /** Inserts the pending ranges of a backfill that has none yet. */
  async initialize(
    name: string,
    ranges: readonly PartRange[],
    definitionHash: string,
    definition: string,
  ): Promise<void> {
    await sql`INSERT INTO ${id(this.#table)} (name, part, parts, range_start, range_end, status, definition_hash, definition)
      VALUES ${sql.join(
        ranges.map(
          (range, part) =>
            sql`(${name}, ${part}, ${ranges.length}, ${range.rangeStart}, ${range.rangeEnd}, 'pending', ${definitionHash}, ${definition})`,
        ),
      )}`.execute(this.#db);
  }

  /**
   * Claims the next unfinished range on `connection` (a pinned connection): the row is picked with
   * `FOR UPDATE SKIP LOCKED`, so concurrent claimers never pick the same one, and kept with a named lock, which the
   * server releases when the connection closes, so a killed worker's range can be claimed again at once.
   */
  async claim(connection: Kysely<any>, name: string, schema: string, worker: string): Promise<ClaimedPart | undefined> {
    let after = -1;
    for (;;) {
      const outcome = await inTransaction(connection, async () => {
        const picked = await sql<Record<string, unknown>>`SELECT * FROM ${id(this.#table)}
          WHERE name = ${name} AND part > ${after} AND status <> 'completed'
          ORDER BY part LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(connection);
        const raw = picked.rows[0];
        if (!raw) return { done: true as const };
        const row = toCheckpointRow(raw);
        const lockName = partLockName(name, row.part, schema);
        const locked = await sql<{ acquired: number | null }>`SELECT GET_LOCK(${lockName}, 0) AS acquired`.execute(
          connection,
        );
        if (Number(locked.rows[0]?.acquired) !== 1) return { done: false as const, skip: row.part };
        const token = randomBytes(16).toString('hex');
        await sql`UPDATE ${id(this.#table)} SET status = 'running', claim_token = ${token}, worker = ${worker}, message = NULL,
            started_at = COALESCE(started_at, NOW(6)), updated_at = NOW(6)
          WHERE name = ${name} AND part = ${row.part}`.execute(connection);
        return {
          done: true as const,
          claimed: { row: { ...row, status: 'running' as const, claimToken: token, worker }, token, lockName },
        };
      });
      if (outcome.done) return 'claimed' in outcome ? outcome.claimed : undefined;
      after = outcome.skip;
    }
  }

  /** Releases a claimed range's named lock (the row keeps its status). */
  async release(connection: Kysely<any>, claimed: ClaimedPart): Promise<void> {
    await sql`SELECT RELEASE_LOCK(${claimed.lockName})`.execute(connection);
  }

  /**
   * Moves the cursor and adds counters, inside the caller's batch transaction. Returns false when the claim was lost
   * (another worker took the range, or it was reset): the caller must roll back its batch.
   */
  async advance(
    connection: Kysely<any>,
    claimed: ClaimedPart,
    lastKey: string | null,
    delta: Partial<BackfillCounters>,
  ): Promise<boolean> {
    const result =
      await sql`UPDATE ${id(this.#table)} SET last_key = ${lastKey}, ${counterAssignments(delta)}, updated_at = NOW(6)
      WHERE name = ${claimed.row.name} AND part = ${claimed.row.part} AND claim_token = ${claimed.token}`.execute(
        connection,
      );
    return Number(result.numAffectedRows ?? 0n) === 1;
  }

  /** Records the end state of a claimed range (completed, paused or failed) with the counters not yet written. */
  async finish(
    connection: Kysely<any>,
    claimed: ClaimedPart,
    status: Exclude<BackfillStatus, 'pending' | 'running'>,
    message: string | null,
    delta: Partial<BackfillCounters> = {},
  ): Promise<void> {
    await sql`UPDATE ${id(this.#table)} SET status = ${status}, message = ${message}, ${counterAssignments(delta)},
        updated_at = NOW(6), completed_at = ${status === 'completed' ? sql`NOW(6)` : sql`NULL`}
      WHERE name = ${claimed.row.name} AND part = ${claimed.row.part} AND claim_token = ${claimed.token}`.execute(
      connection,
    );
  }

  /** Adds counters to a backfill's first range outside any claim (used by `retryErrors`). */
  async addCounters(name: string, delta: Partial<BackfillCounters>, connection: Kysely<any> = this.#db): Promise<void> {
    await sql`UPDATE ${id(this.#table)} SET ${counterAssignments(delta)}, updated_at = NOW(6)
      WHERE name = ${name} AND part = 0`.execute(connection);
  }

  /** Ranges whose named lock is held by a live worker right now. */
  async activeParts(rows: readonly CheckpointRow[], schema: string): Promise<number[]> {
    const active: number[] = [];
    for (const row of rows) {
      const result = await sql<{
        holder: unknown;
      }>`SELECT IS_USED_LOCK(${partLockName(row.name, row.part, schema)}) AS holder`.execute(this.#db);
      if (result.rows[0]?.holder !== null && result.rows[0]?.holder !== undefined) active.push(row.part);
    }
    return active;
  }

  /** Deletes a backfill's checkpoint rows. */
  async delete(name: string): Promise<void> {
    if (await this.tableExists()) await sql`DELETE FROM ${id(this.#table)} WHERE name = ${name}`.execute(this.#db);
  }
}

/** The named lock that marks a range as being processed by a live worker. */
export function partLockName(name: string, part: number, schema: string): string {
  return lockNameFor(`backfill:${name}:${part}`, schema);
}

function counterAssignments(delta: Partial<BackfillCounters>) {
  return sql.join(
    COUNTER_COLUMNS.map((column) => sql`${id(column)} = ${id(column)} + ${Math.max(0, delta[column] ?? 0)}`),
  );
}

function toCheckpointRow(raw: Record<string, unknown>): CheckpointRow {
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  const date = (value: unknown) =>
    value instanceof Date ? value : value === null || value === undefined ? null : new Date(String(value));
  return {
    name: String(raw.name),
    part: Number(raw.part),
    parts: Number(raw.parts),
    rangeStart: text(raw.range_start),
    rangeEnd: text(raw.range_end),
    lastKey: text(raw.last_key),
    status: String(raw.status) as BackfillStatus,
    definitionHash: String(raw.definition_hash),
    definition: String(raw.definition),
    claimToken: text(raw.claim_token),
    worker: text(raw.worker),
    processed: Number(raw.processed),
    updated: Number(raw.updated),
    skipped: Number(raw.skipped),
    failed: Number(raw.failed),
    conflicts: Number(raw.conflicts),
    retries: Number(raw.retries),
    batches: Number(raw.batches),
    message: text(raw.message),
    startedAt: date(raw.started_at),
    updatedAt: date(raw.updated_at),
    completedAt: date(raw.completed_at),
  };
}
