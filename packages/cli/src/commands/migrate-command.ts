import type { Command } from 'commander';
import type { MigrateOptions, MigrationRunResult } from '@safemig/core';
import type { CliContext } from '../cli-context';
import { integerOption } from './options';

/** `safemig migrate` and `safemig migrate:destructive`, like Shopware's `database:migrate[-destructive]`. */
export function registerMigrateCommands(program: Command, context: CliContext): void {
  for (const destructive of [false, true]) {
    program
      .command(destructive ? 'migrate:destructive' : 'migrate')
      .description(
        destructive
          ? 'run updateDestructive() of steps whose update() ran (the contract phase, in a later release)'
          : 'run pending update() steps in timestamp order (the expand phase)',
      )
      .option(
        '--until <timestamp>',
        'only steps with a creation timestamp up to this one (inclusive)',
        integerOption('--until'),
      )
      .option('--limit <n>', 'run at most n steps (0: no limit)', integerOption('--limit'))
      .action(async (options: MigrateOptions) => {
        const migrator = context.migrator();
        const result = destructive ? await migrator.migrateDestructive(options) : await migrator.migrate(options);
        context.print(result, () => renderRun(result));
      });
  }
}

function renderRun(result: MigrationRunResult): string {
  const lines = result.executed.map((step) => `  ran ${step.className}.${step.mode}() in ${step.durationMs} ms`);
  const summary = `${result.executed.length} step(s) ran (${result.mode})${result.remaining ? `, ${result.remaining} left by --until/--limit` : ''}.`;
  return [...lines, summary].join('\n');
}
