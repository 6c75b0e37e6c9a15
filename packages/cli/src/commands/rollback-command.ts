import type { Command } from 'commander';
import {
  executeRollback,
  flagNameSchema,
  InvalidConfigError,
  planRollback,
  RollbackRefusedError,
  SafemigError,
  type RollbackPlan,
  type RollbackResult,
} from '@safemig/core';
import { listTableSnapshots, restoreTableSnapshot } from '@safemig/testkit';
import { z } from 'zod';
import type { CliContext } from '../cli-context';

/**
 * The `rollback` section of `safemig.config.js`: flags to switch off on every rollback, on top of those the steps
 * of the rolled-back releases declare with `requires: [flagAt(...)]`.
 *
 * ### Examples
 * ```ts
 * module.exports = defineConfig({ rollback: { flags: ['external_order_status'] } });
 * ```
 */
export interface RollbackConfigSection {
  readonly flags?: readonly string[];
}

/** `rollback check` found that release N-1 cannot run on the current schema as it is. */
export const ROLLBACK_NOT_COMPATIBLE = 'SAFEMIG_ROLLBACK_NOT_COMPATIBLE';

const sectionSchema = z
  .object({ flags: z.array(flagNameSchema).optional() })
  .strict()
  .optional();

/**
 * `safemig rollback check --to <release>` and `safemig rollback --to <release> [--snapshot <name>] --by <name>`
 * (see docs/rollback-runbook.md).
 */
export function registerRollbackCommand(program: Command, context: CliContext): void {
  const rollback = program
    .command('rollback')
    .description('roll the database back to an earlier release: flags off, compensations, snapshot restore');
  rollback
    .command('check')
    .description('say whether release N-1 runs on the current schema, and what a rollback would do')
    .requiredOption('--to <release>', 'the release to go back to, e.g. 1.0.0')
    .action(async (options: { to: string }) => {
      const plan = await planRollback(context.db, context.migrationSource, planOptions(context, options.to));
      const snapshots = plan.verdict === 'refused' ? await snapshotNames(context) : [];
      context.print({ ...plan, snapshots }, () => renderPlan(plan, snapshots));
      if (plan.verdict !== 'compatible') {
        throw new SafemigError(
          ROLLBACK_NOT_COMPATIBLE,
          `Release ${plan.to} cannot run on the current schema as it is (verdict: ${plan.verdict}).`,
          {
            hint:
              plan.verdict === 'refused'
                ? 'See the reasons above: restore a table snapshot with `safemig rollback --to <release> --snapshot <name>`, or a whole-database backup.'
                : `Run \`safemig rollback --to ${plan.to} --by <you>\` to compensate.`,
          },
        );
      }
    });
  rollback
    .command('run', { isDefault: true })
    .description('execute the rollback (default when no subcommand is given)')
    .requiredOption('--to <release>', 'the release to go back to, e.g. 1.0.0')
    .option('--snapshot <name>', 'table snapshot to restore when contract steps ran (see `safemig snapshot list`)')
    .option('--keep-old', 'keep the replaced tables (safemig_old_<time>_<table>) when restoring the snapshot')
    .option('--by <who>', 'who rolls back (default: $SAFEMIG_USER or $USER); recorded in the flag audit')
    .action(async (options: { to: string; snapshot?: string; keepOld?: boolean; by?: string }) => {
      const section = context.config.config.migrations ?? {};
      const snapshot = options.snapshot;
      let result: RollbackResult;
      try {
        result = await executeRollback(context.db, context.migrationSource, {
          ...planOptions(context, options.to),
          by: options.by ?? context.io.env.SAFEMIG_USER ?? context.io.env.USER ?? '',
          logger: context.logger,
          lockTimeoutSeconds: section.lockTimeoutSeconds,
          ...(snapshot
            ? {
                restore: {
                  name: snapshot,
                  run: async (db) => {
                    await restoreTableSnapshot(db, snapshot, { keepOld: options.keepOld === true });
                  },
                },
              }
            : {}),
        });
      } catch (error) {
        if (!(error instanceof RollbackRefusedError) || error.plan.destructive.length === 0) throw error;
        const names = await snapshotNames(context);
        throw new RollbackRefusedError(
          error.plan,
          names.length > 0
            ? `Table snapshots of this schema, newest first: ${names.join(', ')}. If one was taken before ${error.plan.destructive.join(', ')} ran, run \`safemig rollback --to ${error.plan.to} --snapshot <name> --by <you>\`. Otherwise restore a whole-database backup (docs/rollback-runbook.md).`
            : `There is no table snapshot of this schema (\`safemig snapshot list\`): restore a whole-database backup taken before ${error.plan.destructive.join(', ')} ran (docs/rollback-runbook.md).`,
        );
      }
      context.print(result, () => renderResult(result));
    });
}

