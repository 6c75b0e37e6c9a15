import type { Command } from 'commander';
import type { MigrationStatus } from '@safemig/core';
import type { CliContext } from '../cli-context';

/** `safemig status`: every step of the configured source with its bookkeeping state. */
export function registerStatusCommand(program: Command, context: CliContext): void {
  program
    .command('status')
    .description('list every migration with its state (pending, updated, complete, failed)')
    .action(async () => {
      const status = await context.migrator().status();
      context.print(status, () => renderStatus(status));
    });
}

/** A fixed-width table of steps, with the stored error of failed steps underneath. */
export function renderStatus(status: readonly MigrationStatus[]): string {
  if (status.length === 0) return 'No migrations in the configured source.';
  const rows = status.map((step) => [
    step.name,
    step.state,
    step.update?.toISOString() ?? '-',
    step.updateDestructive?.toISOString() ?? '-',
  ]);
  const header = ['migration', 'state', 'update', 'update_destructive'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const failures = status
    .filter((step) => step.message)
    .map((step) => `\n${step.name} failed:\n  ${step.message!.split('\n').join('\n  ')}`);
  return [format(header), ...rows.map(format), ...failures].join('\n');
}
