import { readMigrationRows } from '@safemig/core';
import type { Kysely } from 'kysely';
import type { ChecklistItem } from './checklist-item';

/** Fails when a row of the bookkeeping table holds the error of a failed attempt (`migration.message`). */
export async function checkMigrations(db: Kysely<any>, migrationTable: string): Promise<ChecklistItem> {
  const rows = [...(await readMigrationRows(db, migrationTable)).values()];
  const failed = rows.filter((row) => row.message !== null);
  const ran = rows.filter((row) => row.update !== null).length;
  return {
    id: 'migrations',
    title: 'Migrations ran without SQL error',
    kind: 'automated',
    status: failed.length > 0 ? 'fail' : 'pass',
    details: [
      `${ran} of ${rows.length} step(s) in \`${migrationTable}\` ran update(); ${failed.length} with an error message.`,
      ...failed.map((row) => `${row.className}: ${row.message!.split('\n')[0]}`),
    ],
  };
}
