import { MigrationStep, stepMetadata, type MigrationMetadata } from '@safemig/core';
import { sql, type Kysely } from 'kysely';

/**
 * The ExternalOrders plugin's original table, as release 1.0 shipped it: everything the external shop system sent
 * lands in free-form legacy columns (a JSON or text payload, a status string, an amount string).
 */
export class Migration1700000000ExternalOrder extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000000;
  }

  override getMetadata(): MigrationMetadata {
    return stepMetadata({
      description: 'The external_order table as release 1.0 shipped it',
      phase: 'expand',
      release: '1.0.0',
    });
  }

  async update(db: Kysely<any>): Promise<void> {
    if (await this.tableExists(db, 'external_order')) return;
    await sql`
      CREATE TABLE external_order (
        id BINARY(16) NOT NULL,
        sales_channel_id BINARY(16) NULL,
        external_reference VARCHAR(255) NULL,
        payload LONGTEXT NULL,
        legacy_status VARCHAR(64) NULL,
        legacy_amount VARCHAR(64) NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NULL,
        PRIMARY KEY (id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`.execute(db);
  }
}
