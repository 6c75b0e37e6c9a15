import { sql, type Kysely } from 'kysely';
import { MigrationStep } from '@safemig/core';

/*
 * The zoo of broken migrations: each makes one classic mistake, and the harness must fail naming it.
 */

/** Seed rows inserted without a guard: run 2 inserts them again. */
export class Migration1700000101SeedStatesWithoutGuard extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000101;
  }
  async update(db: Kysely<any>): Promise<void> {
    await sql`INSERT INTO external_order_state (technical_name) VALUES ('shipped'), ('cancelled')`.execute(db);
  }
}

/** ADD COLUMN without an existence check: run 2 fails with a duplicate column. */
export class Migration1700000102AddColumnWithoutCheck extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000102;
  }
  async update(db: Kysely<any>): Promise<void> {
    await sql`ALTER TABLE external_order ADD COLUMN status VARCHAR(32) NULL`.execute(db);
  }
}

/** A counter bumped on every run. */
export class Migration1700000103CountImports extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000103;
  }
  async update(db: Kysely<any>): Promise<void> {
    await sql`UPDATE plugin_counter SET n = n + 1 WHERE name = 'imports'`.execute(db);
  }
}

/** CREATE TRIGGER without a check: run 2 fails because the trigger exists. */
export class Migration1700000104CreateTriggerTwice extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000104;
  }
  async update(db: Kysely<any>): Promise<void> {
    await sql`CREATE TRIGGER external_order_default_status BEFORE INSERT ON external_order
      FOR EACH ROW SET NEW.legacy_status = COALESCE(NEW.legacy_status, 'open')`.execute(db);
  }
}

/** An unnamed index: the server names it after its column, then `_2` on run 2. */
export class Migration1700000105AddUnnamedIndex extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000105;
  }
  async update(db: Kysely<any>): Promise<void> {
    await sql`ALTER TABLE external_order ADD INDEX (legacy_status)`.execute(db);
  }
}

/** updated_at rewritten on every run. */
export class Migration1700000106TouchUpdatedAt extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000106;
  }
  async update(db: Kysely<any>): Promise<void> {
    await sql`UPDATE external_order SET updated_at = NOW()`.execute(db);
  }
}

/** A destructive step that fails when the column is already gone. */
export class Migration1700000107DropLegacyStatusUnguarded extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000107;
  }
  async update(): Promise<void> {
    // Nothing to expand: the new column arrived in an earlier release.
  }
  override async updateDestructive(db: Kysely<any>): Promise<void> {
    await sql`ALTER TABLE external_order DROP COLUMN legacy_status`.execute(db);
  }
}

/** Normalizes values in place with a mapping that is not a fixed point: 'paid' -> 'PAID' -> 'paid' ... */
export class Migration1700000108ToggleStatusCase extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000108;
  }
  async update(db: Kysely<any>): Promise<void> {
    await sql`UPDATE external_order SET legacy_status = IF(BINARY legacy_status = UPPER(legacy_status), LOWER(legacy_status), UPPER(legacy_status))
      WHERE legacy_status IS NOT NULL`.execute(db);
  }
}
