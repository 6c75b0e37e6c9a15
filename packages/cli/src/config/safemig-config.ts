import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InvalidConfigError, MigrationSource, type DatabaseOptions } from '@safemig/core';
import type { Kysely } from 'kysely';
import { z } from 'zod';

/**
 * The project's `safemig.config.js` (or `.ts` under a TypeScript loader). Each package's section is optional; a
 * command that needs a section it cannot find says so.
 *
 * ### Examples
 * ```ts
 * // safemig.config.ts
 * import { defineConfig } from '@safemig/cli';
 * export const config = defineConfig({
 *   migrations: { directory: 'src/Migration', namespace: 'ExternalOrders\\Migration' },
 * });
 * ```
 */
export interface SafemigConfig {
  /** Connection; `--database-url` and `DATABASE_URL` take precedence. */
  readonly database?: string | DatabaseOptions;
  readonly migrations?: {
    /** Directory of `Migration<timestamp><Name>` files, relative to the config file. */
    readonly directory?: string;
    /** Or the step classes themselves. */
    readonly source?: MigrationSource;
    readonly namespace?: string;
    readonly migrationTable?: string;
    readonly lockTimeoutSeconds?: number;
    readonly blueGreen?: boolean;
  };
  readonly lint?: {
    /** Creates the host application's tables (e.g. Shopware's `sales_channel`) in the linter's scratch schema. */
    readonly hostSchema?: (scratch: Kysely<any>) => Promise<void>;
  };
  /** Further sections (backfills, compat, validation, ...) are read by the commands that own them. */
  readonly [section: string]: unknown;
}

/** Identity function that gives a config file its types. */
export function defineConfig<T extends SafemigConfig>(config: T): T {
  return config;
}

/** Default file names looked up in the working directory, in this order. */
export const CONFIG_FILE_NAMES = ['safemig.config.js', 'safemig.config.cjs', 'safemig.config.ts'] as const;

export interface LoadedConfig {
  readonly config: SafemigConfig;
  /** Absolute path of the file, or undefined when none was found and defaults apply. */
  readonly file: string | undefined;
  /** Resolves a path from the config relative to the config file's directory. */
  resolvePath(path: string): string;
}

const migrationsSchema = z
  .object({
    directory: z.string().min(1).optional(),
    source: z
      .custom<MigrationSource>((value) => value instanceof MigrationSource, 'must be a MigrationSource')
      .optional(),
    namespace: z.string().min(1).optional(),
    migrationTable: z.string().optional(),
    lockTimeoutSeconds: z.number().int().min(0).optional(),
    blueGreen: z.boolean().optional(),
  })
  .strict()
  .optional();

/**
 * Loads and validates the config file. An explicitly named file that does not exist is an error; without a name,
 * the default names are tried and a missing file means "defaults only".
 */
export function loadConfigFile(explicitPath: string | undefined, cwd: string = process.cwd()): LoadedConfig {
  const file = explicitPath
    ? resolve(cwd, explicitPath)
    : CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate));
  if (explicitPath && !existsSync(file!)) {
    throw new InvalidConfigError('config file', [{ path: 'config', message: `${file} does not exist` }]);
  }
  const base = file ? dirname(file) : cwd;
  const resolvePath = (path: string) => (isAbsolute(path) ? path : resolve(base, path));
  if (!file) return { config: {}, file: undefined, resolvePath };
  let exported: unknown;
  try {
    // The config is code (it may import migration classes), so it is loaded like a module, not parsed as data.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(file);
  } catch (error) {
    throw new InvalidConfigError('config file', [
      { path: file, message: `cannot be loaded: ${(error as Error).message}` },
    ]);
  }
  const config = pickConfig(exported);
  if (!config) {
    throw new InvalidConfigError('config file', [
      {
        path: file,
        message:
          'exports no configuration object (use `module.exports = defineConfig({...})` or `export const config`)',
      },
    ]);
  }
  const migrations = migrationsSchema.safeParse(config.migrations);
  if (!migrations.success) {
    throw InvalidConfigError.fromZod(`config file ${file}`, migrations.error, { prefix: ['migrations'] });
  }
  return { config, file, resolvePath };
}

function pickConfig(exported: unknown): SafemigConfig | undefined {
  if (!exported || typeof exported !== 'object') return undefined;
  const candidates = exported as Record<string, unknown>;
  const value = candidates.config ?? candidates.default ?? exported;
  return value && typeof value === 'object' ? (value as SafemigConfig) : undefined;
}
