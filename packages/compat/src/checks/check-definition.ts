import { identifierSchema, InvalidConfigError } from '@safemig/core';
import { z } from 'zod';
import { fixSchema, type FixDefinition } from '../fixes/fix-definition';
import type { Severity } from '../finding';

const checkId = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -');
const severity = z.enum(['error', 'warning', 'info']);

const base = {
  id: checkId,
  table: identifierSchema,
  severity: severity.default('error'),
  fix: fixSchema.optional(),
};

/** One format variant of a legacy column, detected in SQL (`regexp`, `json`, `jsonPath`) or in JS (`schema`). */
export interface LegacyFormat {
  readonly name: string;
  /** Matches when the whole value matches this regular expression (server-side REGEXP, case-sensitive). */
  readonly regexp?: string;
  /** Matches valid JSON (JSON_VALID). Combined with `jsonPath`: valid JSON that has this path. */
  readonly json?: boolean;
  /** A JSON path that must exist, e.g. `$.version` or `$.payload.amount` (JSON_CONTAINS_PATH). */
  readonly jsonPath?: string;
  /** With `jsonPath`: the value at the path must equal this (e.g. a payload generation marker). */
  readonly jsonEquals?: string | number | boolean;
  /** A zod schema the value must parse with (after JSON.parse when `json` is set): checked in JS, page by page. */
  readonly schema?: z.ZodType;
}

const formatSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -'),
    regexp: z.string().min(1).optional(),
    json: z.boolean().optional(),
    jsonPath: z
      .string()
      .regex(/^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$/, 'must be a simple JSON path such as $.version or $.items[0]')
      .optional(),
    jsonEquals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    schema: z.custom<z.ZodType>((value) => value instanceof z.ZodType, 'must be a zod schema').optional(),
  })
  .strict()
  .refine((format) => format.regexp || format.json || format.jsonPath || format.schema, {
    message: 'needs regexp, json, jsonPath or schema',
  })
  .refine((format) => !(format.schema && (format.regexp || format.jsonPath)), {
    message: 'a schema format cannot also have regexp or jsonPath (give it json: true to parse JSON first)',
  });

const uniqueColumn = z.union([
  identifierSchema,
  z.object({ column: identifierSchema, prefix: z.number().int().min(1).max(3072).optional() }).strict(),
]);

export const checkSchema = z.discriminatedUnion('type', [
  z
    .object({
      ...base,
      type: z.literal('nullability'),
      column: identifierSchema,
      emptyStrings: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('defaults'),
      /** Existing columns to inspect; all columns of the table when omitted. */
      columns: z.array(identifierSchema).optional(),
      /** A column the migration will add. */
      add: z
        .object({
          column: identifierSchema,
          type: z.string().min(1),
          notNull: z.boolean().default(true),
          default: z.union([z.string(), z.number(), z.null()]).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('format'),
      column: identifierSchema,
      formats: z.array(formatSchema).min(1, 'must list at least one format'),
      /** The format the application reads: rows in the other known formats are legacy variants to normalize. */
      canonical: z.string().optional(),
      /** Report values that are not valid JSON as `invalid-json` (for columns that should hold JSON). */
      expectJson: z.boolean().default(false),
      /** Rows per page for formats checked in JS. */
      pageSize: z.number().int().min(100).max(100_000).default(5_000),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('unique'),
      columns: z.array(uniqueColumn).min(1, 'must name at least one column'),
      /** The collation the unique index will compare under, e.g. utf8mb4_0900_ai_ci or utf8mb4_unicode_nopad_ci. */
      collation: z
        .string()
        .regex(/^[A-Za-z0-9_]+$/, 'must be a collation name')
        .optional(),
      /** Most colliding groups to list. */
      maxGroups: z.number().int().min(1).max(100_000).default(1_000),
    })
    .strict(),
  z.object({ ...base, type: z.literal('type-change'), column: identifierSchema, to: z.string().min(1) }).strict(),
  z.object({ ...base, type: z.literal('dates'), column: identifierSchema }).strict(),
  z
    .object({
      ...base,
      type: z.literal('charset'),
      column: identifierSchema,
      /** The character set the column moves to; `utf8mb3` reports 4-byte characters. */
      target: z.enum(['utf8mb3', 'utf8mb4']).default('utf8mb4'),
      mojibake: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('orphans'),
      columns: z.array(identifierSchema).min(1),
      references: z.object({ table: identifierSchema, columns: z.array(identifierSchema).min(1) }).strict(),
    })
    .strict(),
]);

/** A check as written in a plan (defaults may be left out). */
export type CheckDefinitionInput = z.input<typeof checkSchema>;
/** A validated check. */
export type CheckDefinition = z.output<typeof checkSchema> & {
  readonly fix?: FixDefinition;
  readonly severity: Severity;
};
export type NullabilityCheck = Extract<CheckDefinition, { type: 'nullability' }>;
export type DefaultsCheck = Extract<CheckDefinition, { type: 'defaults' }>;
export type FormatCheck = Extract<CheckDefinition, { type: 'format' }>;
export type UniqueCheck = Extract<CheckDefinition, { type: 'unique' }>;
export type TypeChangeCheck = Extract<CheckDefinition, { type: 'type-change' }>;
export type DateCheck = Extract<CheckDefinition, { type: 'dates' }>;
export type CharsetCheck = Extract<CheckDefinition, { type: 'charset' }>;
export type OrphanCheck = Extract<CheckDefinition, { type: 'orphans' }>;

/**
 * Validates a check definition; errors name the field (`checks.2.columns.0: must not be empty`).
 *
 * ### Examples
 * ```ts
 * const check = defineCheck({ id: 'email-unique', type: 'unique', table: 'customer', columns: ['email'], collation: 'utf8mb4_unicode_ci' });
 * ```
 */
export function defineCheck(input: CheckDefinitionInput, path = 'check'): CheckDefinition {
  const result = checkSchema.safeParse(input);
  if (!result.success) {
    throw InvalidConfigError.fromZod(
      `compat ${path}${typeof input?.id === 'string' ? ` ${JSON.stringify(input.id)}` : ''}`,
      result.error,
      { prefix: [path] },
    );
  }
  return result.data as CheckDefinition;
}
