import { z } from 'zod';
import { InvalidConfigError } from '../errors';
import { identifierSchema } from '../sql';

/** The default local server that tests, the demo and the CLI try when nothing else is configured. */
export const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/test';

const optionsSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(1).max(65_535).default(3306),
    user: z.string().min(1).default('root'),
    password: z.string().optional(),
    database: identifierSchema.optional(),
    connectionLimit: z.coerce.number().int().min(1).max(1000).default(10),
    connectTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(10_000),
  })
  .strict();

/** Connection options. Either these fields or a `url` (`mysql://user:password@host:port/database`). */
export type DatabaseOptions =
  z.input<typeof optionsSchema> | { readonly url: string; readonly connectionLimit?: number };

/**
 * Validated connection settings. The password is kept out of `toString()`, `JSON.stringify()` and `util.inspect()`,
 * so a settings object can be logged without leaking it.
 */
export interface DatabaseConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string | undefined;
  readonly database: string | undefined;
  readonly connectionLimit: number;
  readonly connectTimeoutMs: number;
  /** `mysql://user:***@host:port/database`: safe for logs and error messages. */
  readonly redactedUrl: string;
  /** The same server with another default schema. */
  withDatabase(database: string | undefined): DatabaseConfig;
  /** The full URL including the password, for handing to another process. Never log it. */
  toUrl(): string;
}

/**
 * Parses and validates connection options or a URL. Errors name the field and never contain the password.
 *
 * ### Examples
 * ```ts
 * const config = parseDatabaseConfig(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
 * console.log(`${config}`); // mysql://root:***@127.0.0.1:3306/test
 * ```
 */
export function parseDatabaseConfig(input: string | DatabaseOptions): DatabaseConfig {
  const raw = typeof input === 'string' ? { url: input } : input;
  const fields = 'url' in raw && typeof raw.url === 'string' ? fieldsFromUrl(raw.url, raw) : raw;
  const result = optionsSchema.safeParse(fields);
  if (!result.success) {
    throw InvalidConfigError.fromZod('database options', result.error, {
      hint: 'Use mysql://user:password@host:port/database or pass { host, port, user, password, database }.',
    });
  }
  return makeConfig(result.data);
}

/** Replaces the password of a mysql:// URL with `***`; leaves other text unchanged. */
export function redactUrl(text: string): string {
  // Greedy up to the last @ before the path, so a password containing a raw @ is hidden whole.
  return text.replace(/((?:mysql|mariadb):\/\/[^:/@\s]*:)[^\s/]*@/gi, '$1***@');
}

function fieldsFromUrl(url: string, rest: object): Record<string, unknown> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidConfigError(
      'database URL',
      [{ path: 'url', message: `${JSON.stringify(redactUrl(url))} is not a URL` }],
      'Write it as mysql://user:password@host:port/database.',
    );
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new InvalidConfigError('database URL', [
      { path: 'url', message: `protocol ${parsed.protocol} is not supported (use mysql:// or mariadb://)` },
    ]);
  }
  const { url: _url, ...others } = rest as Record<string, unknown>;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const fields: Record<string, unknown> = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || undefined,
    port: parsed.port || undefined,
    user: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database: database || undefined,
    ...others,
  };
  for (const [key, value] of parsed.searchParams) {
    if (key === 'connectionLimit' || key === 'connectTimeoutMs') fields[key] = value;
  }
  return fields;
}

type ParsedOptions = z.output<typeof optionsSchema>;

function makeConfig(options: ParsedOptions): DatabaseConfig {
  const password = options.password;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const path = options.database ? `/${options.database}` : '';
  const user = encodeURIComponent(options.user);
  const redactedUrl = `mysql://${user}${password ? ':***' : ''}@${host}:${options.port}${path}`;
  const config: DatabaseConfig = {
    host: options.host,
    port: options.port,
    user: options.user,
    database: options.database,
    connectionLimit: options.connectionLimit,
    connectTimeoutMs: options.connectTimeoutMs,
    redactedUrl,
    password: undefined,
    withDatabase: (database) => makeConfig({ ...options, database }),
    toUrl: () => `mysql://${user}${password ? `:${encodeURIComponent(password)}` : ''}@${host}:${options.port}${path}`,
  };
  // The password is readable as a property but not enumerable, so JSON.stringify and inspect skip it.
  Object.defineProperty(config, 'password', { value: password, enumerable: false });
  Object.defineProperty(config, 'toString', { value: () => redactedUrl, enumerable: false });
  Object.defineProperty(config, 'toJSON', {
    value: () => ({ ...config, password: password ? '***' : undefined }),
    enumerable: false,
  });
  Object.defineProperty(config, Symbol.for('nodejs.util.inspect.custom'), {
    value: () => `DatabaseConfig(${redactedUrl})`,
    enumerable: false,
  });
  return Object.freeze(config);
}
