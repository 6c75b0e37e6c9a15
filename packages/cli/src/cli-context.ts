import {
  createDatabase,
  DEFAULT_DATABASE_URL,
  InvalidConfigError,
  MigrationSource,
  Migrator,
  type Logger,
} from '@safemig/core';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { loadConfigFile, type LoadedConfig } from './config/safemig-config';

/** Where the command reads and writes; tests pass their own to capture output. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Whether stderr is an interactive terminal: progress bars and human log lines instead of JSON. */
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface GlobalOptions {
  readonly config?: string;
  readonly databaseUrl?: string;
  readonly json?: boolean;
  readonly logLevel?: string;
}

/**
 * Everything a command needs, created lazily so `safemig --help` touches neither the config nor the database.
 * Resources opened through the context are closed by {@link CliContext.close}.
 */
export class CliContext {
  readonly io: CliIo;
  readonly #options: () => GlobalOptions;
  #config: LoadedConfig | undefined;
  #db: Kysely<any> | undefined;
  #logger: Logger | undefined;

  constructor(io: CliIo, options: () => GlobalOptions) {
    this.io = io;
    this.#options = options;
  }

  get options(): GlobalOptions {
    return this.#options();
  }

  /** The validated config file (or defaults when there is none). */
  get config(): LoadedConfig {
    this.#config ??= loadConfigFile(this.options.config, this.io.cwd);
    return this.#config;
  }

  /** The connection: `--database-url`, else `DATABASE_URL`, else the config's `database`, else the local default. */
  get db(): Kysely<any> {
    this.#db ??= createDatabase(
      this.options.databaseUrl ?? this.io.env.DATABASE_URL ?? this.config.config.database ?? DEFAULT_DATABASE_URL,
    );
    return this.#db;
  }

  /** pino JSON lines on stderr, or short human lines on a terminal. */
  get logger(): Logger {
    this.#logger ??= createCliLogger(this.io, this.options.logLevel ?? 'info');
    return this.#logger;
  }

  /** The migration source from the config's `migrations` section. */
  get migrationSource(): MigrationSource {
    const section = this.config.config.migrations;
    if (section?.source) return section.source;
    if (!section?.directory) {
      throw new InvalidConfigError('configuration', [
        {
          path: 'migrations.directory',
          message: `is not set${this.config.file ? ` in ${this.config.file}` : ' (no safemig.config.js found)'}`,
        },
      ]);
    }
    return MigrationSource.fromDirectory(this.config.resolvePath(section.directory), { namespace: section.namespace });
  }

  /** A Migrator over {@link migrationSource} with the config's lock and table settings. */
  migrator(): Migrator {
    const section = this.config.config.migrations ?? {};
    return new Migrator({
      db: this.db,
      source: this.migrationSource,
      logger: this.logger,
      lockTimeoutSeconds: section.lockTimeoutSeconds,
      migrationTable: section.migrationTable,
      blueGreen: section.blueGreen,
    });
  }

  /**
   * The config's `lint.hostSchema`: creates the host application's tables (Shopware core tables the plugin references)
   * in the linter's scratch schema before the plugin's first step. Used by `lint` and `plan`.
   */
  get lintHostSchema(): ((scratch: Kysely<any>) => Promise<void>) | undefined {
    const section = this.config.config.lint as { readonly hostSchema?: unknown } | undefined;
    if (section?.hostSchema === undefined) return undefined;
    if (typeof section.hostSchema !== 'function') {
      throw new InvalidConfigError('configuration', [
        { path: 'lint.hostSchema', message: 'must be a function (scratch: Kysely<any>) => Promise<void>' },
      ]);
    }
    return section.hostSchema as (scratch: Kysely<any>) => Promise<void>;
  }

  /** Prints a result: JSON with `--json`, the human rendering otherwise. */
  print(value: unknown, human: () => string): void {
    this.io.stdout.write(this.options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
  }

  async close(): Promise<void> {
    await this.#db?.destroy();
    this.#db = undefined;
  }
}

function createCliLogger(io: CliIo, level: string): Logger {
  if (!io.isTTY) {
    return pino({ level, base: undefined }, { write: (line: string) => io.stderr.write(line) });
  }
  const levels = ['debug', 'info', 'warn', 'error'];
  const threshold = Math.max(0, levels.indexOf(level));
  const line = (name: string) => (object: object, message?: string) => {
    if (levels.indexOf(name) < threshold) return;
    const details = Object.entries(object)
      .filter(([key]) => key !== 'err')
      .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
      .join(' ');
    io.stderr.write(
      `${name === 'info' ? '' : `${name.toUpperCase()} `}${message ?? ''}${details ? `  (${details})` : ''}\n`,
    );
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
