import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { PlanFileError } from '../errors';
import { PLAN_VERSION, type PlanStep, type RolloutPlan } from './rollout-plan';

/** The default name of the committed plan, next to the config file. */
export const DEFAULT_PLAN_FILE = 'migrations.plan.json';

/** Who reviewed the plan, and when (`YYYY-MM-DD`). */
export interface PlanReview {
  readonly reviewer: string;
  readonly date: string;
}

/** The committed plan: the plan itself, the hash of its content and the review of exactly that content. */
export interface PlanFile extends RolloutPlan {
  readonly generatedFrom: { readonly contentHash: string };
  readonly review: PlanReview | null;
}

/** The outcome of comparing the code's plan with the committed file. */
export interface PlanCheck {
  readonly ok: boolean;
  /** Every reason the check fails: hand edits, steps added, removed or changed, a missing review. */
  readonly problems: readonly string[];
}

const fileSchema = z.object({
  version: z.literal(PLAN_VERSION),
  generatedFrom: z.object({ contentHash: z.string().regex(/^sha256:[0-9a-f]{64}$/) }),
  review: z.object({ reviewer: z.string(), date: z.string() }).nullable(),
  releases: z.array(z.object({ release: z.string().nullable(), steps: z.array(z.record(z.string(), z.unknown())) })),
  issues: z.array(z.unknown()),
});

/**
 * The content hash of a plan: sha256 over its canonical JSON (keys sorted), excluding the review, so a new review of
 * the same content keeps the hash and any change to a step changes it.
 */
export function planContentHash(plan: RolloutPlan): string {
  const content = { version: plan.version, releases: plan.releases, issues: plan.issues };
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}

/**
 * The file form of a plan. A reviewer records the review; without one the file carries `review: null` and
 * `safemig plan --check` fails until someone reviews it.
 *
 * ### Examples
 * ```ts
 * writePlanFile('migrations.plan.json', createPlanFile(plan, { reviewer: 'alice' }));
 * ```
 */
export function createPlanFile(
  plan: RolloutPlan,
  review?: { readonly reviewer: string; readonly date?: string } | null,
): PlanFile {
  return {
    version: plan.version,
    generatedFrom: { contentHash: planContentHash(plan) },
    review: review ? { reviewer: review.reviewer, date: review.date ?? new Date().toISOString().slice(0, 10) } : null,
    releases: plan.releases,
    issues: plan.issues,
  };
}

/** Reads and validates a plan file; a missing or malformed file is a {@link PlanFileError}. */
export function readPlanFile(file: string): PlanFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PlanFileError(file, `cannot be read: ${(error as Error).message}`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PlanFileError(file, `is not JSON: ${(error as Error).message}`, error);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new PlanFileError(file, `is not a safemig plan file (${issues.join('; ')})`);
  }
  return json as PlanFile;
}

/** Writes a plan file as indented JSON with a final newline, so diffs in review stay readable. */
export function writePlanFile(file: string, planFile: PlanFile): void {
  writeFileSync(file, `${JSON.stringify(planFile, null, 2)}\n`);
}

/**
 * Compares the code's plan with the committed file: fails when the content differs (naming the steps added, removed
 * or changed and which fields), when the file was edited by hand (its content no longer matches its hash), or when
 * the review is missing.
 */
export function checkPlanFile(plan: RolloutPlan, committed: PlanFile): PlanCheck {
  const problems: string[] = [];
  const committedHash = planContentHash(committed);
  if (committedHash !== committed.generatedFrom.contentHash) {
    problems.push(
      'the committed plan was edited by hand: its content does not match generatedFrom.contentHash. Regenerate it with `safemig plan --write`.',
    );
  }
  if (planContentHash(plan) !== committedHash) {
    problems.push(...differences(committed, plan));
  }
  if (!committed.review || !committed.review.reviewer.trim() || !/^\d{4}-\d{2}-\d{2}$/.test(committed.review.date)) {
    problems.push('the committed plan has no review: record one with `safemig plan --write --reviewer <name>`.');
  }
  return { ok: problems.length === 0, problems };
}

function differences(before: RolloutPlan, after: RolloutPlan): string[] {
  const stepsOf = (plan: RolloutPlan) =>
    new Map(plan.releases.flatMap((release) => release.steps.map((step) => [step.className, step] as const)));
  const old = stepsOf(before);
  const current = stepsOf(after);
  const found: string[] = [];
  for (const [className, step] of current) {
    const previous = old.get(className);
    if (!previous) {
      found.push(`step ${className} is new (${step.phase ?? 'no phase'}, release ${step.release ?? 'none'}).`);
      continue;
    }
    const changed = (Object.keys(step) as (keyof PlanStep)[]).filter(
      (key) => canonicalJson(step[key]) !== canonicalJson(previous[key]),
    );
    if (changed.length > 0) found.push(`step ${className} changed: ${changed.join(', ')}.`);
  }
  for (const className of old.keys()) {
    if (!current.has(className)) found.push(`step ${className} is in the committed plan but no longer in the code.`);
  }
  if (canonicalJson(before.issues) !== canonicalJson(after.issues)) found.push('the ordering warnings changed.');
  if (found.length === 0) found.push('the plan content changed (release grouping or format).');
  return found.map((line) => `the plan differs from the committed one: ${line}`);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : inner,
  );
}
