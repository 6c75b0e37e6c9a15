import { MigrationStep, stepMetadata } from '@safemig/core';
import type { Kysely } from 'kysely';

export class Migration1700000100AddStatus extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000100;
  }

  async update(db: Kysely<any>): Promise<void> {
    await this.addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true });
    await this.addIndex(db, 'external_order', 'idx_external_order_status', ['status']);
  }

  override async compensate(db: Kysely<any>): Promise<void> {
    await this.dropIndexIfExists(db, 'external_order', 'idx_external_order_status');
    await this.dropColumnIfExists(db, 'external_order', 'status');
  }

  override getMetadata() {
    return stepMetadata({ phase: 'expand', release: '1.1.0', dependsOn: [1700000000] });
  }
}
