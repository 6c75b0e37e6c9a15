import type { Kysely } from 'kysely';
import { DEFAULT_SAMPLE_SIZE, type Finding } from '../finding';
import { runCharsetCheck } from './charset-check';
import { defineCheck, type CheckDefinition, type CheckDefinitionInput } from './check-definition';
import type { CheckContext } from './check-context';
import { runDateCheck } from './date-check';
import { runDefaultsCheck } from './defaults-check';
import { runFormatCheck } from './legacy-format-check';
import { runNullabilityCheck } from './nullability-check';
import { runOrphanCheck } from './orphan-check';
import { runTypeChangeCheck } from './type-change-check';
import { runUniqueCollisionCheck } from './unique-collision-check';

export interface RunCheckOptions {
  /** Samples per finding; default 5. */
  readonly sampleSize?: number;
}

/**
 * Runs one check against the live schema and returns its findings (also those with count 0, so a report shows what
 * was checked). The definition is validated first.
 *
 * ### Examples
 * ```ts
 * const findings = await runCheck(db, { id: 'email', type: 'nullability', table: 'customer', column: 'email' });
 * if (findings.some((f) => f.severity === 'error' && f.count > 0)) process.exitCode = 1;
 * ```
 */
export async function runCheck(
  db: Kysely<any>,
  input: CheckDefinition | CheckDefinitionInput,
  options: RunCheckOptions = {},
): Promise<Finding[]> {
  const check = defineCheck(input);
  const context: CheckContext = { db, sampleSize: options.sampleSize ?? DEFAULT_SAMPLE_SIZE };
  switch (check.type) {
    case 'nullability':
      return runNullabilityCheck(context, check);
    case 'defaults':
      return runDefaultsCheck(context, check);
    case 'format':
      return runFormatCheck(context, check);
    case 'unique':
      return runUniqueCollisionCheck(context, check);
    case 'type-change':
      return runTypeChangeCheck(context, check);
    case 'dates':
      return runDateCheck(context, check);
    case 'charset':
      return runCharsetCheck(context, check);
    case 'orphans':
      return runOrphanCheck(context, check);
  }
}
