import type { Command } from 'commander';
import { flagHistory, getFlag, listFlags, setFlag, type Flag, type FlagState } from '@safemig/core';
import type { CliContext } from '../cli-context';

/** `safemig flag get|set|list`: the deactivation flags of the rollout, with their audit trail. */
export function registerFlagCommand(program: Command, context: CliContext): void {
  const flag = program.command('flag').description('read and switch deactivation flags (off -> dual -> new)');
  flag
    .command('get <name>')
    .description('show a flag and its history')
    .action(async (name: string) => {
      const current = await getFlag(context.db, name);
      const history = await flagHistory(context.db, name);
      context.print({ ...current, history }, () =>
        [
          renderFlag(current),
          ...history.map(
            (change) => `  ${change.at.toISOString()} ${change.from} -> ${change.to} by ${change.by}: ${change.reason}`,
          ),
        ].join('\n'),
      );
    });
  flag
    .command('set <name> <state>')
    .description('switch a flag to off, dual or new; recorded in the audit table')
    .requiredOption('--reason <why>', 'why the flag changes (stored in the audit table)')
    .option('--by <who>', 'who changes it (default: $SAFEMIG_USER or $USER)')
    .option('--force', 'allow off <-> new without dual (emergencies only)')
    .action(async (name: string, state: string, options: { reason: string; by?: string; force?: boolean }) => {
      const by = options.by ?? context.io.env.SAFEMIG_USER ?? context.io.env.USER ?? '';
      const change = await setFlag(context.db, name, state as FlagState, {
        by,
        reason: options.reason,
        force: options.force === true,
      });
      context.print(change ?? { name, unchanged: true, state }, () =>
        change
          ? `${name}: ${change.from} -> ${change.to} (by ${change.by})`
          : `${name} is already ${state}; nothing recorded.`,
      );
    });
  flag
    .command('list')
    .description('list every flag that was ever set')
    .action(async () => {
      const flags = await listFlags(context.db);
      context.print(flags, () => (flags.length === 0 ? 'No flags set.' : flags.map(renderFlag).join('\n')));
    });
}

function renderFlag(flag: Flag): string {
  return flag.updatedAt
    ? `${flag.name}  ${flag.state}  since ${flag.updatedAt.toISOString()} by ${flag.updatedBy}: ${flag.reason}`
    : `${flag.name}  ${flag.state}  (never set)`;
}
