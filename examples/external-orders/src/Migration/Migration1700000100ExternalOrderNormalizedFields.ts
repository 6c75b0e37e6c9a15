import { MigrationStep, serverSupports, stepMetadata, type MigrationMetadata } from '@safemig/core';
import type { Kysely } from 'kysely';
import { Migration1700000000ExternalOrder } from './Migration1700000000ExternalOrder';

/**
 * Release 1.1, expand: the normalized fields, all NULLable, and the non-unique indexes they need. Release 1.0 keeps
 * working on this schema (it names its columns on insert and never reads the new ones).
 */
export class Migration1700000100ExternalOrderNormalizedFields extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000100;
  }

  override getMetadata(): MigrationMetadata {
    return stepMetadata({
      description: 'Normalized status, amount, currency and reference, NULLable',
      phase: 'expand',
      release: '1.1.0',
      dependsOn: [Migration1700000000ExternalOrder],
      // Adding columns must not copy a table with millions of orders.
      requires: [serverSupports('instantAddColumn')],
    });
  }

  async update(db: Kysely<any>): Promise<void> {
    await this.addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { after: 'legacy_amount' });
    await this.addColumn(db, 'external_order', 'total_amount', 'DECIMAL(12,2)', { after: 'status' });
    await this.addColumn(db, 'external_order', 'currency', 'CHAR(3)', { after: 'total_amount' });
    await this.addColumn(db, 'external_order', 'external_reference_normalized', 'VARCHAR(64)', {
      after: 'external_reference',
    });
    await this.addIndex(db, 'external_order', 'idx_external_order_status', ['status']);
    // Non-unique for now: the contract release makes it unique once the compat check proved there is no collision.
    await this.addIndex(db, 'external_order', 'idx_external_order_reference', [
      'sales_channel_id',
      'external_reference_normalized',
    ]);
  }

  /** Rollback to 1.0: release 1.0 never reads these columns, so dropping them loses only derived data. */
  override async compensate(db: Kysely<any>): Promise<void> {
    await this.dropIndexIfExists(db, 'external_order', 'idx_external_order_reference');
    await this.dropIndexIfExists(db, 'external_order', 'idx_external_order_status');
    for (const column of ['external_reference_normalized', 'currency', 'total_amount', 'status']) {
      await this.dropColumnIfExists(db, 'external_order', column);
    }
  }
}
