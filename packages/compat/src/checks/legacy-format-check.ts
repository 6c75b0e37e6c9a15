import { id } from '@safemig/core';
import { sql, type RawBuilder } from 'kysely';
import type { Finding, FindingSample, FormatBucket } from '../finding';
import { sampleRows } from '../schema/sample-rows';
import { keysetPages } from '../schema/keyset-pages';
import { displayValue, keyOf, loadTableMetadata, requireColumn, type TableMetadata } from '../schema/table-metadata';
import type { FormatCheck, LegacyFormat } from './check-definition';
import { finding, type CheckContext } from './check-context';

/** Bucket of NULL values (never an anomaly of the format check; see the nullability check). */
export const NULL_BUCKET = '(null)';
/** Bucket of values no format matched. */
export const UNRECOGNIZED_BUCKET = '(unrecognized)';
/** Bucket of values that are not valid JSON, when the check expects JSON. */
export const INVALID_JSON_BUCKET = '(invalid-json)';

/** Whether the check classifies in JS (some format has a zod schema) rather than in SQL. */
export function classifiesInJs(check: FormatCheck): boolean {
  return check.formats.some((format) => format.schema !== undefined);
}

function sqlCondition(column: RawBuilder<unknown>, format: LegacyFormat): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  if (format.regexp !== undefined) {
    parts.push(sql`(CAST(${column} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin REGEXP ${format.regexp})`);
  }
  if (format.json || format.jsonPath !== undefined) parts.push(sql`JSON_VALID(${column}) = 1`);
  if (format.jsonPath !== undefined) {
    parts.push(
      format.jsonEquals === undefined
        ? sql`JSON_CONTAINS_PATH(${column}, 'one', ${format.jsonPath}) = 1`
        : sql`JSON_UNQUOTE(JSON_EXTRACT(${column}, ${format.jsonPath})) = ${String(format.jsonEquals)}`,
    );
  }
  return sql.join(parts, sql` AND `);
}

/**
 * The SQL CASE that puts each row in its bucket: the first matching format wins, then `(invalid-json)` (when the
 * check expects JSON), then `(unrecognized)`. Only for checks without zod schemas.
 */
export function formatBucketExpression(check: FormatCheck): RawBuilder<unknown> {
  const column = id(check.column);
  const branches = check.formats.map((format) => sql`WHEN ${sqlCondition(column, format)} THEN ${format.name}`);
  const invalidJson = check.expectJson ? sql`WHEN JSON_VALID(${column}) = 0 THEN ${INVALID_JSON_BUCKET}` : sql``;
  return sql`(CASE WHEN ${column} IS NULL THEN ${NULL_BUCKET} ${sql.join(branches, sql` `)} ${invalidJson} ELSE ${UNRECOGNIZED_BUCKET} END)`;
}

/** JS classification of one value, the same order as {@link formatBucketExpression}. */
export function classifyValue(check: FormatCheck, raw: unknown): string {
  if (raw === null || raw === undefined) return NULL_BUCKET;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : JSON.stringify(raw);
  let parsed: { ok: boolean; value?: unknown } | undefined;
  const json = () => {
    if (!parsed) {
      try {
        parsed = { ok: true, value: JSON.parse(text) };
      } catch {
        parsed = { ok: false };
      }
    }
    return parsed;
  };
  for (const format of check.formats) {
    if (format.regexp !== undefined && !new RegExp(format.regexp, 'u').test(text)) continue;
    let value: unknown = text;
    if (format.json || format.jsonPath !== undefined) {
      const result = json();
      if (!result.ok) continue;
      value = result.value;
    }
    if (format.jsonPath !== undefined) {
      const at = valueAtPath(value, format.jsonPath);
      if (!at.found || (format.jsonEquals !== undefined && String(at.value) !== String(format.jsonEquals))) continue;
    }
    if (format.schema && !format.schema.safeParse(value).success) continue;
    return format.name;
  }
  if (check.expectJson && !json().ok) return INVALID_JSON_BUCKET;
  return UNRECOGNIZED_BUCKET;
}

function valueAtPath(value: unknown, path: string): { found: boolean; value?: unknown } {
  let current = value;
  for (const step of path.slice(1).match(/\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]/g) ?? []) {
    const name = step.startsWith('.') ? step.slice(1) : Number(step.slice(1, -1));
    if (current === null || typeof current !== 'object' || !(name in (current as object))) return { found: false };
    current = (current as Record<string | number, unknown>)[name];
  }
  return { found: true, value: current };
}

