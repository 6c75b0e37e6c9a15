import { sql, type Kysely } from 'kysely';
import { MigrationStep } from '@safemig/core';

/*
 * The zoo of correct migrations, written with the core helpers: each must pass the harness.
 */

/** A new table, created only when missing. */
export class Migration1700000201CreateExternalOrderLine extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000201;
  }
  async update(db: Kysely<any>): Promise<void> {
    await sql`CREATE TABLE IF NOT EXISTS external_order_line (
      id BINARY(16) NOT NULL,
      external_order_id BINARY(16) NOT NULL,
      quantity INT NOT NULL DEFAULT 1,
      label VARCHAR(255) NULL,
      PRIMARY KEY (id),
      CONSTRAINT chk_external_order_line_quantity CHECK (quantity > 0)
    ) ENGINE=InnoDB`.execute(db);
    if (!(await this.foreignKeyExists(db, 'external_order_line', 'fk_external_order_line_order'))) {
      await sql`ALTER TABLE external_order_line ADD CONSTRAINT fk_external_order_line_order
        FOREIGN KEY (external_order_id) REFERENCES external_order (id) ON DELETE CASCADE ON UPDATE CASCADE`.execute(db);
    }
  }
}

/** Expand: a NULLable column and a named index, through the helpers. */
export class Migration1700000202AddStatus extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000202;
  }
  async update(db: Kysely<any>): Promise<void> {
    await this.addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true, after: 'legacy_status' });
    await this.addIndex(db, 'external_order', 'idx_external_order_status', [
      'status',
      { column: 'order_number', length: 16 },
    ]);
  }
}

/** Seed rows inserted only when missing. */
export class Migration1700000203SeedStates extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000203;
  }
  async update(db: Kysely<any>): Promise<void> {
    for (const state of ['shipped', 'cancelled']) {
      await sql`INSERT INTO external_order_state (technical_name)
        SELECT ${state} FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM external_order_state WHERE technical_name = ${state})`.execute(
        db,
      );
    }
  }
}

/** Backfill only rows not yet migrated, and stamp updated_at only for those rows. */
export class Migration1700000204BackfillStatus extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000204;
  }
  async update(db: Kysely<any>): Promise<void> {
    await this.addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true });
    await sql`UPDATE external_order
      SET status = COALESCE(LOWER(TRIM(legacy_status)), 'open'), updated_at = NOW(3)
      WHERE status IS NULL`.execute(db);
  }
}

/** A blue-green trigger through createTrigger, which leaves an identical trigger alone. */
export class Migration1700000205ForwardLegacyStatus extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000205;
  }
  async update(db: Kysely<any>): Promise<void> {
    await this.addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true });
    await this.createTrigger(db, {
      name: 'trg_external_order_forward_status',
      table: 'external_order',
      timing: 'BEFORE',
      event: 'INSERT',
      body: "SET NEW.status = COALESCE(NEW.status, LOWER(TRIM(NEW.legacy_status)), 'open')",
    });
  }
}

/** A view replaced in place and a JSON column: CREATE OR REPLACE is idempotent by nature. */
export class Migration1700000206OrderView extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000206;
  }
  async update(db: Kysely<any>): Promise<void> {
    await this.addColumn(db, 'external_order', 'shipping_address', 'JSON', { nullable: true });
    await sql`CREATE OR REPLACE VIEW external_order_open AS
      SELECT id, order_number, created_at FROM external_order WHERE created_at >= '2024-01-01'`.execute(db);
  }
}

/** Contract: drop the legacy column and tighten the new one; both safe to repeat. */
export class Migration1700000207ContractStatus extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000207;
  }
  async update(db: Kysely<any>): Promise<void> {
    await this.addColumn(db, 'external_order', 'status', 'VARCHAR(32)', { nullable: true });
    await sql`UPDATE external_order SET status = COALESCE(LOWER(TRIM(legacy_status)), 'open') WHERE status IS NULL`.execute(
      db,
    );
  }
  override async updateDestructive(db: Kysely<any>): Promise<void> {
    await this.removeTrigger(db, 'trg_external_order_forward_status');
    await this.dropColumnIfExists(db, 'external_order', 'legacy_status');
    await sql`ALTER TABLE external_order MODIFY status VARCHAR(32) NOT NULL DEFAULT 'open'`.execute(db);
  }
}
