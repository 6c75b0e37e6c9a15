import { readdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { MigrationSourceError } from '../errors';
import { isMigrationStepClass, type MigrationStep, type MigrationStepClass } from './migration-step';

/** Class (and file) names: `Migration` + the creation timestamp + what the step does. */
export const MIGRATION_NAME_PATTERN = /^Migration(\d{1,10})([A-Za-z0-9_]*)$/;

/** The largest creation timestamp the `migration.creation_timestamp` INT column holds. */
const MAX_TIMESTAMP = 2_147_483_647;

/** A step as the Migrator sees it. */
export interface LoadedMigration {
  /** The key in the bookkeeping table: the class name, prefixed with the source's namespace if it has one. */
  readonly className: string;
  /** The bare class name, e.g. `Migration1700000000CreateExternalOrder`. */
  readonly name: string;
  readonly timestamp: number;
  readonly step: MigrationStep;
  /** The file it was loaded from, for directory sources. */
  readonly file: string | undefined;
}

export interface MigrationSourceOptions {
  /**
   * Prefix of the bookkeeping key, like a PHP namespace in Shopware (`Swag\\ExternalOrders\\Migration`), so the
   * migrations of several plugins can share one `migration` table.
   */
  readonly namespace?: string;
}

export interface DirectorySourceOptions extends MigrationSourceOptions {
  /**
   * Load `.ts` files. Defaults to true under jest or another TypeScript loader, false otherwise; production loads
   * the compiled `.js`.
   */
  readonly typescript?: boolean;
}

/**
 * The ordered, validated set of steps a Migrator runs: from a list of classes or from a directory of
 * `Migration<timestamp><Name>` files.
 *
 * ### Examples
 * ```ts
 * const source = MigrationSource.fromDirectory(join(__dirname, 'migrations'), { namespace: 'ExternalOrders' });
 * const same = MigrationSource.fromClasses([Migration1700000000CreateExternalOrder]);
 * ```
 */
export class MigrationSource {
  readonly migrations: readonly LoadedMigration[];
  readonly namespace: string | undefined;

  private constructor(migrations: LoadedMigration[], namespace: string | undefined) {
    const byTimestamp = new Map<number, LoadedMigration>();
    for (const migration of migrations) {
      const other = byTimestamp.get(migration.timestamp);
      if (other) {
        throw new MigrationSourceError(
          `${migration.name} and ${other.name}${other.file ? ` (${other.file})` : ''} share the creation timestamp ${migration.timestamp}.`,
          {
            file: migration.file,
            hint: 'Every migration needs its own timestamp: give the newer one a later timestamp.',
          },
        );
      }
      byTimestamp.set(migration.timestamp, migration);
    }
    this.migrations = Object.freeze([...migrations].sort((a, b) => a.timestamp - b.timestamp));
    this.namespace = namespace;
  }

  /** A source from step classes. */
  static fromClasses(classes: readonly MigrationStepClass[], options: MigrationSourceOptions = {}): MigrationSource {
    return new MigrationSource(
      classes.map((stepClass) => load(stepClass, undefined, options.namespace)),
      options.namespace,
    );
  }

  /**
   * A source from every `Migration*.js` file in a directory (and `.ts` under a TypeScript loader). Each file must
   * export exactly one MigrationStep class with the file's name.
   */
  static fromDirectory(directory: string, options: DirectorySourceOptions = {}): MigrationSource {
    const dir = resolve(directory);
    const typescript = options.typescript ?? canLoadTypeScript();
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (error) {
      throw new MigrationSourceError(`cannot read the migration directory: ${(error as Error).message}`, {
        file: dir,
        cause: error,
      });
    }
    const chosen = new Map<string, string>();
    for (const entry of entries.sort()) {
      const extension = extname(entry);
      const name = basename(entry, extension);
      if (entry.endsWith('.d.ts') || /\.(test|spec)$/.test(name) || !name.startsWith('Migration')) continue;
      const isJs = extension === '.js' || extension === '.cjs';
      const isTs = extension === '.ts' || extension === '.cts';
      if (!isJs && !isTs) continue;
      if (isTs && !typescript) {
        if (!entries.some((other) => other === `${name}.js` || other === `${name}.cjs`)) {
          throw new MigrationSourceError(`is TypeScript, and this process cannot load TypeScript.`, {
            file: join(dir, entry),
            hint: 'Compile the migrations (tsc) and point the source at the .js output, or run under jest/ts-node.',
          });
        }
        continue;
      }
      // Under a TypeScript loader the .ts source wins over a stale compiled .js next to it.
      if (chosen.has(name) && isJs && typescript) continue;
      chosen.set(name, join(dir, entry));
    }
    const migrations = [...chosen.entries()].map(([name, file]) =>
      load(stepClassOf(file, name), file, options.namespace),
    );
    return new MigrationSource(migrations, options.namespace);
  }

  /** The step with this bookkeeping key or bare class name. */
  get(className: string): LoadedMigration | undefined {
    return this.migrations.find((migration) => migration.className === className || migration.name === className);
  }
}

function stepClassOf(file: string, expectedName: string): MigrationStepClass {
  let moduleExports: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    moduleExports = require(file) as Record<string, unknown>;
  } catch (error) {
    throw new MigrationSourceError(`cannot be loaded: ${(error as Error).message}`, { file, cause: error });
  }
  const classes = Object.values(moduleExports ?? {}).filter(isMigrationStepClass);
  const unique = [...new Set(classes)];
  if (unique.length === 0) {
    throw new MigrationSourceError('exports no MigrationStep class.', {
      file,
      hint: `Export the class: \`export class ${expectedName} extends MigrationStep { ... }\`.`,
    });
  }
  if (unique.length > 1) {
    throw new MigrationSourceError(
      `exports ${unique.length} MigrationStep classes (${unique.map((c) => c.name).join(', ')}).`,
      {
        file,
        hint: 'Put each migration in its own file named after its class.',
      },
    );
  }
  const stepClass = unique[0]!;
  if (stepClass.name !== expectedName) {
    throw new MigrationSourceError(`exports class ${stepClass.name}, but the file is named ${expectedName}.`, {
      file,
      hint: 'Name the file after the class it exports.',
    });
  }
  return stepClass;
}

