import { Command, CommanderError } from 'commander';
import { ERROR_CODES, SafemigError } from '@safemig/core';
import { CliContext, type CliIo, type GlobalOptions } from './cli-context';
import { BACKFILL_COMMAND_CODES, registerBackfillCommand } from './commands/backfill-command';
import { registerCompatCommand } from './commands/compat-command';
import { registerFlagCommand } from './commands/flag-command';
import { registerLintCommand } from './commands/lint-command';
import { registerMigrateCommands } from './commands/migrate-command';
import { registerPlanCommand } from './commands/plan-command';
import { registerRollbackCommand } from './commands/rollback-command';
import { registerSnapshotCommand } from './commands/snapshot-command';
import { registerStatusCommand } from './commands/status-command';
import { registerValidateCommand } from './commands/validate-command';
import { EXIT_CODES, type ExitCode } from './exit-codes';

/** The `safemig` program with every command registered on the given context. */
export function createProgram(context: CliContext): Command {
  const program = new Command('safemig')
    .description('Safe Shopware-style migrations for MySQL 8.0+ and MariaDB 10.11+')
    .option('-c, --config <file>', 'config file (default: safemig.config.js in the working directory)')
    .option('--database-url <url>', 'mysql://user:password@host:port/database (default: DATABASE_URL)')
    .option('--json', 'print results as JSON')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    });
  registerMigrateCommands(program, context);
  registerStatusCommand(program, context);
  registerPlanCommand(program, context);
  registerLintCommand(program, context);
  registerFlagCommand(program, context);
  registerCompatCommand(program, context);
  registerBackfillCommand(program, context);
  registerSnapshotCommand(program, context);
  registerRollbackCommand(program, context);
  registerValidateCommand(program, context);
  return program;
}

/**
 * Runs the command line and returns the exit code; never calls `process.exit` itself, so tests run it in-process.
 *
 * ### Examples
 * ```ts
 * process.exitCode = await runCli(process.argv);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  // The options are read lazily, after commander parsed them.
  const context = new CliContext(io, () => program.opts<GlobalOptions>());
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv]);
    return EXIT_CODES.OK;
  } catch (error) {
    return reportError(error, io);
  } finally {
    await context.close();
  }
}

function reportError(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    // commander already printed its message (or the help text) through configureOutput.
    return error.exitCode === 0 ? EXIT_CODES.OK : EXIT_CODES.USAGE;
  }
  if (error instanceof SafemigError) {
    io.stderr.write(`safemig: ${error.message}\n`);
    switch (error.code) {
      case ERROR_CODES.INVALID_CONFIG:
      case ERROR_CODES.INVALID_IDENTIFIER:
      case ERROR_CODES.MIGRATION_SOURCE:
        return EXIT_CODES.USAGE;
      case ERROR_CODES.MIGRATION_LOCKED:
      case BACKFILL_COMMAND_CODES.CLAIMED:
        return EXIT_CODES.LOCKED;
      case BACKFILL_COMMAND_CODES.PAUSED:
        return EXIT_CODES.PAUSED;
      case BACKFILL_COMMAND_CODES.UNKNOWN:
        return EXIT_CODES.USAGE;
      case ERROR_CODES.CONNECTION_FAILED:
        return EXIT_CODES.CONNECTION;
      default:
        return EXIT_CODES.FAILURE;
    }
  }
  const code = (error as { code?: unknown })?.code;
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ETIMEDOUT|ENOTFOUND|ER_ACCESS_DENIED_ERROR|ER_BAD_DB_ERROR)$/.test(code)
  ) {
    io.stderr.write(`safemig: cannot reach the database: ${(error as Error).message}\n`);
    return EXIT_CODES.CONNECTION;
  }
  io.stderr.write(`safemig: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT_CODES.FAILURE;
}

function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}
