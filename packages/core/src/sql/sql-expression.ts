/*
 * Backfill `where`/`set` expressions, compat fix expressions and application-view queries are SQL written by the
 * author, not data: they cannot be bound parameters. They are checked for what would let a fragment escape its place in the statement safemig builds
 * around it: a statement separator, a comment that swallows the rest of the statement, an unterminated quote, or a
 * parenthesis that closes the one safemig opens around the fragment (`x = 1) OR (1 = 1`).
 */

/**
 * Returns why an SQL expression cannot be embedded, or `undefined` when it can.
 *
 * ### Examples
 * ```ts
 * sqlExpressionProblem('status IS NULL'); // undefined
 * sqlExpressionProblem('1; DROP TABLE t'); // 'contains a statement separator (;)'
 * ```
 */
export function sqlExpressionProblem(expression: string): string | undefined {
  if (expression.trim().length === 0) return 'is empty';
  let depth = 0;
  for (let i = 0; i < expression.length; i += 1) {
    const char = expression[i];
    if (char === "'" || char === '"' || char === '`') {
      const end = closingQuote(expression, i, char);
      if (end < 0) return `has an unterminated ${char} quote`;
      i = end;
      continue;
    }
    if (char === ';') return 'contains a statement separator (;)';
    if (char === '#' || (char === '-' && expression[i + 1] === '-') || (char === '/' && expression[i + 1] === '*')) {
      return 'contains an SQL comment';
    }
    if (char === '(') depth += 1;
    if (char === ')') {
      depth -= 1;
      if (depth < 0) return 'closes a parenthesis it did not open';
    }
  }
  if (depth !== 0) return 'leaves a parenthesis open';
  return undefined;
}

/** Index of the quote that closes the one at `start`, honouring doubled quotes and (outside backticks) backslashes. */
function closingQuote(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i += 1) {
    const char = text[i];
    if (char === '\\' && quote !== '`') {
      i += 1;
      continue;
    }
    if (char === quote) {
      if (text[i + 1] === quote) {
        i += 1;
        continue;
      }
      return i;
    }
  }
  return -1;
}
