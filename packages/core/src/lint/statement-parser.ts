import { format } from 'mysql2';
import type { Parser } from 'node-sql-parser';

/** The outcome of parsing one captured statement. */
export type ParsedStatement =
  | { readonly ok: true; readonly asts: readonly unknown[]; readonly dialect: 'MySQL' | 'MariaDB' }
  | { readonly ok: false; readonly error: string };

let parser: Parser | undefined;

/**
 * The parser, loaded on first use: its grammars take about 5 MB of heap, which every process importing
 * @safemig/core (a backfill worker, the application itself) would otherwise carry without ever linting.
 */
function sqlParser(): Parser {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  parser ??= new (require('node-sql-parser') as typeof import('node-sql-parser')).Parser();
  return parser;
}

/**
 * Parses a statement with node-sql-parser, MySQL grammar first, then MariaDB. Never throws: a statement neither
 * grammar accepts comes back as `{ ok: false }`, which the linter reports as SM000.
 */
export function parseStatement(text: string): ParsedStatement {
  let firstError = '';
  for (const dialect of ['MySQL', 'MariaDB'] as const) {
    try {
      const ast = sqlParser().astify(text, { database: dialect });
      return { ok: true, asts: Array.isArray(ast) ? ast : [ast], dialect };
    } catch (error) {
      firstError ||= error instanceof Error ? error.message : String(error);
    }
  }
  return { ok: false, error: firstError.split('\n')[0]!.slice(0, 300) };
}

/**
 * The statement with its bound parameters written in as literals, for parsing and for showing in findings; it is
 * never executed. (`DEFAULT ?` is not valid grammar until the value is in place.)
 */
export function inlineParameters(text: string, parameters: readonly unknown[]): string {
  const inlined = parameters.length > 0 ? format(text, parameters as Parameters<typeof format>[1]) : text;
  return inlined.replace(/\s+/g, ' ').trim();
}
