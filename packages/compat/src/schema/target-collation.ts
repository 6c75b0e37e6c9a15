import { sql, type Kysely } from 'kysely';
import { UnknownCollationError } from '../compat-errors';

/** A collation that exists on the connected server. */
export interface TargetCollation {
  readonly name: string;
  readonly characterSet: string;
  /** PAD SPACE: trailing spaces are ignored in comparisons ('a' = 'a '); NO PAD: they count. */
  readonly padSpace: boolean;
}

/**
 * Looks the collation up in information_schema.COLLATIONS and fails with {@link UnknownCollationError} (naming
 * candidates of the same character set) when the server lacks it, e.g. utf8mb4_0900_ai_ci on MariaDB 10.11.
 *
 * The pad attribute is measured rather than read: MySQL 8 has COLLATIONS.PAD_ATTRIBUTE, MariaDB 10.11 does not
 * (its NO PAD collations carry `nopad` in the name). Comparing 'a' with 'a ' under the collation answers the same
 * question on both servers without branching on the flavor.
 */
export async function resolveTargetCollation(db: Kysely<any>, check: string, name: string): Promise<TargetCollation> {
  const found = await sql<{ name: string; characterSet: string }>`
    SELECT COLLATION_NAME AS name, CHARACTER_SET_NAME AS characterSet FROM information_schema.COLLATIONS
    WHERE COLLATION_NAME = ${name}`.execute(db);
  const row = found.rows[0];
  if (!row) {
    const charset = name.split('_')[0] ?? '';
    const candidates = await sql<{ name: string }>`
      SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS
      WHERE CHARACTER_SET_NAME = ${charset} AND (COLLATION_NAME LIKE '%unicode%' OR COLLATION_NAME LIKE '%0900%' OR COLLATION_NAME LIKE '%uca1400%')
      ORDER BY COLLATION_NAME LIMIT 8`.execute(db);
    throw new UnknownCollationError(
      check,
      name,
      candidates.rows.map((candidate) => candidate.name),
    );
  }
  // The name was just found in information_schema, so it is a plain collation name and can be written as SQL.
  const pad = await sql<{ padSpace: number | string }>`
    SELECT CONVERT('a' USING ${sql.raw(row.characterSet)}) COLLATE ${sql.raw(row.name)}
         = CONVERT('a ' USING ${sql.raw(row.characterSet)}) COLLATE ${sql.raw(row.name)} AS padSpace`.execute(db);
  return { name: row.name, characterSet: row.characterSet, padSpace: Number(pad.rows[0]?.padSpace) === 1 };
}
