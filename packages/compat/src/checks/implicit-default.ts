/** What the server writes into existing rows for `ADD COLUMN c <type> NOT NULL` without DEFAULT. */
export interface ImplicitDefault {
  /** The value, as text; `null` when no usable value exists. */
  readonly value: string | null;
  /** Whether strict sql_mode (NO_ZERO_DATE, JSON validity) rejects it, so the ALTER fails on a non-empty table. */
  readonly invalidUnderStrictMode: boolean;
  readonly explanation: string;
}

const NUMERIC =
  /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|bit|bool|boolean)\b/i;
const TEXT = /^(char|varchar|tinytext|text|mediumtext|longtext|binary|varbinary|tinyblob|blob|mediumblob|longblob)\b/i;

/**
 * The implicit default of a column type (MySQL manual, "Data Type Default Values"): 0 for numbers, '' for strings,
 * the first member for ENUM, zero dates for temporal types. Zero dates break strict mode with NO_ZERO_DATE (MySQL 8's
 * default); MariaDB's default sql_mode lacks NO_ZERO_DATE and writes them silently.
 */
export function implicitDefaultOf(columnType: string): ImplicitDefault {
  const type = columnType.trim();
  if (NUMERIC.test(type)) return { value: '0', invalidUnderStrictMode: false, explanation: 'numbers default to 0' };
  if (TEXT.test(type)) return { value: '', invalidUnderStrictMode: false, explanation: "strings default to ''" };
  const enumMatch = /^enum\s*\(\s*'((?:[^']|'')*)'/i.exec(type);
  if (enumMatch) {
    return {
      value: (enumMatch[1] ?? '').replace(/''/g, "'"),
      invalidUnderStrictMode: false,
      explanation: 'ENUM defaults to its first member',
    };
  }
  if (/^set\b/i.test(type)) return { value: '', invalidUnderStrictMode: false, explanation: "SET defaults to ''" };
  if (/^year\b/i.test(type))
    return { value: '0000', invalidUnderStrictMode: false, explanation: 'YEAR defaults to 0000' };
  if (/^date\b/i.test(type)) {
    return {
      value: '0000-00-00',
      invalidUnderStrictMode: true,
      explanation: 'DATE defaults to the zero date, refused under NO_ZERO_DATE',
    };
  }
  if (/^(datetime|timestamp)\b/i.test(type)) {
    return {
      value: '0000-00-00 00:00:00',
      invalidUnderStrictMode: true,
      explanation: `${type.split(/[\s(]/)[0]?.toUpperCase()} defaults to the zero date, refused under NO_ZERO_DATE`,
    };
  }
  if (/^time\b/i.test(type))
    return { value: '00:00:00', invalidUnderStrictMode: false, explanation: "TIME defaults to '00:00:00'" };
  if (/^json\b/i.test(type)) {
    return {
      value: null,
      invalidUnderStrictMode: true,
      explanation:
        'JSON has no usable implicit default (MySQL cannot give JSON a literal DEFAULT before 8.0.13; MariaDB writes an empty string, which is not valid JSON)',
    };
  }
  return { value: null, invalidUnderStrictMode: true, explanation: `no known implicit default for ${type}` };
}

/** Whether a temporal default or value is a zero date or has a zero month/day (refused by NO_ZERO_(IN_)DATE). */
export function isZeroDateText(text: string): boolean {
  const match = /^'?(\d{4})-(\d{2})-(\d{2})/.exec(text.trim());
  return match !== null && (match[1] === '0000' || match[2] === '00' || match[3] === '00');
}
