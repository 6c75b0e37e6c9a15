import { identifierSchema, sqlExpressionProblem } from '@safemig/core';
import { z } from 'zod';

/** Rewrites one legacy value in JS (the "one mapping" of DESIGN.md); return the value unchanged to leave the row. */
export type NormalizeFunction = (value: unknown, row: Readonly<Record<string, unknown>>) => unknown;

const sqlExpression = z.string().superRefine((value, context) => {
  const problem = sqlExpressionProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: `SQL expression ${problem}` });
});

const batchSize = z.number().int().min(1).max(100_000).optional();

/** The automatic correction attached to a check; see docs/compat.md for which strategy fits which check. */
export const fixSchema = z.discriminatedUnion('strategy', [
  z.object({ strategy: z.literal('fill-default'), value: z.union([z.string(), z.number()]), batchSize }).strict(),
  z
    .object({
      strategy: z.literal('normalize'),
      /** SQL expression computing the new value from the row, e.g. `REPLACE(TRIM(price), ',', '.')`. */
      expression: sqlExpression.optional(),
      /** Or a JS function (the same pure function the backfill and the dual-read use). */
      transform: z.custom<NormalizeFunction>((value) => typeof value === 'function', 'must be a function').optional(),
      batchSize,
    })
    .strict()
    .refine((fix) => (fix.expression === undefined) !== (fix.transform === undefined), {
      message: 'give either expression or transform',
    }),
  z.object({ strategy: z.literal('truncate'), length: z.number().int().min(0).optional(), batchSize }).strict(),
  z.object({ strategy: z.literal('null-out'), batchSize }).strict(),
  z.object({ strategy: z.literal('quarantine'), batchSize }).strict(),
  z
    .object({
      strategy: z.literal('dedupe'),
      /** Which row of a colliding group keeps its value: the first (`oldest`) or last (`newest`) by `orderBy`. */
      keep: z.enum(['oldest', 'newest']),
      /** Column that orders a group (e.g. created_at); the primary key breaks ties and is the default. */
      orderBy: identifierSchema.optional(),
      /** What happens to the other rows: a unique suffix, moved to the quarantine table, or merged into the kept row. */
      rest: z.enum(['suffix', 'quarantine', 'merge']),
      /** For `merge`: columns of other tables that point at the deduplicated rows; they are re-pointed to the kept row. */
      references: z.array(z.object({ table: identifierSchema, column: identifierSchema }).strict()).optional(),
      batchSize,
    })
    .strict()
    .refine((fix) => fix.rest !== 'merge' || (fix.references?.length ?? 0) > 0, {
      message: 'rest: merge needs references (the columns that point at the merged rows)',
    }),
]);

/** A validated fix. */
export type FixDefinition = z.output<typeof fixSchema>;
export type FixStrategy = FixDefinition['strategy'];
