import { identifierSchema, InvalidConfigError } from '@safemig/core';
import { z } from 'zod';

/** The manual items of the checklist when the config names none. */
export const DEFAULT_MANUAL_ITEMS: readonly string[] = Object.freeze(['business-acceptance', 'change-closed']);

const rowsSchema = z.union([
  z.number().int(),
  z
    .tuple([z.number().int(), z.number().int()])
    .refine(([min, max]) => min <= max, 'must be [min, max] with min <= max'),
]);

const smokeSchema = z
  .object({
    name: z.string().trim().min(1, 'must name the query'),
    sql: z
      .string()
      .trim()
      .refine((text) => /^(SELECT|WITH)\b/i.test(text), 'must be a SELECT (or WITH ... SELECT) query')
      .refine((text) => !text.includes(';'), 'must be one statement without ;'),
    expect: z.object({ rows: rowsSchema }).strict().optional(),
  })
  .strict();

const validationSchema = z
  .object({
    /** Tables to baseline; default: every base table except safemig's own and the bookkeeping table. */
    tables: z.array(identifierSchema).optional(),
    expectedDeltas: z.record(identifierSchema, z.object({ rows: rowsSchema }).strict()).optional(),
    smoke: z.array(smokeSchema).optional(),
    monitoring: z
      .object({
        metricsUrl: z.string().url().optional(),
        alertRulesFile: z.string().min(1).optional(),
        alertRules: z.array(z.string().trim().min(1)).optional(),
        timeoutMs: z.number().int().positive().optional(),
      })
      .strict()
      .refine((section) => !section.alertRules?.length || section.alertRulesFile, {
        message: 'alertRules needs alertRulesFile (the file the alerts are looked up in)',
        path: ['alertRules'],
      })
      .optional(),
    manual: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be kebab-case, e.g. business-acceptance'))
      .optional(),
    maxBackfillErrorRate: z.number().min(0).max(1).optional(),
  })
  .strict();

/**
 * The `validation` section of `safemig.config.js`.
 *
 * ### Examples
 * ```ts
 * module.exports = defineConfig({
 *   validation: {
 *     expectedDeltas: { external_order: { rows: [0, 500] } },
 *     smoke: [{ name: 'open orders', sql: "SELECT id FROM external_order WHERE legacy_status = 'open' LIMIT 10" }],
 *     monitoring: { metricsUrl: 'http://127.0.0.1:9464/metrics', alertRulesFile: 'ops/alerts.yml', alertRules: ['ExternalOrdersImportErrors'] },
 *     manual: ['business-acceptance', 'change-closed'],
 *     maxBackfillErrorRate: 0.001,
 *   },
 * });
 * ```
 */
export type ValidationConfig = z.infer<typeof validationSchema>;

/** Validates the section; an error names every bad field as `validation.<path>`. */
export function parseValidationConfig(section: unknown): ValidationConfig {
  const parsed = validationSchema.safeParse(section ?? {});
  if (!parsed.success) {
    throw InvalidConfigError.fromZod('config file', parsed.error, { prefix: ['validation'] });
  }
  return parsed.data;
}

/** Whether a delta lies in the expectation: an exact number or an inclusive [min, max]. */
export function deltaMatches(delta: number, expected: number | readonly [number, number]): boolean {
  return typeof expected === 'number' ? delta === expected : delta >= expected[0] && delta <= expected[1];
}

/** `+3`, `-2`, `[0, 500]`. */
export function describeDelta(expected: number | readonly [number, number]): string {
  return typeof expected === 'number' ? signed(expected) : `[${expected[0]}, ${expected[1]}]`;
}

export function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}
