import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type LogEvent } from 'kysely';
import { createDatabase, databaseConfigOf, getServerInfo } from '../database';
import { LintScratchSchemaError, type MigrationMode } from '../errors';
import { SILENT_LOGGER, type Logger } from '../logging';
import { analyzeRollout, bindStepContext, type MigrationSource, type ResolvedStep } from '../migration';
import { quoteIdentifier } from '../sql';
import { describeOperation, type LockEstimate } from './expected-locking';
import type { LintFinding } from './lint-finding';
import { LINT_RULES, type LintRuleCode } from './lint-rules';
import { readSchemaSnapshot, readTableRowEstimates, type SchemaSnapshot } from './schema-snapshot';
import { inlineParameters, parseStatement } from './statement-parser';
import { operationsOf } from './statement-operations';
import { judgeStatement } from './statement-rules';

/** Tables holding at least this many rows (per the target's estimates) count as large for SM009. */
export const DEFAULT_LARGE_TABLE_ROWS = 100_000;

export interface LintOptions {
  /** Row estimate from which a copying or locking change counts as a large-table rebuild (SM009). */
  readonly largeTableRows?: number;
  /**
   * Read the target schema's row estimates for SM009 (default true). The plan turns this off, so the committed plan
   * does not depend on the data of the database it was generated against.
   */
  readonly useTargetRowEstimates?: boolean;
  /**
   * Creates, in the scratch schema, the host application's tables the plugin's migrations build on (for a Shopware
   * plugin: the core tables it references, such as `sales_channel`). Runs before the first step; its statements are
   * not judged.
   */
  readonly hostSchema?: (scratch: Kysely<any>) => Promise<void>;
  readonly logger?: Logger;
}

/** One write or DDL statement a step issued on the scratch schema. */
export interface LintedStatement {
  readonly step: string;
  readonly className: string;
  readonly phase: MigrationMode;
  /** With parameters inlined, whitespace collapsed. */
  readonly sql: string;
  readonly operations: readonly string[];
  readonly locking: readonly LockEstimate[];
  /** The destructive operations among `operations`. */
  readonly destructive: readonly string[];
}

/** What `lintSource` found. */
export interface LintReport {
  /** The server the scratch schema ran on, e.g. `10.11.19-MariaDB-0+deb12u1`. */
  readonly server: string;
  readonly findings: readonly LintFinding[];
  readonly statements: readonly LintedStatement[];
  /** Findings of severity error that no suppression covers: `safemig lint` fails when this is not 0. */
  readonly errors: number;
  readonly warnings: number;
  readonly suppressed: number;
}

const SCHEMA_CHANGE = /^\s*(ALTER|CREATE|DROP|RENAME|TRUNCATE)\b/i;
const READ = /^\s*(SELECT|SHOW|DESCRIBE|DESC|EXPLAIN)\b/i;

/**
 * Runs every step of the source on a scratch schema (`safemig_lint_<random>` on the same server, dropped afterwards):
 * first each `update()` in timestamp order, then each `updateDestructive()`, as `migrate` and `migrate:destructive`
 * would. It captures each statement through a kysely `log` callback, parses it with node-sql-parser, and judges it
 * against the scratch schema as it was right before the statement. Unparseable statements are findings (SM000).
 *
 * ### Examples
 * ```ts
 * const report = await lintSource(db, source, { largeTableRows: 500_000 });
 * for (const finding of report.findings) console.log(finding.code, finding.step, finding.message);
 * if (report.errors > 0) process.exitCode = 1;
 * ```
 */