function planOptions(context: CliContext, to: string) {
  const parsed = sectionSchema.safeParse(context.config.config.rollback);
  if (!parsed.success) {
    throw InvalidConfigError.fromZod('config file', parsed.error, { prefix: ['rollback'] });
  }
  return {
    to,
    flags: parsed.data?.flags ?? [],
    migrationTable: context.config.config.migrations?.migrationTable,
  };
}

async function snapshotNames(context: CliContext): Promise<string[]> {
  const { snapshots } = await listTableSnapshots(context.db);
  return snapshots.map(
    (snapshot) =>
      `${snapshot.name} (${snapshot.createdAt.toISOString()}, ${snapshot.tables.map((t) => t.table).join(', ')})`,
  );
}

/** The plan as `rollback check` prints it. */
export function renderPlan(plan: RollbackPlan, snapshots: readonly string[] = []): string {
  const verdicts = {
    compatible: `compatible: release ${plan.to} runs on the current schema as it is.`,
    'needs-compensation': `needs compensation: run \`safemig rollback --to ${plan.to}\` before release ${plan.to} runs.`,
    refused: `refused: the schema cannot be brought back to release ${plan.to} by compensation.`,
  };
  const lines = [`Rollback to ${plan.to}: ${verdicts[plan.verdict]}`];
  if (plan.steps.length === 0) lines.push(`No step of a release after ${plan.to} ran.`);
  for (const step of plan.steps) {
    const action = {
      compensate: 'compensate() runs, bookkeeping cleared',
      keep: 'stays (no compensate(); N-1 ignores it)',
      restore: 'destructive part ran: only a snapshot restore undoes it',
    }[step.action];
    lines.push(`  ${step.className} (${step.phase ?? 'no phase'}, ${step.release}): ${action}`);
  }
  if (plan.compensations.length > 0) lines.push(`Compensation order: ${plan.compensations.join(' -> ')}`);
  lines.push(`Flags switched off: ${plan.flags.length > 0 ? plan.flags.join(', ') : '(none)'}`);
  for (const refusal of plan.refusals) lines.push(`Refused: ${refusal}`);
  if (plan.verdict === 'refused' && plan.destructive.length > 0) {
    lines.push(
      snapshots.length > 0
        ? `Table snapshots: ${snapshots.join('; ')}`
        : 'No table snapshot of this schema: restore a whole-database backup.',
    );
  }
  if (plan.unplaced.length > 0) lines.push(`Left alone (no release declared): ${plan.unplaced.join(', ')}`);
  return lines.join('\n');
}

function renderResult(result: RollbackResult): string {
  const lines = [`Rolled back to ${result.plan.to}.`];
  for (const change of result.flags) lines.push(`  flag ${change.name}: ${change.from} -> off`);
  if (result.restored) lines.push(`  restored table snapshot ${result.restored}`);
  for (const step of result.compensated) lines.push(`  compensated ${step}`);
  for (const step of result.kept) lines.push(`  kept ${step}`);
  if (result.compensated.length > 0) {
    lines.push('Compensated steps are pending again: `safemig migrate` re-runs them when the release is retried.');
  }
  return lines.join('\n');
}
