import type { Finding } from '../finding';
import type { CompatReport } from './compat-report';

function cell(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
}

function findingRow(finding: Finding): string {
  const samples = finding.samples.map((sample) => `${cell(sample.key)} = ${cell(sample.value)}`).join('<br>');
  return `| ${finding.check} | ${finding.kind} | ${finding.table}${finding.column ? `.${finding.column}` : ''} | ${finding.severity} | ${finding.count} | ${samples} | ${cell(finding.suggestedFix)} |`;
}

/**
 * Renders a report as markdown: verdict, what was checked with counts, fixes applied, what remains, views.
 *
 * ### Examples
 * ```ts
 * await writeFile('compat-report.md', renderMarkdownReport(await runCompatPlan(db, plan)));
 * ```
 */
export function renderMarkdownReport(report: CompatReport): string {
  const lines = [
    `# Compatibility report: ${report.plan}`,
    '',
    `**${report.passed ? 'PASSED' : 'FAILED'}**: ${report.summary.errorFindings} error finding(s), ${report.summary.warningFindings} warning(s) remain; ${report.summary.rowsFixed} row(s) fixed.`,
    '',
    `- run: \`${report.runId}\` (${report.mode})`,
    `- server: ${report.server}, schema \`${report.schema}\``,
    `- started ${report.startedAt.toISOString()}, finished ${report.finishedAt.toISOString()}`,
    '',
    '## What was checked',
    '',
    '| check | finding | table.column | severity | count | samples (key = value) | suggested fix |',
    '| --- | --- | --- | --- | ---: | --- | --- |',
    ...report.checks.flatMap((check) => check.findings.map(findingRow)),
  ];
  const fixes = report.checks.filter((check) => check.fix);
  if (fixes.length > 0) {
    lines.push('', `## Fixes ${report.mode === 'dry-run' ? 'that would be applied (dry run)' : 'applied'}`, '');
    lines.push(
      '| check | strategy | table.column | action | audited rows | written |',
      '| --- | --- | --- | --- | ---: | ---: |',
    );
    for (const check of fixes) {
      for (const change of check.fix!.changes) {
        lines.push(
          `| ${check.id} | ${check.fix!.strategy} | ${change.table}${change.column ? `.${change.column}` : ''} | ${change.action} | ${change.rows} | ${change.written} |`,
        );
      }
    }
    if (report.mode === 'fix')
      lines.push('', `Undo every change of this run with \`safemig compat --undo ${report.runId}\`.`);
  }
  const remaining = report.checks.flatMap((check) =>
    check.remaining.filter((finding) => finding.count > 0 && finding.severity !== 'info'),
  );
  lines.push('', '## What remains', '');
  if (remaining.length === 0) lines.push('Nothing: every check is clean.');
  else
    lines.push(
      '| check | finding | table.column | severity | count | samples (key = value) | suggested fix |',
      '| --- | --- | --- | --- | ---: | --- | --- |',
      ...remaining.map(findingRow),
    );
  if (report.views.length > 0) {
    lines.push('', '## Application views', '', '| view | action | rows | result |', '| --- | --- | ---: | --- |');
    for (const view of report.views) {
      const result = view.comparison
        ? view.comparison.unchanged
          ? 'unchanged (count and checksum equal)'
          : `CHANGED: ${view.comparison.before.rowCount} -> ${view.comparison.after.rowCount} rows, ${view.comparison.differences.length} sampled row(s) differ`
        : 'snapshot taken';
      lines.push(`| ${view.name} | ${view.action} | ${view.rowCount} | ${result} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
