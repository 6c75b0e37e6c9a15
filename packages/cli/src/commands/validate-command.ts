import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidConfigError } from '@safemig/core';
import type { CliContext } from '../cli-context';
import {
  captureBaseline,
  DEFAULT_MANUAL_ITEMS,
  parseValidationConfig,
  renderValidationMarkdown,
  runValidation,
  storeSignOff,
  UnknownSignOffItemError,
  ValidationFailedError,
  type ValidationContext,
} from '../validate';

interface ValidateOptions {
  readonly captureBaseline?: boolean;
  readonly signOff?: string;
  readonly by?: string;
  readonly report?: string;
}

/**
 * `safemig validate [--capture-baseline] [--sign-off <item> --by <name>] [--report file.md]` (and the global
 * `--json`): the post-migration checklist of docs/validation-checklist.md. Exits non-zero when an automated item fails.
 */
export function registerValidateCommand(program: Command, context: CliContext): void {
  program
    .command('validate')
    .description('post-migration checklist against the baseline; --capture-baseline before the deploy')
    .option('--capture-baseline', 'store row counts and checksums per table as the baseline (starts a new cycle)')
    .option('--sign-off <item>', 'record a manual item as done (needs --by)')
    .option('--by <name>', 'who captures the baseline or signs off')
    .option('--report <file>', 'also write the checklist as markdown to this file')
    .action(async (options: ValidateOptions) => {
      const validation: ValidationContext = {
        db: context.db,
        config: parseValidationConfig(context.config.config.validation),
        backfills: context.config.config.backfills,
        migrationTable: context.config.config.migrations?.migrationTable ?? 'migration',
        resolvePath: (path) => context.config.resolvePath(path),
      };
      if (options.captureBaseline && options.signOff) {
        throw new InvalidConfigError('validate options', [
          { path: '--capture-baseline', message: 'cannot be combined with --sign-off' },
        ]);
      }
      if (options.captureBaseline) {
        const by = options.by ?? context.io.env.SAFEMIG_USER ?? context.io.env.USER ?? 'safemig';
        const baseline = await captureBaseline(validation, by);
        context.print({ baseline }, () =>
          [
            `Baseline captured for ${baseline.length} table(s) by ${by}; earlier sign-offs cleared.`,
            ...baseline.map((entry) => `  ${entry.table}: ${entry.rows} rows, checksum ${entry.checksum}`),
          ].join('\n'),
        );
        return;
      }
      if (options.signOff !== undefined) {
        const items = validation.config.manual ?? DEFAULT_MANUAL_ITEMS;
        if (!items.includes(options.signOff)) throw new UnknownSignOffItemError(options.signOff, items);
        if (!options.by?.trim()) {
          throw new InvalidConfigError('validate options', [
            { path: '--by', message: 'is required with --sign-off: name who signs off' },
          ]);
        }
        const signOff = await storeSignOff(context.db, options.signOff, options.by.trim());
        context.print(signOff, () => `${signOff.item} signed off by ${signOff.by} at ${signOff.at.toISOString()}.`);
        return;
      }
      const report = await runValidation(validation);
      const markdown = renderValidationMarkdown(report);
      if (options.report) writeFileSync(resolve(context.io.cwd, options.report), markdown);
      context.print(report, () => markdown.trimEnd());
      const failed = report.items.filter((item) => item.kind === 'automated' && item.status === 'fail');
      if (failed.length > 0) throw new ValidationFailedError(failed.map((item) => item.id));
    });
}
