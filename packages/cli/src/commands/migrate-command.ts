import { Option, type Command } from 'commander';
import { DESTRUCTIVE_MODES, type DestructiveMigrateOptions, type MigrationRunResult } from '@safemig/core';
import type { CliContext } from '../cli-context';
import { integerOption } from './options';

/** `safemig migrate` and `safemig migrate:destructive`, like Shopware's `database:migrate[-destructive]`. */
export function registerMigrateCommands(program: Command, context: CliContext): void {
  program
    .command('migrate')
    .description('run pending update() steps in timestamp order (the expand phase)')
    .option(
      '--until <timestamp>',
      'only steps with a creation timestamp up to this one (inclusive)',
      integerOption('--until'),
    )
    .option('--limit <n>', 'run at most n steps (0: no limit)', integerOption('--limit'))
    .action(async (options: DestructiveMigrateOptions) => {
      const result = await context.migrator().migrate(options);
      context.print(result, () => renderRun(result));
    });

  program
    .command('migrate:destructive')
    .description('run updateDestructive() of steps whose update() ran (the contract phase, in a later release)')
    .option(
      '--until <timestamp>',
      'only steps with a creation timestamp up to this one (inclusive)',
      integerOption('--until'),
    )
    .option('--limit <n>', 'run at most n steps (0: no limit)', integerOption('--limit'))
    .addOption(
      new Option('--mode <mode>', 'which releases may contract, like Shopware --version-selection-mode')
        .choices(DESTRUCTIVE_MODES)
        .default('safe'),
    )
    .option('--current-release <version>', 'the release being deployed (default: the newest release of a step)')
    .action(async (options: DestructiveMigrateOptions) => {
      const result = await context.migrator().migrateDestructive(options);
      context.print(result, () => renderRun(result));
    });
}

function renderRun(result: MigrationRunResult): string {
  const lines = result.executed.map((step) => `  ran ${step.className}.${step.mode}() in ${step.durationMs} ms`);
  const summary = `${result.executed.length} step(s) ran (${result.mode})${result.remaining ? `, ${result.remaining} left by --until/--limit` : ''}.`;
  const held =
    result.heldBack.length > 0 && result.gate
      ? [
          `${result.heldBack.length} step(s) held back by --mode ${result.gate.mode} (current release ${result.gate.currentRelease}): ${result.heldBack.join(', ')}.`,
          'They run with the next release, or now with --mode all.',
        ]
      : [];
  return [...lines, summary, ...held].join('\n');
}
