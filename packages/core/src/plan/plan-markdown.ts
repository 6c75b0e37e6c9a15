import type { PlanFile } from './plan-file';
import type { PlanStep, RolloutPlan } from './rollout-plan';

/**
 * The plan for people: releases -> steps with phase, dependencies, prerequisites, destructive operations, expected
 * locking and lint findings (suppressed ones with their reason).
 *
 * ### Examples
 * ```ts
 * process.stdout.write(renderPlanMarkdown(plan));
 * ```
 */
export function renderPlanMarkdown(plan: RolloutPlan | PlanFile): string {
  const lines: string[] = ['# Rollout plan', ''];
  if ('generatedFrom' in plan) {
    lines.push(`Content hash: \`${plan.generatedFrom.contentHash}\``);
    lines.push(plan.review ? `Reviewed by ${plan.review.reviewer} on ${plan.review.date}.` : 'Not reviewed yet.', '');
  }
  lines.push(
    'Order: expand -> adapt -> activate -> contract; contract steps run in a later release than their expand step.',
  );
  let index = 0;
  for (const release of plan.releases) {
    lines.push(
      '',
      `## ${release.release === null ? 'Steps without a release (oldest)' : `Release ${release.release}`}`,
    );
    for (const step of release.steps) {
      index += 1;
      lines.push('', ...renderStep(step, index));
    }
  }
  if (plan.issues.length > 0) {
    lines.push('', '## Ordering warnings', '');
    for (const issue of plan.issues)
      lines.push(`- **${issue.rule}** (${issue.severity}) ${issue.step}: ${issue.message}`);
  }
  return `${lines.join('\n')}\n`;
}

function renderStep(step: PlanStep, index: number): string[] {
  const lines = [`### ${index}. ${step.name} (${step.phase ?? 'no phase'})`, ''];
  if (step.description) lines.push(`${step.description}`, '');
  lines.push(`- Timestamp: ${step.timestamp}`);
  lines.push(
    `- Depends on: ${step.dependsOn.length === 0 ? 'nothing' : step.dependsOn.map((d) => `${d.step}${d.external ? ' (another plugin)' : ''}`).join(', ')}`,
  );
  lines.push(
    `- Requires: ${step.requires.length === 0 ? 'nothing' : step.requires.map((r) => `${r.description} (\`${r.id}\`)`).join('; ')}`,
  );
  lines.push(
    `- Destructive operations: ${step.destructiveOperations.length === 0 ? 'none' : step.destructiveOperations.map((d) => `${d.operation} in ${d.phase}()`).join('; ')}`,
  );
  if (step.expectedLocking.length === 0) {
    lines.push('- Expected locking: none');
  } else {
    lines.push(
      '- Expected locking:',
      '',
      '  | part | operation | algorithm | lock | rebuilds |',
      '  | --- | --- | --- | --- | --- |',
    );
    for (const lock of step.expectedLocking) {
      lines.push(
        `  | ${lock.phase}() | ${lock.operation} | ${lock.algorithm} | ${lock.lock} | ${lock.rebuildsTable ? 'yes' : 'no'} |`,
      );
    }
    lines.push('');
  }
  if (step.lintFindings.length === 0) {
    lines.push('- Lint: clean');
  } else {
    lines.push('- Lint:');
    for (const finding of step.lintFindings) {
      lines.push(
        `  - ${finding.code} ${finding.suppressed === null ? finding.severity : `suppressed (${finding.suppressed})`}: ${finding.message} [${finding.phase}()]`,
      );
    }
  }
  return lines;
}
