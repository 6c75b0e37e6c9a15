import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { createDatabase } from '@safemig/core';
import { startThrowawayServer, type ThrowawayServer } from '@safemig/testkit';

/** A throwaway primary and a replica (mariadbd, own datadirs and ports on 127.0.0.1, GTID replication). */
export interface ReplicationPair {
  readonly primary: ThrowawayServer;
  readonly replica: ThrowawayServer;
  /** Root on the primary / replica, no default schema. */
  readonly primaryDb: Kysely<any>;
  readonly replicaDb: Kysely<any>;
  /** Resolves once the replica has applied everything the primary has written so far. */
  caughtUp(): Promise<void>;
  /** Replication settings changed with the replica stopped, e.g. `MASTER_DELAY = 2`. */
  changeMaster(settings: string): Promise<void>;
  stop(): Promise<void>;
}

function replicationArguments(serverId: number): string[] {
  return [`--server-id=${serverId}`, '--log-bin', '--binlog-format=ROW', '--gtid-strict-mode=1', '--log-slave-updates'];
}

export async function startReplicationPair(): Promise<ReplicationPair> {
  // One after the other: two mariadb-install-db bootstraps started at the same moment once failed here with
  // "Unknown table 'mysql.tmp_user_sys'" (not reproduced since); two seconds are worth a deterministic start.
  const primary = await startThrowawayServer({ serverArguments: replicationArguments(1) });
  let replica: ThrowawayServer;
  try {
    replica = await startThrowawayServer({ serverArguments: replicationArguments(2) });
  } catch (error) {
    await primary.stop();
    throw error;
  }
  const primaryDb = createDatabase(primary.config.withDatabase(undefined));
  const replicaDb = createDatabase(replica.config.withDatabase(undefined));
  const stop = async () => {
    await sql`STOP SLAVE`.execute(replicaDb).catch(() => undefined);
    await Promise.all([primaryDb.destroy(), replicaDb.destroy()]);
    await Promise.all([primary.stop(), replica.stop()]);
  };
  try {
    const password = randomBytes(12).toString('hex');
    await sql`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY ${password}`.execute(primaryDb);
    await sql`GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'`.execute(primaryDb);
    await sql`CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${sql.lit(primary.port)}, MASTER_USER = 'repl',
      MASTER_PASSWORD = ${password}, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1`.execute(replicaDb);
    await sql`START SLAVE`.execute(replicaDb);
    const caughtUp = async () => {
      const position = await sql<{ pos: string }>`SELECT @@GLOBAL.gtid_binlog_pos AS pos`.execute(primaryDb);
      const waited = await sql<{
        result: number;
      }>`SELECT MASTER_GTID_WAIT(${String(position.rows[0]?.pos ?? '')}, 60) AS result`.execute(replicaDb);
      if (Number(waited.rows[0]?.result) !== 0) throw new Error('the replica did not catch up within 60 s');
    };
    await caughtUp();
    return {
      primary,
      replica,
      primaryDb,
      replicaDb,
      caughtUp,
      async changeMaster(settings: string) {
        await sql`STOP SLAVE`.execute(replicaDb);
        await sql`CHANGE MASTER TO ${sql.raw(settings)}`.execute(replicaDb);
        await sql`START SLAVE`.execute(replicaDb);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
