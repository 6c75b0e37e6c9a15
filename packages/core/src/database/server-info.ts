import { sql, type Kysely } from 'kysely';

/*
 * Every difference between MySQL and MariaDB that safemig cares about is decided here, and in server-dialect.ts for
 * the way information_schema reports a schema; nowhere else.
 */

export type ServerFlavor = 'mysql' | 'mariadb';

export interface ServerInfo {
  readonly flavor: ServerFlavor;
  /** The full version string, e.g. `10.11.19-MariaDB-0+deb12u1` or `8.4.3`. */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** `ALTER TABLE ... ADD COLUMN ..., ALGORITHM=INSTANT` is available (MySQL 8.0.12+, MariaDB 10.3.2+). */
  readonly supportsInstantAddColumn: boolean;
  /** The statement that reports replication state, and the names of its lag/health columns. */
  readonly replicaStatus: {
    readonly statement: 'SHOW REPLICA STATUS' | 'SHOW SLAVE STATUS';
    readonly lagColumn: 'Seconds_Behind_Source' | 'Seconds_Behind_Master';
    readonly ioRunningColumn: 'Replica_IO_Running' | 'Slave_IO_Running';
    readonly sqlRunningColumn: 'Replica_SQL_Running' | 'Slave_SQL_Running';
  };
}

const cache = new WeakMap<Kysely<any>, Promise<ServerInfo>>();

/** Detects the server flavor and version once per database handle. */
export function getServerInfo(db: Kysely<any>): Promise<ServerInfo> {
  let info = cache.get(db);
  if (!info) {
    info = sql<{ version: string }>`SELECT VERSION() AS version`.execute(db).then((result) => {
      const version = String(result.rows[0]?.version ?? '');
      return describeServer(version);
    });
    info.catch(() => cache.delete(db));
    cache.set(db, info);
  }
  return info;
}

/** Pure version-string interpretation, exported for tests and for the plan's prerequisite checks. */
export function describeServer(version: string): ServerInfo {
  const flavor: ServerFlavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  const [major = 0, minor = 0, patch = 0] = (version.match(/^(\d+)\.(\d+)\.(\d+)/) ?? []).slice(1).map(Number);
  const atLeast = (a: number, b: number, c: number) => (major !== a ? major > a : minor !== b ? minor > b : patch >= c);
  // MySQL renamed the SHOW SLAVE STATUS columns in 8.0.22; MariaDB accepts SHOW REPLICA STATUS since 10.5.1 but keeps
  // the Slave_* / Seconds_Behind_Master column names.
  const mysqlNewNames = flavor === 'mysql' && atLeast(8, 0, 22);
  return {
    flavor,
    version,
    major,
    minor,
    patch,
    supportsInstantAddColumn: flavor === 'mariadb' ? atLeast(10, 3, 2) : atLeast(8, 0, 12),
    replicaStatus: {
      statement:
        mysqlNewNames || (flavor === 'mariadb' && atLeast(10, 5, 1)) ? 'SHOW REPLICA STATUS' : 'SHOW SLAVE STATUS',
      lagColumn: mysqlNewNames ? 'Seconds_Behind_Source' : 'Seconds_Behind_Master',
      ioRunningColumn: mysqlNewNames ? 'Replica_IO_Running' : 'Slave_IO_Running',
      sqlRunningColumn: mysqlNewNames ? 'Replica_SQL_Running' : 'Slave_SQL_Running',
    },
  };
}
