import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  checkPlanFile,
  createPlanFile,
  DEFAULT_PLAN_FILE,
  planContentHash,
  planRollout,
  PlanOutOfDateError,
  readPlanFile,
  renderPlanMarkdown,
  writePlanFile,
  type PlanReview,
} from '@safemig/core';
import type { CliContext } from '../cli-context';

interface PlanOptions {
  readonly write?: boolean;
  readonly check?: boolean;
  readonly reviewer?: string;
  readonly file: string;
}

/**
 * `safemig plan`: the ordered rollout plan as markdown (or `--json`); `--write` writes the plan file, `--check`
 * fails when the code's plan differs from the committed file or nobody reviewed it.
 */
export function registerPlanCommand(program: Command, context: CliContext): void {
  program
    .command('plan')
    .description('build the rollout plan (releases -> steps, dependencies, prerequisites, locking, lint findings)')
    .option('--write', 'write the plan file (keeps the review when the content is unchanged)')
    .option('--reviewer <name>', 'with --write: record who reviewed the plan, dated today')
    .option('--check', 'fail when the code’s plan differs from the committed plan file or has no review')
    .option('--file <path>', 'plan file, relative to the config file', DEFAULT_PLAN_FILE)
    .action(async (options: PlanOptions) => {
      const file = context.config.resolvePath(options.file);
      const plan = await planRollout(context.db, context.migrationSource, {
        hostSchema: context.lintHostSchema,
        logger: context.logger,
      });
      if (options.check) {
        const result = checkPlanFile(plan, readPlanFile(file));
        if (!result.ok) {
          context.print({ file, ...result }, () => `${file} is out of date.`);
          throw new PlanOutOfDateError(file, result.problems);
        }
        context.print({ file, ...result }, () => `${file} matches the code and is reviewed.`);
        return;
      }
      if (options.write) {
        const previous = existsSync(file) ? readPlanFile(file) : undefined;
        const unchanged = previous?.generatedFrom.contentHash === planContentHash(plan);
        const review: PlanReview | { reviewer: string } | null = options.reviewer
          ? { reviewer: options.reviewer }
          : unchanged
            ? (previous?.review ?? null)
            : null;
        const planFile = createPlanFile(plan, review);
        writePlanFile(file, planFile);
        context.print({ file, contentHash: planFile.generatedFrom.contentHash, review: planFile.review }, () =>
          [
            `wrote ${file} (${planFile.generatedFrom.contentHash})`,
            planFile.review
              ? `reviewed by ${planFile.review.reviewer} on ${planFile.review.date}`
              : 'not reviewed: `safemig plan --check` fails until someone runs `safemig plan --write --reviewer <name>`',
          ].join('\n'),
        );
        return;
      }
      const planFile = createPlanFile(plan, null);
      context.print(planFile, () => renderPlanMarkdown(planFile).trimEnd());
    });
}
