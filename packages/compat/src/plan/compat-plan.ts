import { InvalidConfigError } from '@safemig/core';
import { z } from 'zod';
import { checkSchema, type CheckDefinition } from '../checks/check-definition';

const viewSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -'),
    query: z.string().min(1),
    key: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const compatPlanSchema = z
  .object({
    /** The migration this plan guards, e.g. `Migration1700000300Contract`; also the plan's name. */
    migration: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.:\\-]+$/, 'must be a migration class name'),
    checks: z.array(checkSchema).default([]),
    /** Application views proven unchanged: snapshotted on the first run, compared on later runs. */
    views: z.array(viewSchema).default([]),
  })
  .strict()
  .superRefine((plan, context) => {
    const seen = new Set<string>();
    plan.checks.forEach((check, index) => {
      if (seen.has(check.id))
        context.addIssue({ code: 'custom', path: ['checks', index, 'id'], message: `duplicate check id ${check.id}` });
      seen.add(check.id);
    });
  });

export const compatSectionSchema = z
  .object({
    plans: z.array(compatPlanSchema).min(1, 'must declare at least one plan'),
    /** Samples per finding in reports. */
    sampleSize: z.number().int().min(0).max(1_000).default(5),
  })
  .strict();

export type CompatPlanInput = z.input<typeof compatPlanSchema>;
export type CompatPlan = Omit<z.output<typeof compatPlanSchema>, 'checks'> & {
  readonly checks: readonly CheckDefinition[];
};
export type CompatSectionInput = z.input<typeof compatSectionSchema>;
export type CompatSection = Omit<z.output<typeof compatSectionSchema>, 'plans'> & {
  readonly plans: readonly CompatPlan[];
};

/**
 * Validates one check plan; errors name the field (`checks.1.column: ...`).
 *
 * ### Examples
 * ```ts
 * export const contractPlan = defineCompatPlan({
 *   migration: 'Migration1700000300Contract',
 *   checks: [{ id: 'status-not-null', type: 'nullability', table: 'external_order', column: 'status', fix: { strategy: 'fill-default', value: 'open' } }],
 *   views: [{ name: 'order-list', query: 'SELECT id, status FROM external_order' }],
 * });
 * ```
 */
export function defineCompatPlan(input: CompatPlanInput): CompatPlan {
  const result = compatPlanSchema.safeParse(input);
  if (!result.success)
    throw InvalidConfigError.fromZod(`compat plan ${JSON.stringify(input?.migration ?? '?')}`, result.error);
  return result.data as CompatPlan;
}

/** Validates the `compat` section of safemig.config (`{ plans: [...], sampleSize? }`). */
export function parseCompatSection(input: unknown): CompatSection {
  const result = compatSectionSchema.safeParse(input);
  if (!result.success) {
    throw InvalidConfigError.fromZod('configuration', result.error, {
      prefix: ['compat'],
      hint: 'Declare `compat: { plans: [{ migration, checks: [...] }] }` in safemig.config.',
    });
  }
  return result.data as CompatSection;
}
