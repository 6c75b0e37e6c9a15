import { MigrationStep, stepMetadata } from '@safemig/core';
import { sql, type Kysely } from 'kysely';

export class Migration1700000000CreateExternalOrder extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000000;
  }

  async update(db: Kysely<any>): Promise<void> {
    await sql`CREATE TABLE IF NOT EXISTS external_order (
      id INT NOT NULL PRIMARY KEY, legacy_status VARCHAR(64) NULL, amount DECIMAL(12,2) NULL)`.execute(db);
  }

  override getMetadata() {
    return stepMetadata({ description: 'The table as 1.0 shipped it', phase: 'expand', release: '1.0.0' });
  }
}
