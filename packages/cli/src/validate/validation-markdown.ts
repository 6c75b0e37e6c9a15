import type { ChecklistItem, ValidationReport } from './checklist-item';

const MARKS: Readonly<Record<ChecklistItem['status'], string>> = {
  pass: '[x]',
  fail: '[ ]',
  skipped: '[-]',
  pending: '[ ]',
};

/**
 * The checklist as markdown, for the change ticket: a summary table, then each item with its findings.
 *
 * ### Examples
 * ```ts
 * writeFileSync('validation.md', renderValidationMarkdown(report));
 * ```
 */
export function renderValidationMarkdown(report: ValidationReport): string {
  const lines = [
    `# Post-migration validation: ${report.schema}`,
    '',
    `Generated ${report.generatedAt.toISOString()}; ${
      report.baseline
        ? `baseline captured ${report.baseline.capturedAt.toISOString()} by ${report.baseline.capturedBy}`
        : 'no baseline captured'
    }. Result: **${report.passed ? 'PASSED' : 'FAILED'}**.`,
    '',
    '| # | item | kind | result |',
    '| --- | --- | --- | --- |',
    ...report.items.map(
      (item, index) => `| ${index + 1} | ${item.title} | ${item.kind} | ${item.status.toUpperCase()} |`,
    ),
    '',
  ];
  for (const item of report.items) {
    lines.push(
      `- ${MARKS[item.status]} **${item.title}** (\`${item.id}\`, ${item.kind}): ${item.status.toUpperCase()}`,
    );
    for (const detail of item.details) lines.push(`  - ${detail}`);
  }
  return `${lines.join('\n')}\n`;
}
