import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { FlagTransitionError, InvalidConfigError } from '../errors';
import { tableExists } from '../schema';
import { id } from '../sql';
import { flagNameSchema, flagStateSchema, skipsDual, type FlagState } from './flag-state';

/** The table holding each flag's current state. */
export const FLAG_TABLE = 'safemig_flag';
/** The append-only table of every flag change: who, when, why, old -> new. */
export const FLAG_AUDIT_TABLE = 'safemig_flag_audit';

/** A flag's current state. A flag that was never set reads as `off` with `updatedAt` null. */
export interface Flag {
  readonly name: string;
  readonly state: FlagState;
  readonly updatedAt: Date | null;
  readonly updatedBy: string | null;
  readonly reason: string | null;
}

/** One row of the audit table. */
export interface FlagChange {
  readonly name: string;
  readonly from: FlagState;
  readonly to: FlagState;
  readonly at: Date;
  readonly by: string;
  readonly reason: string;
}

export interface SetFlagOptions {
  /** Who changes the flag (a person or a deploy job); stored in the audit table. */
  readonly by: string;
  /** Why; stored in the audit table. */
  readonly reason: string;
  /** Allow off <-> new without passing dual. For emergencies only. */
  readonly force?: boolean;
}

const setOptionsSchema = z
  .object({
    by: z.string().trim().min(1, 'must name who changes the flag').max(255),
    reason: z.string().trim().min(1, 'must say why the flag changes'),
    force: z.boolean().optional(),
  })
  .strict();

/**
 * Creates the flag and audit tables unless they exist (CREATE TABLE IF NOT EXISTS is portable). {@link setFlag} calls
 * it; call it yourself to create them in a migration.
 */
