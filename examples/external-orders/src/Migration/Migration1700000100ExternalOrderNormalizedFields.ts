import { MigrationStep } from '@safemig/core';
import type { Kysely } from 'kysely';

/**
 * Release 1.1, expand: the normalized fields, all NULLable, and the non-unique indexes they need. Release 1.0 keeps
 * working on this schema (it names its columns on insert and never reads the new ones).
 */
export class Migration1700000100ExternalOrderNormalizedFields extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000100;
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
}
