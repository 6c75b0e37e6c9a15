import { sql, type Kysely } from 'kysely';
import type { ChecklistItem } from './checklist-item';
import { deltaMatches, describeDelta, type ValidationConfig } from './validation-config';

/**
 * Runs each configured smoke query in a READ ONLY transaction (so even a mistaken query cannot write) and checks
 * its row count when `expect.rows` is given. A query that errors or returns the wrong count fails the item.
 */
export async function checkSmoke(db: Kysely<any>, config: ValidationConfig): Promise<ChecklistItem> {
  const item = { id: 'smoke', title: 'Smoke tests', kind: 'automated' as const };
  const queries = config.smoke ?? [];
  if (queries.length === 0) return { ...item, status: 'skipped', details: ['No smoke queries in validation.smoke.'] };
  const details: string[] = [];
  let failed = false;
  for (const query of queries) {
    try {
      const rows = await db
        .transaction()
        .setAccessMode('read only')
        .execute(async (trx) => (await sql`${sql.raw(query.sql)}`.execute(trx)).rows.length);
      const expected = query.expect?.rows;
      const ok = expected === undefined || deltaMatches(rows, expected);
      failed ||= !ok;
      details.push(
        `${ok ? 'ok' : 'FAIL'} ${query.name}: ${rows} row(s)${expected === undefined ? '' : `, expected ${describeDelta(expected).replace(/^\+/, '')}`}`,
      );
    } catch (error) {
      failed = true;
      details.push(`FAIL ${query.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { ...item, status: failed ? 'fail' : 'pass', details };
}
