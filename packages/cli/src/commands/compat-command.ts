import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  CompatCheckFailedError,
  parseCompatSection,
  renderMarkdownReport,
  runCompatPlan,
  undoFix,
  UnknownCompatPlanError,
  type CompatReport,
} from '@safemig/compat';
import { InvalidConfigError } from '@safemig/core';
import type { CliContext } from '../cli-context';

interface CompatOptions {
  readonly plan?: string;
  readonly fix?: boolean;
  readonly dryRun?: boolean;
  readonly snapshotViews?: boolean;
  readonly report?: string;
  readonly undo?: string;
}

/**
 * `safemig compat [--plan <migration>] [--fix] [--dry-run] [--report <file.md>] [--undo <run-id>]`: runs the check
 * plans of the config's `compat` section and prints the compatibility report (markdown, or JSON with `--json`).
 * Exits with FAILURE when an error finding remains or a view changed.
 */
export function registerCompatCommand(program: Command, context: CliContext): void {
  program
    .command('compat')
    .description('check legacy data against the planned schema; --fix applies the configured fixes (audited, undoable)')
    .option('--plan <migration>', 'only the plan of this migration')
    .option('--fix', 'apply the fixes attached to checks with findings, then re-check')
    .option('--dry-run', 'with --fix: show what the fixes would change, write nothing')
    .option('--snapshot-views', 'take new snapshots of the application views instead of comparing')
    .option('--report <file>', 'also write the markdown report to this file')
    .option('--undo <run-id>', 'undo every change a --fix run made (from the audit table), then stop')
    .action(async (options: CompatOptions) => {
      if (options.undo) {
        const result = await undoFix(context.db, options.undo, { logger: context.logger });
        context.print(result, () =>
          result.changes.length === 0
            ? `Nothing to undo for run ${options.undo}.`
            : result.changes
                .map(
                  (change) =>
                    `${change.fixId}: ${change.table}${change.column ? `.${change.column}` : ' (quarantined rows)'}: ${change.restored} restored, ${change.skipped} left (changed since the fix)`,
                )
                .join('\n'),
        );
        return;
      }
      if (options.dryRun && !options.fix) {
        throw new InvalidConfigError('command line', [{ path: '--dry-run', message: 'only makes sense with --fix' }]);
      }
      const section = parseCompatSection(context.config.config.compat);
      const plans = options.plan ? section.plans.filter((plan) => plan.migration === options.plan) : section.plans;
      if (plans.length === 0)
        throw new UnknownCompatPlanError(
          options.plan ?? '',
          section.plans.map((plan) => plan.migration),
        );
      const reports: CompatReport[] = [];
      for (const plan of plans) {
        reports.push(
          await runCompatPlan(context.db, plan, {
            fix: options.fix,
            dryRun: options.dryRun,
            snapshotViews: options.snapshotViews,
            sampleSize: section.sampleSize,
            logger: context.logger,
          }),
        );
      }
      const markdown = reports.map(renderMarkdownReport).join('\n');
      if (options.report) await writeFile(resolve(context.io.cwd, options.report), markdown);
      context.print(reports, () => markdown);
      const failed = reports.filter((report) => !report.passed);
      if (failed.length > 0) {
        throw new CompatCheckFailedError(
          failed.map((report) => report.plan),
          failed.reduce((sum, report) => sum + report.summary.errorFindings, 0),
        );
      }
    });
}
