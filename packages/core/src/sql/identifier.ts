import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import { InvalidIdentifierError } from '../errors';

/** The longest identifier both MySQL and MariaDB accept for tables, columns, indexes and triggers. */
export const MAX_IDENTIFIER_LENGTH = 64;

const IDENTIFIER_PATTERN = /^[A-Za-z0-9_$]+$/;

/**
 * zod schema of an identifier safemig will quote: letters, digits, `_` and `$`, at most 64 characters, not only
 * digits. Use it inside configuration schemas so a bad table name is refused before any SQL runs.
 */
export const identifierSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_IDENTIFIER_LENGTH, `must be at most ${MAX_IDENTIFIER_LENGTH} characters`)
  .regex(IDENTIFIER_PATTERN, 'may contain only letters, digits, _ and $')
  .refine((value) => !/^\d+$/.test(value), 'must not consist of digits only');

/**
 * Validates an identifier and returns it unchanged, or throws {@link InvalidIdentifierError} naming it.
 */
export function validateIdentifier(name: string): string {
  const result = identifierSchema.safeParse(name);
  if (!result.success) {
    throw new InvalidIdentifierError(String(name), result.error.issues.map((issue) => issue.message).join(', '));
  }
  return result.data;
}

/**
 * The one place where identifiers become SQL text: validated, then back-quoted.
 *
 * ### Examples
 * ```ts
 * quoteIdentifier('external_order'); // '`external_order`'
 * quoteIdentifier('x`; DROP TABLE y'); // throws InvalidIdentifierError
 * ```
 */
export function quoteIdentifier(name: string): string {
  return `\`${validateIdentifier(name)}\``;
}

/**
 * A validated, quoted identifier as a kysely SQL fragment, for use inside `sql` templates.
 *
 * ### Examples
 * ```ts
 * await sql`ALTER TABLE ${id('external_order')} DROP COLUMN ${id('legacy_status')}`.execute(db);
 * ```
 */
export function id(name: string): RawBuilder<unknown> {
  return sql.raw(quoteIdentifier(name));
}

/** A comma-separated list of validated, quoted identifiers, e.g. for index or key column lists. */
export function idList(names: readonly string[]): RawBuilder<unknown> {
  if (names.length === 0) throw new InvalidIdentifierError('', 'an identifier list must not be empty');
  return sql.raw(names.map(quoteIdentifier).join(', '));
}
