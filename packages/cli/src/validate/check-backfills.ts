import { InvalidConfigError } from '@safemig/core';
import { BackfillRunner, defineBackfill, type BackfillDefinitionInput } from '@safemig/backfill';
import type { Kysely } from 'kysely';
import type { ChecklistItem } from './checklist-item';

/**
 * Every backfill of the config's `backfills` section must be completed, with `failed / processed` at most
 * `maxErrorRate` (rows that went to the error table). Read through the backfill package's status API.
 */
export async function checkBackfills(db: Kysely<any>, section: unknown, maxErrorRate: number): Promise<ChecklistItem> {
  const item = { id: 'backfills', title: 'Backfills complete, error rate', kind: 'automated' as const };
  const definitions = backfillDefinitions(section);
  if (definitions.length === 0) return { ...item, status: 'skipped', details: ['No backfills in the config.'] };
  const details: string[] = [];
  let failed = false;
  for (const input of definitions) {
    const status = await new BackfillRunner({ db, definition: defineBackfill(input) }).status();
    const { processed, failed: failedRows } = status.total;
    const rate = processed === 0 ? 0 : failedRows / processed;
    const ok = status.status === 'completed' && rate <= maxErrorRate;
    failed ||= !ok;
    details.push(
      `${ok ? 'ok' : 'FAIL'} ${status.name}: ${status.status}, ${processed} processed, ${failedRows} failed (error rate ${(rate * 100).toFixed(3)}%, max ${(maxErrorRate * 100).toFixed(3)}%), ${status.errorRows} row(s) in the error table`,
    );
  }
  return { ...item, status: failed ? 'fail' : 'pass', details };
}

function backfillDefinitions(section: unknown): readonly BackfillDefinitionInput[] {
  if (section === undefined) return [];
  const list = Array.isArray(section) ? section : (section as { definitions?: unknown } | null)?.definitions;
  if (!Array.isArray(list)) {
    throw new InvalidConfigError('config file', [
      { path: 'backfills.definitions', message: 'must be an array of backfill definitions' },
    ]);
  }
  return list as BackfillDefinitionInput[];
}
