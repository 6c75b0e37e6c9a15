import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { MigrationLockedError } from '../errors';

/** MySQL refuses lock names longer than 64 characters. */
const MAX_LOCK_NAME = 64;

/**
 * A server-wide lock name for one schema and purpose. Long names are shortened with a hash so they stay unique.
 */
export function lockNameFor(purpose: string, schema: string): string {
  const name = `safemig:${purpose}:${schema}`;
  if (name.length <= MAX_LOCK_NAME) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${name.slice(0, MAX_LOCK_NAME - 17)}:${digest}`;
}

/**
 * Runs `work` while holding `GET_LOCK(name)` on the given connection, which must be one pinned connection
 * (`db.connection().execute(...)`), because a named lock belongs to the session that took it.
 *
 * The lock is safe when the process dies: the server releases a session's named locks when its connection closes,
 * so a runner killed with SIGKILL never leaves a stale lock behind (unlike a lock row in a table).
 */
export async function withNamedLock<T>(
  connection: Kysely<any>,
  name: string,
  timeoutSeconds: number,
  work: () => Promise<T>,
): Promise<T> {
  const acquired = await sql<{
    acquired: number | null;
  }>`SELECT GET_LOCK(${name}, ${timeoutSeconds}) AS acquired`.execute(connection);
  if (Number(acquired.rows[0]?.acquired) !== 1) {
    const holder = await sql<{ holder: number | string | null }>`SELECT IS_USED_LOCK(${name}) AS holder`.execute(
      connection,
    );
    const holderId = holder.rows[0]?.holder;
    throw new MigrationLockedError(
      name,
      timeoutSeconds,
      holderId === null || holderId === undefined ? undefined : Number(holderId),
    );
  }
  try {
    return await work();
  } finally {
    await sql`SELECT RELEASE_LOCK(${name})`.execute(connection).catch(() => undefined);
  }
}