export async function ensureFlagTables(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS ${id(FLAG_TABLE)} (
      \`name\` VARCHAR(128) NOT NULL,
      \`state\` VARCHAR(8) NOT NULL,
      \`updated_at\` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      \`updated_by\` VARCHAR(255) NOT NULL,
      \`reason\` TEXT NOT NULL,
      PRIMARY KEY (\`name\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
  await sql`
    CREATE TABLE IF NOT EXISTS ${id(FLAG_AUDIT_TABLE)} (
      \`id\` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      \`name\` VARCHAR(128) NOT NULL,
      \`old_state\` VARCHAR(8) NOT NULL,
      \`new_state\` VARCHAR(8) NOT NULL,
      \`changed_at\` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      \`changed_by\` VARCHAR(255) NOT NULL,
      \`reason\` TEXT NOT NULL,
      PRIMARY KEY (\`id\`),
      KEY \`idx_safemig_flag_audit_name\` (\`name\`, \`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
}

/**
 * Reads one flag. A flag that was never set (or a schema without the flag table) reads as `off`.
 *
 * ### Examples
 * ```ts
 * if ((await getFlag(db, 'external_order_status')).state !== 'off') await writeNewColumns(order);
 * ```
 */
export async function getFlag(db: Kysely<any>, name: string): Promise<Flag> {
  const flagName = validName(name);
  if (!(await tableExists(db, FLAG_TABLE))) return unset(flagName);
  const result = await sql<FlagRow>`
    SELECT \`name\`, \`state\`, \`updated_at\`, \`updated_by\`, \`reason\` FROM ${id(FLAG_TABLE)}
    WHERE \`name\` = ${flagName}`.execute(db);
  const row = result.rows[0];
  return row ? flagOf(row) : unset(flagName);
}

/** Every flag that was ever set, by name. */
export async function listFlags(db: Kysely<any>): Promise<Flag[]> {
  if (!(await tableExists(db, FLAG_TABLE))) return [];
  const result = await sql<FlagRow>`
    SELECT \`name\`, \`state\`, \`updated_at\`, \`updated_by\`, \`reason\` FROM ${id(FLAG_TABLE)}
    ORDER BY \`name\``.execute(db);
  return result.rows.map(flagOf);
}

/**
 * Moves a flag to a state and records who, when, why and old -> new in the audit table, in one transaction.
 * Returns the change, or undefined when the flag already was in that state (nothing is recorded then). Skipping
 * `dual` (off <-> new) throws a {@link FlagTransitionError} unless `force` is set.
 *
 * ### Examples
 * ```ts
 * await setFlag(db, 'external_order_status', 'dual', { by: 'deploy 1.1.0', reason: 'backfill started' });
 * ```
 */
export async function setFlag(
  db: Kysely<any>,
  name: string,
  state: FlagState,
  options: SetFlagOptions,
): Promise<FlagChange | undefined> {
  const flagName = validName(name);
  const target = validState(state);
  const parsed = setOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw InvalidConfigError.fromZod(`setFlag options for ${flagName}`, parsed.error);
  }
  const { by, reason, force } = parsed.data;
  await ensureFlagTables(db);
  return db.transaction().execute(async (trx) => {
    const current = await sql<{ state: string }>`
      SELECT \`state\` FROM ${id(FLAG_TABLE)} WHERE \`name\` = ${flagName} FOR UPDATE`.execute(trx);
    const from = (current.rows[0]?.state ?? 'off') as FlagState;
    if (current.rows.length > 0 && from === target) return undefined;
    if (!force && skipsDual(from, target)) throw new FlagTransitionError(flagName, from, target);
    await sql`
      INSERT INTO ${id(FLAG_TABLE)} (\`name\`, \`state\`, \`updated_at\`, \`updated_by\`, \`reason\`)
      VALUES (${flagName}, ${target}, CURRENT_TIMESTAMP(6), ${by}, ${reason})
      ON DUPLICATE KEY UPDATE \`state\` = ${target}, \`updated_at\` = CURRENT_TIMESTAMP(6),
        \`updated_by\` = ${by}, \`reason\` = ${reason}`.execute(trx);
    await sql`
      INSERT INTO ${id(FLAG_AUDIT_TABLE)} (\`name\`, \`old_state\`, \`new_state\`, \`changed_at\`, \`changed_by\`, \`reason\`)
      VALUES (${flagName}, ${from}, ${target}, CURRENT_TIMESTAMP(6), ${by}, ${reason})`.execute(trx);
    const written = await sql<{ at: Date }>`
      SELECT \`updated_at\` AS \`at\` FROM ${id(FLAG_TABLE)} WHERE \`name\` = ${flagName}`.execute(trx);
    return { name: flagName, from, to: target, at: written.rows[0]!.at, by, reason };
  });
}

/** The audit trail, oldest first: of one flag, or of every flag. */
export async function flagHistory(db: Kysely<any>, name?: string): Promise<FlagChange[]> {
  const flagName = name === undefined ? undefined : validName(name);
  if (!(await tableExists(db, FLAG_TABLE))) return [];
  const filter = flagName === undefined ? sql`` : sql`WHERE \`name\` = ${flagName}`;
  const result = await sql<{
    name: string;
    old_state: FlagState;
    new_state: FlagState;
    changed_at: Date;
    changed_by: string;
    reason: string;
  }>`
    SELECT \`name\`, \`old_state\`, \`new_state\`, \`changed_at\`, \`changed_by\`, \`reason\`
    FROM ${id(FLAG_AUDIT_TABLE)} ${filter} ORDER BY \`id\``.execute(db);
  return result.rows.map((row) => ({
    name: row.name,
    from: row.old_state,
    to: row.new_state,
    at: row.changed_at,
    by: row.changed_by,
    reason: row.reason,
  }));
}

interface FlagRow {
  name: string;
  state: FlagState;
  updated_at: Date;
  updated_by: string;
  reason: string;
}

function flagOf(row: FlagRow): Flag {
  return { name: row.name, state: row.state, updatedAt: row.updated_at, updatedBy: row.updated_by, reason: row.reason };
}

function unset(name: string): Flag {
  return { name, state: 'off', updatedAt: null, updatedBy: null, reason: null };
}

function validName(name: string): string {
  const result = flagNameSchema.safeParse(name);
  if (!result.success) {
    throw new InvalidConfigError('flag name', [
      { path: 'name', message: `${JSON.stringify(name)} ${result.error.issues.map((i) => i.message).join(', ')}` },
    ]);
  }
  return result.data;
}

function validState(state: string): FlagState {
  const result = flagStateSchema.safeParse(state);
  if (!result.success) {
    throw new InvalidConfigError('flag state', [
      { path: 'state', message: `${JSON.stringify(state)} is not a state; use off, dual or new` },
    ]);
  }
  return result.data;
}
