import { MigrationStep } from '@safemig/core';
import type { Kysely } from 'kysely';

export class Migration1700000100DropInUpdate extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000100;
  }

  async update(db: Kysely<any>): Promise<void> {
    await this.dropColumnIfExists(db, 'external_order', 'legacy_status');
  }
}
