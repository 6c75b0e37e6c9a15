import type { Kysely } from 'kysely';
import type { MigrationMode } from '../errors';
import { lintSource, type LintOptions, type LintReport } from '../lint';
import type { LintRuleCode, LintSeverity } from '../lint';
import type { LockAlgorithm, LockLevel } from '../lint';
import {
  assertRolloutOrder,
  compareReleases,
  type MigrationPhase,
  type MigrationSource,
  type RolloutAnalysis,
  type RolloutRule,
} from '../migration';

/** The plan format version; bumped when the shape changes. */
export const PLAN_VERSION = 1;

/** One step of the plan. Every field is plain JSON (null, never undefined) so the plan file is stable. */
export interface PlanStep {
  readonly className: string;
  readonly name: string;
  readonly timestamp: number;
  readonly description: string | null;
  readonly phase: MigrationPhase | null;
  readonly release: string | null;
  readonly dependsOn: readonly { readonly step: string; readonly external: boolean }[];
  readonly requires: readonly { readonly id: string; readonly kind: string; readonly description: string }[];
  readonly destructiveOperations: readonly { readonly phase: MigrationMode; readonly operation: string }[];
  readonly expectedLocking: readonly {
    readonly phase: MigrationMode;
    readonly table: string;
    readonly operation: string;
    readonly algorithm: LockAlgorithm;
    readonly lock: LockLevel;
    readonly rebuildsTable: boolean;
  }[];
  readonly lintFindings: readonly {
    readonly code: LintRuleCode;
    readonly severity: LintSeverity;
    readonly phase: MigrationMode;
    readonly table: string | null;
    readonly message: string;
    /** The suppression's reason, when the step suppresses the rule. */
    readonly suppressed: string | null;
  }[];
  readonly lintSuppressions: readonly { readonly code: string; readonly reason: string }[];
}

/** The steps of one release, in timestamp order. `release` null holds the steps that declare none (oldest). */
export interface PlanRelease {
  readonly release: string | null;
  readonly steps: readonly PlanStep[];
}

/** The ordered rollout: releases -> steps, with the warnings of the ordering rules. */
export interface RolloutPlan {
  readonly version: typeof PLAN_VERSION;
  readonly releases: readonly PlanRelease[];
  readonly issues: readonly {
    readonly rule: RolloutRule;
    readonly severity: 'error' | 'warning';
    readonly step: string;
    readonly message: string;
  }[];
}

/**
 * Builds the plan from the ordering analysis and a lint report of the same source. Releases are ordered as semver,
 * steps without a release first (they count as the oldest).
 */
export function buildRolloutPlan(analysis: RolloutAnalysis, lint: LintReport): RolloutPlan {
  const groups = new Map<string | null, PlanStep[]>();
  for (const { migration, metadata, dependencies } of analysis.steps) {
    const own = (entry: { readonly className: string }) => entry.className === migration.className;
    const statements = lint.statements.filter(own);
    const step: PlanStep = {
      className: migration.className,
      name: migration.name,
      timestamp: migration.timestamp,
      description: metadata.description ?? null,
      phase: metadata.phase ?? null,
      release: metadata.release ?? null,
      dependsOn: dependencies.map((dependency) => ({
        step: dependency.className ?? dependency.reference,
        external: dependency.external,
      })),
      requires: (metadata.requires ?? []).map((prerequisite) => ({
        id: prerequisite.id,
        kind: prerequisite.kind,
        description: prerequisite.describe(),
      })),
      destructiveOperations: statements.flatMap((statement) =>
        statement.destructive.map((operation) => ({ phase: statement.phase, operation })),
      ),
      expectedLocking: statements.flatMap((statement) =>
        statement.locking.map((estimate) => ({
          phase: statement.phase,
          table: estimate.table,
          operation: estimate.operation,
          algorithm: estimate.algorithm,
          lock: estimate.lock,
          rebuildsTable: estimate.rebuildsTable,
        })),
      ),
      lintFindings: lint.findings.filter(own).map((finding) => ({
        code: finding.code,
        severity: finding.severity,
        phase: finding.phase,
        table: finding.table ?? null,
        message: finding.message,
        suppressed: finding.suppressed?.reason ?? null,
      })),
      lintSuppressions: (metadata.lintSuppressions ?? []).map((suppression) => ({
        code: suppression.code,
        reason: suppression.reason,
      })),
    };
    const key = metadata.release ?? null;
    groups.set(key, [...(groups.get(key) ?? []), step]);
  }
  const releases = [...groups.entries()]
    .sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : compareReleases(a, b)))
    .map(([release, steps]) => ({ release, steps }));
  return {
    version: PLAN_VERSION,
    releases,
    issues: analysis.issues.map((issue) => ({
      rule: issue.rule,
      severity: issue.severity,
      step: issue.step,
      message: issue.message,
    })),
  };
}

/**
 * Checks the ordering rules (throwing a RolloutOrderError on any error), lints every step on a scratch schema of
 * the server behind `db`, and builds the plan. The lint here leaves out the target's row estimates (SM009), so the
 * plan depends on the code only, not on the data of the database it runs against.
 *
 * ### Examples
 * ```ts
 * const plan = await planRollout(db, MigrationSource.fromDirectory('src/Migration'));
 * console.log(renderPlanMarkdown(plan));
 * ```
 */
export async function planRollout(
  db: Kysely<any>,
  source: MigrationSource,
  options: Omit<LintOptions, 'useTargetRowEstimates'> = {},
): Promise<RolloutPlan> {
  const analysis = assertRolloutOrder(source);
  const lint = await lintSource(db, source, { ...options, useTargetRowEstimates: false });
  return buildRolloutPlan(analysis, lint);
}
