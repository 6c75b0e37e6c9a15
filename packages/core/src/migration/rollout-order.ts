import { RolloutOrderError } from '../errors';
import { isPrerequisite } from './prerequisite';
import { compareReleases, isRelease } from './release-version';
import { MIGRATION_NAME_PATTERN, type LoadedMigration, type MigrationSource } from './migration-source';
import {
  isMigrationStepClass,
  MIGRATION_PHASES,
  type MigrationMetadata,
  type MigrationPhase,
  type StepReference,
} from './migration-step';

/** The ordering rules the plan and the Migrator enforce; each issue names one. */
export type RolloutRule =
  | 'invalid-metadata'
  | 'unknown-dependency'
  | 'dependency-cycle'
  | 'dependency-on-later-step'
  | 'phase-order'
  | 'contract-in-expand-release'
  | 'contract-without-expand'
  | 'activate-before-adapt';

/** One violated ordering rule. Errors stop the plan and the Migrator; warnings are shown in the plan. */
export interface RolloutIssue {
  readonly rule: RolloutRule;
  readonly severity: 'error' | 'warning';
  /** The bare class name of the step the issue is about. */
  readonly step: string;
  readonly message: string;
  /** What to change. */
  readonly hint: string;
}

/** A `dependsOn` entry, resolved against the source. */
export interface ResolvedDependency {
  /** As declared, printable: a class name, a timestamp or a bookkeeping key. */
  readonly reference: string;
  /** The bookkeeping key of a step in the same source; undefined for another plugin's step. */
  readonly className: string | undefined;
  /** The bare class name (`Migration1700000000CreateExternalOrder`), when known. */
  readonly name: string | undefined;
  readonly timestamp: number | undefined;
  /** True when the step is not in this source (another plugin); the Migrator looks it up in the bookkeeping table. */
  readonly external: boolean;
}

/** A step with its metadata and resolved dependencies. */
export interface ResolvedStep {
  readonly migration: LoadedMigration;
  readonly metadata: MigrationMetadata;
  readonly dependencies: readonly ResolvedDependency[];
}

export interface RolloutAnalysis {
  /** In timestamp order, like the source. */
  readonly steps: readonly ResolvedStep[];
  readonly issues: readonly RolloutIssue[];
}

const LINT_CODE_PATTERN = /^SM\d{3}$/;

/**
 * Reads every step's metadata, resolves `dependsOn` and checks the ordering rules: dependency cycles, a dependency
 * on a later timestamp, a step depending on a later phase, a contract step in the same release as the expand step it
 * cleans up, an activate step without (or before) its adapt step or backfill, and malformed metadata.
 *
 * ### Examples
 * ```ts
 * const { issues } = analyzeRollout(source);
 * for (const issue of issues) console.log(issue.rule, issue.step, issue.message);
 * ```
 */
export function analyzeRollout(source: MigrationSource): RolloutAnalysis {
  const issues: RolloutIssue[] = [];
  const steps = source.migrations.map((migration) => resolveStep(source, migration, issues));
  const byClassName = new Map(steps.map((step) => [step.migration.className, step]));
  for (const step of steps) checkDependencies(step, byClassName, issues);
  checkCycles(steps, byClassName, issues);
  return { steps, issues };
}

/** Like {@link analyzeRollout}, and throws a {@link RolloutOrderError} listing every error-level issue. */
export function assertRolloutOrder(source: MigrationSource): RolloutAnalysis {
  const analysis = analyzeRollout(source);
  const errors = analysis.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) throw new RolloutOrderError(errors);
  return analysis;
}

