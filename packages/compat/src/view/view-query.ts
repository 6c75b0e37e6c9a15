import { InvalidViewQueryError } from '../compat-errors';

/**
 * Checks that an application-view query is one SELECT (or `WITH ... SELECT`): no statement separator, no comment, no
 * unterminated quote. The query is SQL the plan author wrote, embedded as a derived table, so anything that could
 * end the statement early is refused.
 *
 * ### Examples
 * ```ts
 * validateViewQuery('orders', "SELECT id, status FROM orders WHERE status <> 'cancelled'"); // returns it trimmed
 * validateViewQuery('orders', 'SELECT 1; DROP TABLE orders'); // throws InvalidViewQueryError
 * ```
 */
export function validateViewQuery(view: string, query: string): string {
  const trimmed = query.trim();
  if (!/^(SELECT|WITH)\b/i.test(trimmed)) throw new InvalidViewQueryError(view, 'must start with SELECT or WITH');
  let depth = 0;
  for (let i = 0; i < trimmed.length; i += 1) {
    const char = trimmed[i];
    if (char === "'" || char === '"' || char === '`') {
      const end = closingQuote(trimmed, i, char);
      if (end < 0) throw new InvalidViewQueryError(view, `has an unterminated ${char} quote`);
      i = end;
      continue;
    }
    if (char === ';') throw new InvalidViewQueryError(view, 'contains a semicolon (only one statement is allowed)');
    if (char === '#' || (char === '-' && trimmed[i + 1] === '-') || (char === '/' && trimmed[i + 1] === '*')) {
      throw new InvalidViewQueryError(view, 'contains an SQL comment');
    }
    if (char === '(') depth += 1;
    if (char === ')' && --depth < 0) throw new InvalidViewQueryError(view, 'closes a parenthesis it did not open');
  }
  if (depth !== 0) throw new InvalidViewQueryError(view, 'leaves a parenthesis open');
  return trimmed;
}

function closingQuote(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === '\\' && quote !== '`') {
      i += 1;
    } else if (text[i] === quote) {
      if (text[i + 1] !== quote) return i;
      i += 1;
    }
  }
  return -1;
}
