import { flagAt, MigrationStep, stepMetadata } from '@safemig/core';
import type { Kysely } from 'kysely';

export class Migration1700000300DropLegacyStatus extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000300;
  }

  async update(_db: Kysely<any>): Promise<void> {}

  override async updateDestructive(db: Kysely<any>): Promise<void> {
    await this.dropColumnIfExists(db, 'external_order', 'legacy_status');
  }

  override getMetadata() {
    return stepMetadata({
      phase: 'contract',
      release: '1.2.0',
      dependsOn: [1700000100],
      requires: [flagAt('external_order_status', 'new')],
    });
  }
}
