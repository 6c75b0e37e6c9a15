import type { Command } from 'commander';
import { lintSource, LintFailedError, type LintReport } from '@safemig/core';
import type { CliContext } from '../cli-context';
import { integerOption } from './options';

/** `safemig lint`: runs every step on a scratch schema and flags unsafe SQL; exits non-zero on errors. */
export function registerLintCommand(program: Command, context: CliContext): void {
  program
    .command('lint')
    .description('run every step on a scratch schema and flag unsafe operations (rules in docs/lint.md)')
    .option(
      '--large-table-rows <n>',
      'row estimate from which a copying change counts as a large-table rebuild (SM009)',
      integerOption('--large-table-rows'),
    )
    .action(async (options: { readonly largeTableRows?: number }) => {
      const report = await lintSource(context.db, context.migrationSource, {
        largeTableRows: options.largeTableRows,
        hostSchema: context.lintHostSchema,
        logger: context.logger,
      });
      context.print(report, () => renderLintReport(report));
      if (report.errors > 0) throw new LintFailedError(report.errors);
    });
}

/** Findings grouped by step, each with the rule code, the part of the step, the reason and the safe alternative. */
export function renderLintReport(report: LintReport): string {
  const lines: string[] = [];
  const steps = [...new Set(report.findings.map((finding) => finding.step))];
  for (const step of steps) {
    lines.push(step);
    for (const finding of report.findings.filter((candidate) => candidate.step === step)) {
      const status = finding.suppressed ? `suppressed (${finding.suppressed.reason})` : finding.severity;
      lines.push(`  ${finding.code} ${status} in ${finding.phase}(): ${finding.message}`);
      if (finding.statement) lines.push(`    SQL: ${finding.statement}`);
      if (!finding.suppressed) lines.push(`    fix: ${finding.alternative}`);
    }
  }
  lines.push(
    `${report.errors} error(s), ${report.warnings} warning(s), ${report.suppressed} suppressed; ${report.statements.length} statement(s) checked on ${report.server}.`,
  );
  return lines.join('\n');
}