function load(stepClass: MigrationStepClass, file: string | undefined, namespace: string | undefined): LoadedMigration {
  if (!isMigrationStepClass(stepClass)) {
    throw new MigrationSourceError(
      `${String((stepClass as { name?: unknown })?.name ?? stepClass)} is not a MigrationStep class.`,
      { file },
    );
  }
  const name = stepClass.name;
  const match = MIGRATION_NAME_PATTERN.exec(name);
  if (!match) {
    throw new MigrationSourceError(`class ${name} is not named Migration<timestamp><Name>.`, {
      file,
      hint: 'Name it like Migration1700000000CreateExternalOrder, the digits being getCreationTimestamp().',
    });
  }
  const step = new stepClass();
  const timestamp = step.getCreationTimestamp();
  if (!Number.isInteger(timestamp) || timestamp <= 0 || timestamp > MAX_TIMESTAMP) {
    throw new MigrationSourceError(
      `${name}.getCreationTimestamp() returned ${timestamp}, which is not a positive INT.`,
      { file },
    );
  }
  if (Number(match[1]) !== timestamp) {
    throw new MigrationSourceError(
      `class ${name} carries the timestamp ${match[1]} in its name, but getCreationTimestamp() returns ${timestamp}.`,
      { file, hint: 'The digits in the class name and getCreationTimestamp() must be the same number.' },
    );
  }
  const className = namespace ? `${namespace}\\${name}` : name;
  if (className.length > 255) {
    throw new MigrationSourceError(`the bookkeeping key ${className} is longer than 255 characters.`, { file });
  }
  return Object.freeze({ className, name, timestamp, step, file });
}

function canLoadTypeScript(): boolean {
  // jest transforms .ts itself; ts-node and similar loaders register a require hook for .ts.
  return process.env.JEST_WORKER_ID !== undefined || require.extensions['.ts'] !== undefined;
}
