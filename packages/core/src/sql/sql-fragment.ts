import { InvalidSqlFragmentError } from '../errors';

/*
 * Column types and trigger bodies are SQL text written by the migration author, not data. They cannot be bound
 * parameters, so they are checked for the things that would let a fragment escape its place: statement separators,
 * comments and backticks that could close an identifier.
 */
const FORBIDDEN_IN_TYPE: readonly [RegExp, string][] = [
  [/;/, 'contains a statement separator (;)'],
  [/--|#|\/\*/, 'contains an SQL comment'],
  [/`/, 'contains a backtick'],
];

/** Checks a column type such as `VARCHAR(255)`, `DECIMAL(10,2) UNSIGNED` or `ENUM('new','paid')`. */
export function validateColumnType(type: string): string {
  const trimmed = type.trim();
  if (trimmed.length === 0) throw new InvalidSqlFragmentError('column type', type, 'it is empty');
  if (!/^[A-Za-z]/.test(trimmed))
    throw new InvalidSqlFragmentError('column type', type, 'it must start with a type name');
  for (const [pattern, reason] of FORBIDDEN_IN_TYPE) {
    if (pattern.test(stripQuotedStrings(trimmed))) throw new InvalidSqlFragmentError('column type', type, reason);
  }
  if (/\b(NOT\s+NULL|NULL|DEFAULT|AFTER|FIRST|PRIMARY|AUTO_INCREMENT)\b/i.test(stripQuotedStrings(trimmed))) {
    throw new InvalidSqlFragmentError(
      'column type',
      type,
      'nullability, DEFAULT, position and keys are options of addColumn(), not part of the type',
    );
  }
  if (/'/.test(trimmed) && !/^(?:[^']|'(?:[^'\\]|\\.|'')*')*$/.test(trimmed)) {
    throw new InvalidSqlFragmentError('column type', type, 'it has an unterminated string literal');
  }
  return trimmed;
}

/** Checks a trigger body (`BEGIN ... END` or a single statement). Comments are refused, semicolons are allowed. */
export function validateTriggerBody(body: string): string {
  const trimmed = body.trim();
  if (trimmed.length === 0) throw new InvalidSqlFragmentError('trigger body', body, 'it is empty');
  if (/--\s|#|\/\*/.test(stripQuotedStrings(trimmed))) {
    throw new InvalidSqlFragmentError('trigger body', body, 'it contains an SQL comment');
  }
  if (/^BEGIN\b/i.test(trimmed) !== /\bEND$/i.test(trimmed)) {
    throw new InvalidSqlFragmentError('trigger body', body, 'a BEGIN must be closed by END at the very end');
  }
  if (!/^BEGIN\b/i.test(trimmed) && /;/.test(stripQuotedStrings(trimmed).replace(/;\s*$/, ''))) {
    throw new InvalidSqlFragmentError('trigger body', body, 'several statements need BEGIN ... END');
  }
  return trimmed;
}

function stripQuotedStrings(text: string): string {
  return text.replace(/'(?:[^'\\]|\\.|'')*'/g, "''");
}
