import { compatPassed } from '@safemig/compat';
import { columnExists, flagAt, MigrationStep, stepMetadata, type MigrationMetadata } from '@safemig/core';
import { sql, type Kysely } from 'kysely';
import { CONTRACT_PLAN, NORMALIZED_WRITES_FLAG } from '../rollout/rollout-names';
import { Migration1700000100ExternalOrderNormalizedFields } from './Migration1700000100ExternalOrderNormalizedFields';
import { Migration1700000300ExternalOrderNewWrites } from './Migration1700000300ExternalOrderNewWrites';

/**
 * Release 1.2, contract: runs with `migrate:destructive` once no 1.1 instance is left, after the compat plan proved
 * the data fits. Tightens status to NOT NULL, makes the normalized reference unique per sales channel and drops the
 * legacy columns.
 */
export class Migration1700000400ExternalOrderContract extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000400;
  }

  override getMetadata(): MigrationMetadata {
    return stepMetadata({
      description: 'status NOT NULL, unique reference per sales channel, legacy columns dropped',
      phase: 'contract',
      release: '1.2.0',
      dependsOn: [Migration1700000100ExternalOrderNormalizedFields, Migration1700000300ExternalOrderNewWrites],
      requires: [flagAt(NORMALIZED_WRITES_FLAG, 'new'), compatPassed(CONTRACT_PLAN)],
      lintSuppressions: [
        { code: 'SM003', reason: 'NULL -> NOT NULL after the compat nullability check of the contract plan' },
        { code: 'SM004', reason: 'the unique key follows the compat collision check of the contract plan' },
      ],
    });
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
      { unique: true },
    );
    await this.dropIndexIfExists(db, 'external_order', 'idx_external_order_reference');
    // No foreign key to sales_channel: adding one to an existing table needs ALGORITHM=COPY with a shared lock
    // (writes blocked for the whole rebuild). The compat plan reports orphans instead.
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
