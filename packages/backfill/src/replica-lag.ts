import { createDatabase, databaseConfigOf, getServerInfo } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { BackfillReplicaError } from './backfill-errors';

/** One replica's state as the throttle sees it. */
export interface ReplicaLag {
  /** The replica's URL with the password redacted. */
  readonly replica: string;
  /** Seconds behind the primary; `null` when replication is stopped or the replica is unreachable (lag unknown). */
  readonly lagSeconds: number | null;
  /** Why the lag is unknown, when it is. */
  readonly problem?: string;
}

/**
 * Reads replication lag from the configured replicas with the statement and column names of their server
 * (`SHOW REPLICA STATUS` + `Seconds_Behind_Source` on MySQL 8.0.22+, `Seconds_Behind_Master` on MariaDB), as decided
 * by core's `getServerInfo`.
 *
 * A configured server that answers but is not a replica (no status row) is a configuration mistake and throws
 * {@link BackfillReplicaError}; a stopped or unreachable replica reports an unknown lag, which throttles.
 */
export class ReplicaLagMonitor {
  readonly #replicas: readonly { readonly label: string; readonly db: Kysely<any>; readonly owned: boolean }[];

  /** Accepts replica URLs (a pool of one connection is opened per URL) or existing database handles. */
  constructor(replicas: readonly (string | Kysely<any>)[]) {
    this.#replicas = replicas.map((replica) => {
      if (typeof replica === 'string') {
        const db = createDatabase({ url: replica, connectionLimit: 1 });
        return { label: databaseConfigOf(db)?.redactedUrl ?? 'replica', db, owned: true };
      }
      return { label: databaseConfigOf(replica)?.redactedUrl ?? 'replica', db: replica, owned: false };
    });
  }

  get size(): number {
    return this.#replicas.length;
  }

  /** The lag of every replica (the largest channel's lag for multi-source replicas). */
  async lags(): Promise<ReplicaLag[]> {
    return Promise.all(this.#replicas.map((replica) => this.#lagOf(replica.label, replica.db)));
  }

  /** Closes the pools this monitor opened. */
  async close(): Promise<void> {
    await Promise.all(this.#replicas.filter((replica) => replica.owned).map((replica) => replica.db.destroy()));
  }

  async #lagOf(label: string, db: Kysely<any>): Promise<ReplicaLag> {
    let rows: Record<string, unknown>[];
    let columns: Awaited<ReturnType<typeof getServerInfo>>['replicaStatus'];
    try {
      columns = (await getServerInfo(db)).replicaStatus;
      rows = (await sql<Record<string, unknown>>`${sql.raw(columns.statement)}`.execute(db)).rows;
    } catch (error) {
      return {
        replica: label,
        lagSeconds: null,
        problem: `unreachable (${error instanceof Error ? error.message : String(error)})`,
      };
    }
    if (rows.length === 0) {
      throw new BackfillReplicaError(label, `${columns.statement} returned no row, so the server is not a replica`);
    }
    let worst: number | null = 0;
    let problem: string | undefined;
    for (const row of rows) {
      const lag = row[columns.lagColumn];
      if (lag === null || lag === undefined) {
        worst = null;
        problem = `replication is not running (${columns.ioRunningColumn}=${String(row[columns.ioRunningColumn])}, ${columns.sqlRunningColumn}=${String(row[columns.sqlRunningColumn])})`;
        break;
      }
      worst = Math.max(worst, Number(lag));
    }
    return problem ? { replica: label, lagSeconds: worst, problem } : { replica: label, lagSeconds: worst };
  }
}