/** Buckets counted set-based: one GROUP BY over the CASE, then a keyed sample per non-empty bucket. */
async function bucketsInSql(
  context: CheckContext,
  check: FormatCheck,
  metadata: TableMetadata,
): Promise<FormatBucket[]> {
  const bucket = formatBucketExpression(check);
  const grouped = await sql<{ bucket: string; n: number | string }>`
    SELECT ${bucket} AS bucket, COUNT(*) AS n FROM ${id(check.table)} GROUP BY 1`.execute(context.db);
  const buckets: FormatBucket[] = [];
  for (const row of grouped.rows) {
    const samples =
      row.bucket === NULL_BUCKET
        ? []
        : await sampleRows(context.db, metadata, id(check.column), sql`${bucket} = ${row.bucket}`, context.sampleSize);
    buckets.push({ format: row.bucket, count: Number(row.n), samples });
  }
  return buckets;
}

/** Buckets counted in JS over keyset pages: memory stays bounded by one page plus the samples. */
async function bucketsInJs(
  context: CheckContext,
  check: FormatCheck,
  metadata: TableMetadata,
): Promise<FormatBucket[]> {
  const counts = new Map<string, { count: number; samples: FindingSample[] }>();
  for await (const row of keysetPages(context.db, metadata, [check.column], check.pageSize)) {
    const name = classifyValue(check, row[check.column]);
    const entry = counts.get(name) ?? { count: 0, samples: [] };
    entry.count += 1;
    if (entry.samples.length < context.sampleSize && name !== NULL_BUCKET) {
      entry.samples.push({ key: keyOf(metadata, row), value: displayValue(row[check.column]) });
    }
    counts.set(name, entry);
  }
  return [...counts].map(([format, entry]) => ({ format, count: entry.count, samples: entry.samples }));
}

/**
 * Buckets a legacy column by format variant: three generations of a JSON payload, `12,50 EUR` vs `12.50`, invalid
 * JSON. Formats with an SQL form (regexp, json, jsonPath) are detected by one GROUP BY; a zod schema needs JS, so the
 * column is then streamed in keyset pages with bounded memory.
 *
 * ### Examples
 * ```ts
 * await runFormatCheck(context, {
 *   id: 'price', type: 'format', table: 'orders', column: 'price_text', canonical: 'decimal',
 *   formats: [{ name: 'decimal', regexp: '^[0-9]+\\.[0-9]{2}$' }, { name: 'comma-currency', regexp: '^[0-9]+,[0-9]{2} [A-Z]{3}$' }],
 * });
 * ```
 */
export async function runFormatCheck(context: CheckContext, check: FormatCheck): Promise<Finding[]> {
  const metadata = await loadTableMetadata(context.db, check.id, check.table);
  requireColumn(metadata, check.id, check.column);
  const buckets = (
    classifiesInJs(check) ? await bucketsInJs(context, check, metadata) : await bucketsInSql(context, check, metadata)
  ).sort((a, b) => bucketOrder(check, a.format) - bucketOrder(check, b.format));
  const of = (name: string) => buckets.find((bucket) => bucket.format === name);
  const base = { check: check.id, table: check.table, column: check.column };
  const findings: Finding[] = [
    finding({
      ...base,
      kind: 'format-variants',
      severity: 'info',
      count: buckets.filter((bucket) => bucket.format !== NULL_BUCKET).reduce((sum, bucket) => sum + bucket.count, 0),
      suggestedFix: 'none needed: the distribution of format variants',
      details: { buckets, detectedIn: classifiesInJs(check) ? 'js' : 'sql' },
    }),
  ];
  if (check.canonical !== undefined) {
    const legacy = buckets.filter(
      (bucket) => check.formats.some((format) => format.name === bucket.format) && bucket.format !== check.canonical,
    );
    findings.push(
      finding({
        ...base,
        kind: 'legacy-format',
        severity: 'warning',
        count: legacy.reduce((sum, bucket) => sum + bucket.count, 0),
        samples: legacy.flatMap((bucket) => bucket.samples).slice(0, context.sampleSize),
        suggestedFix: `normalize to ${check.canonical} with the mapping the backfill uses`,
        details: { formats: legacy.map((bucket) => bucket.format) },
      }),
    );
  }
  findings.push(
    finding({
      ...base,
      kind: 'unrecognized-format',
      severity: check.severity,
      count: of(UNRECOGNIZED_BUCKET)?.count ?? 0,
      samples: of(UNRECOGNIZED_BUCKET)?.samples ?? [],
      suggestedFix: 'add the missing format to the mapping, or quarantine / null-out the rows',
    }),
  );
  if (check.expectJson) {
    findings.push(
      finding({
        ...base,
        kind: 'invalid-json',
        severity: check.severity,
        count: of(INVALID_JSON_BUCKET)?.count ?? 0,
        samples: of(INVALID_JSON_BUCKET)?.samples ?? [],
        suggestedFix: 'quarantine the rows (or null-out) before the column becomes JSON',
      }),
    );
  }
  return findings;
}

function bucketOrder(check: FormatCheck, name: string): number {
  const index = check.formats.findIndex((format) => format.name === name);
  if (index >= 0) return index;
  return check.formats.length + [INVALID_JSON_BUCKET, UNRECOGNIZED_BUCKET, NULL_BUCKET].indexOf(name);
}