function resolveStep(source: MigrationSource, migration: LoadedMigration, issues: RolloutIssue[]): ResolvedStep {
  const metadata = migration.step.getMetadata() ?? {};
  const problem = (message: string, hint: string) =>
    issues.push({ rule: 'invalid-metadata', severity: 'error', step: migration.name, message, hint });
  if (metadata.phase !== undefined && !MIGRATION_PHASES.includes(metadata.phase)) {
    problem(`phase ${JSON.stringify(metadata.phase)} is not a phase.`, `Use one of ${MIGRATION_PHASES.join(', ')}.`);
  }
  if (metadata.release !== undefined && (typeof metadata.release !== 'string' || !isRelease(metadata.release))) {
    problem(
      `release ${JSON.stringify(metadata.release)} is not a semver version.`,
      'Use the plugin version that ships the step, e.g. 1.2.0.',
    );
  }
  for (const [index, prerequisite] of (metadata.requires ?? []).entries()) {
    if (!isPrerequisite(prerequisite)) {
      problem(
        `requires[${index}] is not a Prerequisite.`,
        'Use serverSupports(), minimumServerVersion(), flagAt(), backfillCompleted(), compatPassed() or an object with id, kind, describe() and check(db).',
      );
    }
  }
  for (const [index, suppression] of (metadata.lintSuppressions ?? []).entries()) {
    if (!LINT_CODE_PATTERN.test(String(suppression?.code))) {
      problem(
        `lintSuppressions[${index}].code ${JSON.stringify(suppression?.code)} is not a rule code.`,
        'Use a code from docs/lint.md, e.g. SM012.',
      );
    }
    if (typeof suppression?.reason !== 'string' || suppression.reason.trim().length === 0) {
      problem(
        `lintSuppressions[${index}] (${String(suppression?.code)}) has no reason.`,
        'Every suppression needs a reason; the plan shows it to the reviewer.',
      );
    }
  }
  const dependencies: ResolvedDependency[] = [];
  for (const reference of metadata.dependsOn ?? []) {
    const resolved = resolveReference(source, reference);
    if (resolved) dependencies.push(resolved);
    else {
      issues.push({
        rule: 'unknown-dependency',
        severity: 'error',
        step: migration.name,
        message: `dependsOn names ${printable(reference)}, which is neither a step of this source nor a migration name.`,
        hint: 'Name a step by its class, by the timestamp of a step in this source, or by the class name or bookkeeping key of another plugin’s migration.',
      });
    }
  }
  return { migration, metadata, dependencies };
}

function resolveReference(source: MigrationSource, reference: StepReference): ResolvedDependency | undefined {
  if (typeof reference === 'number') {
    const found = source.migrations.find((migration) => migration.timestamp === reference);
    return found ? internal(String(reference), found) : undefined;
  }
  const key = isMigrationStepClass(reference) ? reference.name : typeof reference === 'string' ? reference : undefined;
  if (key === undefined || key.length === 0) return undefined;
  const found = source.get(key);
  if (found) return internal(key, found);
  const name = key.split('\\').pop() ?? key;
  const match = MIGRATION_NAME_PATTERN.exec(name);
  if (!match) return undefined;
  return { reference: key, className: undefined, name, timestamp: Number(match[1]), external: true };
}

function internal(reference: string, migration: LoadedMigration): ResolvedDependency {
  return {
    reference,
    className: migration.className,
    name: migration.name,
    timestamp: migration.timestamp,
    external: false,
  };
}

function checkDependencies(
  step: ResolvedStep,
  byClassName: ReadonlyMap<string, ResolvedStep>,
  issues: RolloutIssue[],
): void {
  const { name, timestamp } = step.migration;
  const { phase, release } = step.metadata;
  const issue = (rule: RolloutRule, message: string, hint: string, severity: 'error' | 'warning' = 'error') =>
    issues.push({ rule, severity, step: name, message, hint });
  for (const dependency of step.dependencies) {
    if (dependency.timestamp !== undefined && dependency.timestamp >= timestamp) {
      issue(
        'dependency-on-later-step',
        `depends on ${dependency.name ?? dependency.reference} (timestamp ${dependency.timestamp}), which is not older than the step itself (${timestamp}).`,
        'A step can only depend on steps with earlier timestamps: give this step a later timestamp (a new class if it is released) or drop the dependency.',
      );
    }
    const target = dependency.className ? byClassName.get(dependency.className) : undefined;
    const targetPhase = target?.metadata.phase;
    if (phase && targetPhase && rank(targetPhase) > rank(phase)) {
      issue(
        'phase-order',
        `is a ${phase} step but depends on ${target!.migration.name}, a ${targetPhase} step; phases run expand -> adapt -> activate -> contract.`,
        'Move the work to a step of the right phase, or drop the dependency.',
      );
    }
    if (phase === 'contract' && targetPhase === 'expand' && release && target?.metadata.release) {
      const order = safeCompare(release, target.metadata.release);
      if (order !== undefined && order <= 0) {
        issue(
          'contract-in-expand-release',
          `is a contract step in release ${release}, but the expand step it cleans up (${target.migration.name}) ships in ${target.metadata.release}${order === 0 ? ' too' : ''}.`,
          'Ship the contract step in a LATER release than its expand step, so release N-1 never runs on the contracted schema.',
        );
      }
    }
  }
  if (phase === 'contract' && !step.dependencies.some((dependency) => isExpandOrExternal(dependency, byClassName))) {
    issue(
      'contract-without-expand',
      'is a contract step that names no expand step in dependsOn.',
      'Name the expand step it cleans up in dependsOn, so the plan can check it ships in a later release.',
      'warning',
    );
  }
  if (phase === 'activate') checkActivate(step, byClassName, issue);
}

