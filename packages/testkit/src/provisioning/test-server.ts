import { sql } from 'kysely';
import { createDatabase, parseDatabaseConfig, type DatabaseConfig } from '@safemig/core';

/** The four ways to find a server, in the order they are tried (see DESIGN.md, "Test databases"). */
export const TEST_SERVER_KINDS = ['env', 'local', 'container', 'throwaway'] as const;

/**
 * - `env`: `SAFEMIG_TEST_DATABASE_URL` (or `DATABASE_URL`);
 * - `local`: the default local server `mysql://root@127.0.0.1:3306`;
 * - `container`: a MySQL/MariaDB container started by testcontainers;
 * - `throwaway`: a `mariadbd`/`mysqld` from PATH started in a temporary datadir.
 */
export type TestServerKind = (typeof TEST_SERVER_KINDS)[number];

/** The default local server tried second. */
export const DEFAULT_LOCAL_TEST_SERVER_URL = 'mysql://root@127.0.0.1:3306';

/** Which server a test database lives on. */
export interface TestServerInfo {
  readonly kind: TestServerKind;
  /** Human-readable, password-free, e.g. `throwaway mariadbd 10.11.19-MariaDB on 127.0.0.1:40123`. */
  readonly description: string;
  /** The server without a default schema. */
  readonly config: DatabaseConfig;
}

/** A server a test database can be created on; `release()` gives it back (a started server stops after its last user). */
export interface TestServerLease extends TestServerInfo {
  release(): Promise<void>;
}

/** The server's version if it answers within `timeoutMs`; throws the connection error otherwise. */
export async function probeServer(config: DatabaseConfig, timeoutMs: number): Promise<string> {
  const probe = createDatabase(
    parseDatabaseConfig({
      host: config.host,
      port: config.port,
      user: config.user,
      password: config.password,
      connectionLimit: 1,
      connectTimeoutMs: Math.max(100, timeoutMs),
    }),
  );
  try {
    const result = await sql<{ version: string }>`SELECT VERSION() AS version`.execute(probe);
    return String(result.rows[0]?.version ?? '');
  } finally {
    await probe.destroy().catch(() => undefined);
  }
}

/** Polls until the server answers, the deadline passes, or `gaveUp()` says it never will (its process exited). */
export async function waitUntilAnswers(
  config: DatabaseConfig,
  deadlineMs: number,
  gaveUp: () => string | undefined,
): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  for (;;) {
    const reason = gaveUp();
    if (reason !== undefined) throw new Error(reason);
    try {
      return await probeServer(config, 1_000);
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `did not answer within ${Math.round(deadlineMs / 1000)} s: ${(lastError as Error | undefined)?.message ?? 'no reply'}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
