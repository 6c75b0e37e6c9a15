import { backfillCompleted } from '@safemig/backfill';
import { getFlag, MigrationStep, setFlag, stepMetadata, type MigrationMetadata } from '@safemig/core';
import type { Kysely } from 'kysely';
import { NORMALIZED_FIELDS_BACKFILL, NORMALIZED_WRITES_FLAG } from '../rollout/rollout-names';
import { Migration1700000200ExternalOrderDualWrites } from './Migration1700000200ExternalOrderDualWrites';

/**
 * Release 1.2, activate: every old row is backfilled, so writes go to the new model only. Release 1.1 instances still
 * running next to 1.2 read the new columns first, so they see these writes.
 */
export class Migration1700000300ExternalOrderNewWrites extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000300;
  }

  override getMetadata(): MigrationMetadata {
    return stepMetadata({
      description: `Writes go to the new model only (${NORMALIZED_WRITES_FLAG}: dual -> new)`,
      phase: 'activate',
      release: '1.2.0',
      dependsOn: [Migration1700000200ExternalOrderDualWrites],
      requires: [backfillCompleted(NORMALIZED_FIELDS_BACKFILL)],
    });
  }

  async update(db: Kysely<any>): Promise<void> {
    if ((await getFlag(db, NORMALIZED_WRITES_FLAG)).state !== 'dual') return;
    await setFlag(db, NORMALIZED_WRITES_FLAG, 'new', { by: 'migration', reason: 'release 1.2: backfill completed' });
  }

  override async compensate(db: Kysely<any>): Promise<void> {
    if ((await getFlag(db, NORMALIZED_WRITES_FLAG)).state !== 'new') return;
    await setFlag(db, NORMALIZED_WRITES_FLAG, 'dual', { by: 'migration', reason: 'rollback to 1.1' });
  }
}
