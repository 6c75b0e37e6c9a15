import { sqlExpressionProblem } from '@safemig/core';
import { InvalidViewQueryError } from '../compat-errors';

/**
 * Checks that an application-view query is one SELECT (or `WITH ... SELECT`): no statement separator, no comment, no
 * unterminated quote, no unbalanced parenthesis (core's `sqlExpressionProblem`). The query is SQL the plan author
 * wrote, embedded as a derived table, so anything that could end the statement early is refused.
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
  const problem = sqlExpressionProblem(trimmed);
  if (problem) throw new InvalidViewQueryError(view, problem);
  return trimmed;
}
