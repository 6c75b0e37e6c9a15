import { getFlag, MigrationStep, setFlag, stepMetadata, type MigrationMetadata } from '@safemig/core';
import type { Kysely } from 'kysely';
import { NORMALIZED_WRITES_FLAG } from '../rollout/rollout-names';
import { Migration1700000100ExternalOrderNormalizedFields } from './Migration1700000100ExternalOrderNormalizedFields';

/**
 * Release 1.1, adapt: the 1.1 data layer reads both models and, with the flag at `dual`, writes both. Release 1.0
 * instances still running next to it keep writing only the legacy columns; the backfill's `where status IS NULL`
 * picks their rows up.
 */
export class Migration1700000200ExternalOrderDualWrites extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000200;
  }

  override getMetadata(): MigrationMetadata {
    return stepMetadata({
      description: `Writes go to both models (${NORMALIZED_WRITES_FLAG}: off -> dual)`,
      phase: 'adapt',
      release: '1.1.0',
      dependsOn: [Migration1700000100ExternalOrderNormalizedFields],
    });
  }

  async update(db: Kysely<any>): Promise<void> {
    // Only the first run moves the flag; an operator's later decision (back to off, or on to new) is not overwritten.
    if ((await getFlag(db, NORMALIZED_WRITES_FLAG)).state !== 'off') return;
    await setFlag(db, NORMALIZED_WRITES_FLAG, 'dual', { by: 'migration', reason: 'release 1.1: dual writes' });
  }

  override async compensate(db: Kysely<any>): Promise<void> {
    if ((await getFlag(db, NORMALIZED_WRITES_FLAG)).state === 'off') return;
    await setFlag(db, NORMALIZED_WRITES_FLAG, 'off', { by: 'migration', reason: 'rollback to 1.0', force: true });
  }
}
