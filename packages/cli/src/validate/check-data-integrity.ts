import { snapshotData } from '@safemig/testkit';
import { sql, type Kysely } from 'kysely';
import type { ChecklistItem } from './checklist-item';
import { deltaMatches, describeDelta, signed, type ValidationConfig } from './validation-config';
import type { BaselineEntry } from './validation-store';

/** The tables a baseline covers: the configured ones, else every base table but safemig's own and the bookkeeping. */
export async function baselineTables(
  db: Kysely<any>,
  config: ValidationConfig,
  migrationTable: string,
): Promise<string[]> {
  if (config.tables) return [...config.tables];
  const result = await sql<{ name: string }>`
    SELECT TABLE_NAME AS name FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`.execute(db);
  return result.rows
    .map((row) => String(row.name))
    .filter((name) => !name.startsWith('safemig_') && name !== migrationTable);
}

/**
 * Compares row counts and checksums per table with the baseline. A table named in `expectedDeltas` must change its
 * row count within the declared delta (its values may change); every other table must be unchanged.
 */
export async function checkDataIntegrity(
  db: Kysely<any>,
  config: ValidationConfig,
  baseline: readonly BaselineEntry[] | undefined,
  migrationTable: string,
): Promise<ChecklistItem> {
  const item = { id: 'data-integrity', title: 'Data integrity against the baseline', kind: 'automated' as const };
  if (!baseline) {
    return {
      ...item,
      status: 'fail',
      details: ['No baseline: run `safemig validate --capture-baseline` before the deploy.'],
    };
  }
  const current = await snapshotData(db, { tables: await baselineTables(db, config, migrationTable) });
  const before = new Map(baseline.map((entry) => [entry.table, entry]));
  const expected = config.expectedDeltas ?? {};
  const names = [...new Set([...before.keys(), ...Object.keys(current.tables)])].sort();
  const details: string[] = [];
  let failed = false;
  for (const table of names) {
    const a = before.get(table);
    const b = current.tables[table];
    const expectation = expected[table]?.rows;
    if (!a) {
      const ok = expectation === undefined || deltaMatches(b!.rows, expectation);
      failed ||= !ok;
      details.push(
        `${ok ? 'ok' : 'FAIL'} ${table}: new table (${b!.rows} rows)${expectation === undefined ? '' : `, expected ${describeDelta(expectation)}`}`,
      );
      continue;
    }
    if (!b) {
      failed = true;
      details.push(`FAIL ${table}: table missing (baseline ${a.rows} rows)`);
      continue;
    }
    const delta = b.rows - a.rows;
    if (expectation !== undefined) {
      const ok = deltaMatches(delta, expectation);
      failed ||= !ok;
      details.push(
        `${ok ? 'ok' : 'FAIL'} ${table}: rows ${a.rows} -> ${b.rows} (${signed(delta)}), expected ${describeDelta(expectation)}`,
      );
    } else if (delta !== 0) {
      failed = true;
      details.push(`FAIL ${table}: rows ${a.rows} -> ${b.rows} (${signed(delta)}), no expected delta declared`);
    } else if (a.checksum !== b.checksum) {
      failed = true;
      details.push(`FAIL ${table}: values changed (same ${a.rows} rows), checksum ${a.checksum} -> ${b.checksum}`);
    } else {
      details.push(`ok ${table}: ${a.rows} rows, checksum unchanged`);
    }
  }
  return { ...item, status: failed ? 'fail' : 'pass', details };
}
