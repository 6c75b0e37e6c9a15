import { MigrationStep, columnExists } from '@safemig/core';
import { sql, type Kysely } from 'kysely';

/**
 * Release 1.2, contract: only after every 1.1 instance is gone, the backfill completed and the compat checks passed.
 * Tightens status to NOT NULL, makes the normalized reference unique per sales channel and drops the legacy columns.
 */
export class Migration1700000300ExternalOrderContract extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000300;
  }

  async update(): Promise<void> {
    // Everything this release changes is destructive; release 1.1 instances must not see it.
  }

  override async updateDestructive(db: Kysely<any>): Promise<void> {
    if (await isNullable(db, 'external_order', 'status')) {
      await sql`ALTER TABLE external_order MODIFY COLUMN status VARCHAR(32) NOT NULL`.execute(db);
    }
    await this.addIndex(
      db,
      'external_order',
      'uniq_external_order_reference',
      ['sales_channel_id', 'external_reference_normalized'],
      {
        unique: true,
      },
    );
    await this.dropIndexIfExists(db, 'external_order', 'idx_external_order_reference');
    for (const column of ['payload', 'legacy_status', 'legacy_amount']) {
      await this.dropColumnIfExists(db, 'external_order', column);
    }
  }
}

async function isNullable(db: Kysely<any>, table: string, column: string): Promise<boolean> {
  if (!(await columnExists(db, table, column))) return false;
  const result = await sql<{ nullable: string }>`SELECT IS_NULLABLE AS nullable FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table} AND COLUMN_NAME = ${column}`.execute(db);
  return result.rows[0]?.nullable === 'YES';
}
