import { sql, type Kysely } from 'kysely';

/**
 * Runs `work` in one transaction on a pinned connection (`db.connection().execute(...)`): committed when it returns,
 * rolled back when it throws. Raw statements rather than kysely's transaction builder, because the same pinned
 * connection also holds the worker's named lock and its session settings between transactions.
 */
export async function inTransaction<T>(connection: Kysely<any>, work: () => Promise<T>): Promise<T> {
  await sql`START TRANSACTION`.execute(connection);
  try {
    const result = await work();
    await sql`COMMIT`.execute(connection);
    return result;
  } catch (error) {
    await sql`ROLLBACK`.execute(connection).catch(() => undefined);
    throw error;
  }
}