function checkActivate(
  step: ResolvedStep,
  byClassName: ReadonlyMap<string, ResolvedStep>,
  issue: (rule: RolloutRule, message: string, hint: string) => void,
): void {
  const adapts = ancestors(step, byClassName).filter((ancestor) => ancestor.metadata.phase === 'adapt');
  const backfills = (step.metadata.requires ?? []).filter((prerequisite) => prerequisite?.kind === 'backfill');
  if (adapts.length === 0 && backfills.length === 0) {
    issue(
      'activate-before-adapt',
      'is an activate step with neither an adapt step in its dependencies nor a backfill prerequisite.',
      'Add the adapt step (the data layer that reads old and new) to dependsOn, or require backfillCompleted(...) from @safemig/backfill.',
    );
  }
  const release = step.metadata.release;
  for (const adapt of adapts) {
    const order = release && adapt.metadata.release ? safeCompare(release, adapt.metadata.release) : undefined;
    if (order !== undefined && order < 0) {
      issue(
        'activate-before-adapt',
        `ships in release ${release}, before its adapt step ${adapt.migration.name} (release ${adapt.metadata.release}).`,
        'Activate writes in the same or a later release than the data layer that reads them.',
      );
    }
  }
}

function checkCycles(
  steps: readonly ResolvedStep[],
  byClassName: ReadonlyMap<string, ResolvedStep>,
  issues: RolloutIssue[],
): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (step: ResolvedStep, path: readonly ResolvedStep[]): void => {
    const key = step.migration.className;
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(step)), step].map((entry) => entry.migration.name);
      const signature = [...new Set(cycle)].sort().join(',');
      if (!reported.has(signature)) {
        reported.add(signature);
        issues.push({
          rule: 'dependency-cycle',
          severity: 'error',
          step: step.migration.name,
          message: `is part of a dependency cycle: ${cycle.join(' -> ')}.`,
          hint: 'Dependencies must form a chain from older to newer steps; remove the dependency that points forward.',
        });
      }
      return;
    }
    state.set(key, 'visiting');
    for (const dependency of step.dependencies) {
      const target = dependency.className ? byClassName.get(dependency.className) : undefined;
      if (target) visit(target, [...path, step]);
    }
    state.set(key, 'done');
  };
  for (const step of steps) visit(step, []);
}

function ancestors(step: ResolvedStep, byClassName: ReadonlyMap<string, ResolvedStep>): ResolvedStep[] {
  const seen = new Set<string>([step.migration.className]);
  const found: ResolvedStep[] = [];
  const queue = [step];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const dependency of current.dependencies) {
      const target = dependency.className ? byClassName.get(dependency.className) : undefined;
      if (!target || seen.has(target.migration.className)) continue;
      seen.add(target.migration.className);
      found.push(target);
      queue.push(target);
    }
  }
  return found;
}

function isExpandOrExternal(dependency: ResolvedDependency, byClassName: ReadonlyMap<string, ResolvedStep>): boolean {
  if (dependency.external) return true;
  const phase = byClassName.get(dependency.className!)?.metadata.phase;
  return phase === 'expand' || phase === undefined;
}

function rank(phase: MigrationPhase): number {
  return MIGRATION_PHASES.indexOf(phase);
}

function safeCompare(a: string, b: string): number | undefined {
  return isRelease(a) && isRelease(b) ? compareReleases(a, b) : undefined;
}

function printable(reference: StepReference): string {
  if (typeof reference === 'function') return (reference as { name?: string }).name ?? 'an anonymous class';
  return JSON.stringify(reference);
}