export async function lintSource(
  db: Kysely<any>,
  source: MigrationSource,
  options: LintOptions = {},
): Promise<LintReport> {
  const config = databaseConfigOf(db);
  if (!config) throw new LintScratchSchemaError('the database handle was not created by createDatabase()');
  const logger = options.logger ?? SILENT_LOGGER;
  const largeTableRows = options.largeTableRows ?? DEFAULT_LARGE_TABLE_ROWS;
  if (!Number.isInteger(largeTableRows) || largeTableRows < 0) {
    throw new TypeError(`largeTableRows must be a non-negative integer, got ${largeTableRows}`);
  }
  const targetRows = options.useTargetRowEstimates === false ? undefined : await readTableRowEstimates(db);
  const steps = analyzeRollout(source).steps;
  const scratchName = `safemig_lint_${randomBytes(6).toString('hex')}`;
  const admin = createDatabase(config.withDatabase(undefined));
  try {
    await sql`CREATE DATABASE ${sql.raw(quoteIdentifier(scratchName))} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(
      admin,
    );
  } catch (error) {
    await admin.destroy();
    throw new LintScratchSchemaError(`CREATE DATABASE ${scratchName} failed: ${(error as Error).message}`, error);
  }
  const scratchConfig = config.withDatabase(scratchName);
  const introspection = createDatabase(scratchConfig);
  const session = new LintSession(introspection, targetRows, largeTableRows);
  const scratch = createDatabase(scratchConfig, { log: (event: LogEvent) => session.onQuery(event) });
  try {
    const server = await getServerInfo(introspection);
    // The host's tables are created through the connection that is not logged, so they are not judged.
    if (options.hostSchema) await options.hostSchema(introspection);
    await session.start(server.supportsInstantAddColumn);
    logger.info(
      { scratch: scratchName, steps: steps.length },
      `safemig lint: running ${steps.length} step(s) on ${scratchName}`,
    );
    const updated = new Set<ResolvedStep>();
    for (const mode of ['update', 'updateDestructive'] as const) {
      for (const step of steps) {
        if (mode === 'updateDestructive' && !updated.has(step)) continue;
        if (await session.run(step, mode, scratch, logger)) updated.add(step);
      }
    }
    return session.report(server.version, steps);
  } finally {
    await scratch.destroy().catch(() => undefined);
    await introspection.destroy().catch(() => undefined);
    await sql`DROP DATABASE IF EXISTS ${sql.raw(quoteIdentifier(scratchName))}`.execute(admin).catch(() => undefined);
    await admin.destroy().catch(() => undefined);
  }
}

/** The part of a step that is running, and what it looked up so far. */
interface ActiveStep {
  readonly step: ResolvedStep;
  readonly mode: MigrationMode;
  /** The schema when this part began: tables missing from it are new and hold no rows. */
  readonly phaseStart: SchemaSnapshot;
  readonly guards: Set<string>;
}

/** The state of one lint run: which step runs, the schema before the next statement, the findings so far. */
class LintSession {
  readonly #introspection: Kysely<any>;
  readonly #targetRows: ReadonlyMap<string, number> | undefined;
  readonly #largeTableRows: number;
  readonly #findings: Omit<LintFinding, 'suppressed' | 'alternative' | 'severity'>[] = [];
  readonly #statements: LintedStatement[] = [];
  #supportsInstantAddColumn = false;
  #current: SchemaSnapshot = new Map();
  #active: ActiveStep | undefined;

  constructor(introspection: Kysely<any>, targetRows: ReadonlyMap<string, number> | undefined, largeTableRows: number) {
    this.#introspection = introspection;
    this.#targetRows = targetRows;
    this.#largeTableRows = largeTableRows;
  }

  async start(supportsInstantAddColumn: boolean): Promise<void> {
    this.#supportsInstantAddColumn = supportsInstantAddColumn;
    this.#current = await readSchemaSnapshot(this.#introspection);
  }

  /** Runs one part of one step; returns whether it completed. */
  async run(step: ResolvedStep, mode: MigrationMode, scratch: Kysely<any>, logger: Logger): Promise<boolean> {
    const { migration } = step;
    this.#active = { step, mode, phaseStart: this.#current, guards: new Set() };
    // Blue-green on, so trigger SQL is captured and checked too.
    bindStepContext(migration.step, { logger, blueGreen: true });
    try {
      if (mode === 'update') await migration.step.update(scratch);
      else await migration.step.updateDestructive(scratch);
      return true;
    } catch (error) {
      this.#add('SM014', undefined, undefined, `${mode}() threw on the scratch schema: ${(error as Error).message}`);
      return false;
    } finally {
      this.#active = undefined;
      this.#current = await readSchemaSnapshot(this.#introspection);
    }
  }

  async onQuery(event: LogEvent): Promise<void> {
    const active = this.#active;
    if (!active) return;
    const text = inlineParameters(event.query.sql, event.query.parameters);
    if (READ.test(text)) {
      // Existence guards: remember the names the step looked up; reads are never findings.
      if (/information_schema/i.test(text)) {
        for (const match of text.matchAll(/'((?:[^'\\]|\\.)*)'/g)) active.guards.add(match[1]!.toLowerCase());
        return;
      }
    }
    const failed = event.level === 'error';
    if (!failed) this.#judge(text, active);
    if (SCHEMA_CHANGE.test(text)) this.#current = await readSchemaSnapshot(this.#introspection);
  }

  #judge(text: string, active: ActiveStep): void {
    const parsed = parseStatement(text);
    if (!parsed.ok) {
      this.#add('SM000', undefined, text, `node-sql-parser cannot parse it: ${parsed.error}`);
      return;
    }
    for (const ast of parsed.asts) {
      const statement = operationsOf(ast);
      if (statement.operations.every((operation) => operation.kind === 'read')) continue;
      const verdict = judgeStatement(statement, {
        metadata: active.step.metadata,
        mode: active.mode,
        before: this.#current,
        phaseStart: active.phaseStart,
        guards: active.guards,
        targetRows: this.#targetRows,
        largeTableRows: this.#largeTableRows,
        supportsInstantAddColumn: this.#supportsInstantAddColumn,
      });
      for (const hit of verdict.hits) this.#add(hit.code, hit.table, text, hit.message);
      this.#statements.push({
        step: active.step.migration.name,
        className: active.step.migration.className,
        phase: active.mode,
        sql: text,
        operations: statement.operations.map(describeOperation),
        locking: verdict.locking,
        destructive: verdict.destructive.map(describeOperation),
      });
    }
  }

  #add(code: LintRuleCode, table: string | undefined, statement: string | undefined, message: string): void {
    const active = this.#active!;
    this.#findings.push({
      code,
      step: active.step.migration.name,
      className: active.step.migration.className,
      phase: active.mode,
      table,
      statement,
      message,
    });
  }

  report(server: string, steps: readonly ResolvedStep[]): LintReport {
    const suppressionsOf = new Map(
      steps.map((step) => [step.migration.className, step.metadata.lintSuppressions ?? []]),
    );
    const findings: LintFinding[] = this.#findings.map((finding) => {
      const rule = LINT_RULES[finding.code];
      const suppression = suppressionsOf
        .get(finding.className)
        ?.find((candidate) => candidate?.code === finding.code && String(candidate.reason ?? '').trim().length > 0);
      return {
        ...finding,
        severity: rule.severity,
        alternative: rule.alternative,
        ...(suppression ? { suppressed: { reason: suppression.reason } } : {}),
      };
    });
    const active = findings.filter((finding) => !finding.suppressed);
    return {
      server,
      findings,
      statements: this.#statements,
      errors: active.filter((finding) => finding.severity === 'error').length,
      warnings: active.filter((finding) => finding.severity === 'warning').length,
      suppressed: findings.length - active.length,
    };
  }
}
